import type { Client, WorkflowHandle } from '@temporalio/client';
import { WorkflowIdReusePolicy, type UpdateDefinition } from '@temporalio/common';
import type { Config } from '../config';
import { CustomerIdKey, LifecycleKey, LifecycleStatusKey, ResellerIdKey } from '../workflows/definitions';
import { updateRefusal } from './errors';

/**
 * Starts a lifecycle workflow under its business-key id, tagged for operators. A repeat while it runs
 * finds the running one; by default an ended one is never started again under the same id.
 */
export function startLifecycle(
  temporal: Client,
  config: Pick<Config, 'TEMPORAL_TASK_QUEUE'>,
  opts: {
    workflowType: string;
    workflowId: string;
    args: unknown[];
    lifecycle: string;
    resellerId: string;
    customerId?: string;
    allowRestartAfterEnd?: boolean;
  },
): Promise<WorkflowHandle> {
  return temporal.workflow.start(opts.workflowType, {
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    workflowId: opts.workflowId,
    args: opts.args,
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: opts.allowRestartAfterEnd
      ? WorkflowIdReusePolicy.ALLOW_DUPLICATE
      : WorkflowIdReusePolicy.REJECT_DUPLICATE,
    typedSearchAttributes: [
      { key: ResellerIdKey, value: opts.resellerId },
      ...(opts.customerId ? [{ key: CustomerIdKey, value: opts.customerId }] : []),
      { key: LifecycleKey, value: opts.lifecycle },
      { key: LifecycleStatusKey, value: 'started' },
    ],
  });
}

/** Sends an update and turns a refusal (validator or rule) into a 409 with the workflow's reason. */
export async function runUpdate<Ret, Arg>(
  handle: WorkflowHandle,
  def: UpdateDefinition<Ret, [Arg]>,
  arg: Arg,
): Promise<Ret> {
  try {
    return await handle.executeUpdate(def, { args: [arg] });
  } catch (err) {
    throw updateRefusal(err) ?? err;
  }
}
