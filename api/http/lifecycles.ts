import {
  type Client,
  isGrpcServiceError,
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  type WorkflowHandle,
  WorkflowNotFoundError,
} from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import type { Config } from '../../config';
import type { Sql, Tx } from '../../db';
import { stepPolicy } from '../../config/terms';
import {
  CustomerIdKey,
  LifecycleKey,
  type LifecycleName,
  LifecycleStatusKey,
  ResellerIdKey,
  STEP_POLICY_MEMO,
} from '../../workflows/definitions';
import { isDeadlineExceeded, UPDATE_DEADLINE_MS } from '../temporal';
import { HttpError } from './errors';
import { updateRefusal } from './refusals';
import type { ServerTiming } from './server-timing';

// Starting a lifecycle and talking to it, in one place for every resource.

export interface LifecycleStart {
  workflowType: string;
  /** The business-key id (`invitation:<customerId>`): a repeat finds the same run. */
  workflowId: string;
  args: unknown[];
  lifecycle: LifecycleName;
  resellerId: string;
  customerId?: string | null;
}

/** gRPC ALREADY_EXISTS: update-with-start reports a refused start with this code, not always as its error class. */
const ALREADY_EXISTS = 6;

/** The run under this id has ended and the id is never reused (REJECT_DUPLICATE). */
const hasEnded = (err: unknown): boolean =>
  err instanceof WorkflowExecutionAlreadyStartedError || (isGrpcServiceError(err) && err.code === ALREADY_EXISTS);

/** USE_EXISTING: a repeat while it runs finds the running one; an ended one is never started again. */
export function startOptions(config: Config, start: LifecycleStart) {
  return {
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    workflowId: start.workflowId,
    args: start.args,
    workflowIdConflictPolicy: 'USE_EXISTING' as const,
    workflowIdReusePolicy: 'REJECT_DUPLICATE' as const,
    // T4: how often each class of step is retried before it waits for support, from configuration.
    memo: { [STEP_POLICY_MEMO]: stepPolicy(config) },
    // Tagged for operators (T4): filter by reseller, customer, lifecycle and status in the Temporal UI.
    typedSearchAttributes: [
      { key: ResellerIdKey, value: start.resellerId },
      ...(start.customerId ? [{ key: CustomerIdKey, value: start.customerId }] : []),
      { key: LifecycleKey, value: start.lifecycle },
      { key: LifecycleStatusKey, value: 'started' },
    ],
  };
}

/**
 * Starts the lifecycle (or finds the running one) and waits for its first answer, in one round trip
 * (update-with-start). Null when the run under this id has already ended: an idempotent repeat, whose
 * answer is in the database.
 */
export async function startLifecycle<Ret>(
  temporal: Client,
  config: Config,
  start: LifecycleStart,
  firstAnswer: UpdateDefinition<Ret, []>,
): Promise<Ret | null> {
  const startWorkflowOperation = new WithStartWorkflowOperation(start.workflowType, startOptions(config, start));
  try {
    return await temporal.workflow.executeUpdateWithStart(firstAnswer, { startWorkflowOperation });
  } catch (err) {
    if (hasEnded(err)) return null;
    throw updateRefusal(err) ?? err;
  }
}

/** Thrown inside the create's transaction to roll its row back when the run under this id has ended. */
class RunEnded extends Error {}

/**
 * Creates a resource and starts its lifecycle, answering as soon as the Temporal server has the run, without
 * waiting for a workflow task (issue 9: a create in milliseconds, not the ~200 ms of a workflow round trip).
 * In one transaction: `store` writes the row (the same idempotent write the run's first step makes), the run
 * starts with what the row issued (ids, the VIP id), and only then does the row commit. So the answer and
 * every read after it find the row; a start that fails leaves nothing behind; a commit that fails after the
 * start leaves the run, whose first step writes the row itself. Null when the run under this id has ended (an
 * idempotent repeat of a resource that has moved on since): nothing is written, the row as it is now answers.
 */
export async function createLifecycle<Row>(
  sql: Sql,
  temporal: Client,
  config: Config,
  store: (tx: Tx) => Promise<{ row: Row; start: LifecycleStart }>,
  timing?: ServerTiming,
): Promise<Row | null> {
  try {
    const row = (await sql.begin(async (tx) => {
      const { row, start } = await store(tx);
      timing?.lap('store');
      try {
        await temporal.workflow.start(start.workflowType, startOptions(config, start));
      } catch (err) {
        if (hasEnded(err)) throw new RunEnded();
        throw err;
      }
      timing?.lap('start');
      return row;
    })) as Row;
    timing?.lap('commit');
    return row;
  } catch (err) {
    if (err instanceof RunEnded) return null;
    throw err;
  }
}

/** For a lifecycle with no first answer to wait for: starts it, or finds the run with this id (running or ended). */
export async function ensureLifecycle(
  temporal: Client,
  config: Config,
  start: LifecycleStart,
): Promise<WorkflowHandle> {
  try {
    return await temporal.workflow.start(start.workflowType, startOptions(config, start));
  } catch (err) {
    if (hasEnded(err)) return temporal.workflow.getHandle(start.workflowId);
    throw err;
  }
}

/**
 * Sends an update and waits for its answer. A refusal is answered by the refusals table; a run that has
 * ended takes no more changes (409), or, with `ended: 'not_found'`, is answered like an unknown id.
 */
export async function runUpdate<Ret, Arg>(
  handle: WorkflowHandle,
  def: UpdateDefinition<Ret, [Arg]>,
  arg: Arg,
  opts: { ended?: 'conflict' | 'not_found' } = {},
): Promise<Ret> {
  try {
    return await handle.client.connection.withDeadline(Date.now() + UPDATE_DEADLINE_MS, () =>
      handle.executeUpdate(def, { args: [arg] }),
    );
  } catch (err) {
    if (err instanceof WorkflowNotFoundError && opts.ended !== 'not_found')
      throw new HttpError(409, 'lifecycle_ended', 'This lifecycle has ended; it takes no more changes.');
    if (isDeadlineExceeded(err))
      throw new HttpError(
        503,
        'lifecycle_not_answering',
        `The lifecycle did not answer within ${UPDATE_DEADLINE_MS / 1000} s (its worker is away or a step of it is ` +
          'still being retried); the change may yet take effect: repeat the request to learn the outcome.',
        undefined,
        { 'Retry-After': '5' },
      );
    throw updateRefusal(err) ?? err;
  }
}
