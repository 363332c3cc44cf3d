import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Runtime, DefaultLogger, Worker } from '@temporalio/worker';
import { type Client, type Workflow, WorkflowUpdateFailedError, type WorkflowStartOptions } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import { createActivities, createMailer, type Mailer } from '../../activities';
import type { Config } from '../../config';
import type { Sql } from '../../db';
import { temporal } from '@temporalio/proto';
import { SEARCH_ATTRIBUTES } from '../../workflows/definitions';
import { testContext } from './env';

const ROOT = path.join(__dirname, '..', '..');
export const TEST_BUNDLE_PATH = path.join(ROOT, '.cache', 'test', 'workflow-bundle.js');
const TEST_SERVER = path.join(ROOT, '.cache', 'bin', 'temporal-test-server');

let runtimeInstalled = false;
/** Keeps expected activity failures out of the test output; must run before the first connection. */
export function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  // TEST_TEMPORAL_LOG_LEVEL=WARN shows the SDK's warnings too (a workflow task failing and retried, say).
  const level = process.env.TEST_TEMPORAL_LOG_LEVEL === 'WARN' ? 'WARN' : 'ERROR';
  Runtime.install({ logger: new DefaultLogger(level) });
}

/** The native time-skipping test server from .cache/bin (installed by scripts/test); never a download. */
export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: TEST_SERVER } },
  });
  // The test server starts without the project's search attributes; the dev server gets them by flag.
  const { INDEXED_VALUE_TYPE_KEYWORD: keyword, INDEXED_VALUE_TYPE_BOOL: bool } = temporal.api.enums.v1.IndexedValueType;
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(SEARCH_ATTRIBUTES.map((k) => [k.name, k.type === 'BOOL' ? bool : keyword])),
  });
  return env;
}

/** A worker with the real activities, on its own task queue, for one test. */
export async function createTestWorker(
  connection: NativeConnection,
  deps: { sql: Sql; config: Config },
  opts: { taskQueue?: string; namespace?: string; activities?: Partial<ReturnType<typeof createActivities>> } = {},
): Promise<{ worker: Worker; taskQueue: string }> {
  quietRuntime();
  const taskQueue = opts.taskQueue ?? `test-${randomUUID()}`;
  const mailer = createMailer(deps.config);
  const worker = await Worker.create({
    connection,
    namespace: opts.namespace ?? 'default',
    taskQueue,
    workflowBundle: { codePath: TEST_BUNDLE_PATH },
    activities: { ...createActivities({ ...deps, mailer }), ...opts.activities },
  });
  return { worker, taskQueue };
}

export type { Client };

/**
 * Registers a suite's time-skipping server and its worker with the real activities (one per test
 * file, as the server's clock is shared), hands them over once ready, and tears everything down
 * after the suite: worker, server, then the mailer and the database pool the activities used.
 */
export function withTimeSkippingWorker(
  deps: { sql: Sql; config: Config; mailer?: Mailer },
  ready: (suite: { env: TestWorkflowEnvironment; taskQueue: string }) => void,
): void {
  let env: TestWorkflowEnvironment | undefined;
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  beforeAll(async () => {
    env = await createTimeSkippingEnv();
    const created = await createTestWorker(env.nativeConnection, deps);
    worker = created.worker;
    running = worker.run();
    ready({ env, taskQueue: created.taskQueue });
  });
  afterAll(async () => {
    worker?.shutdown();
    await running;
    await env?.teardown();
    deps.mailer?.close();
    await deps.sql.end();
  });
}

/**
 * A workflow test file's suite on the time-skipping server: the test context, the mailer its activities share
 * and, once the suite is ready (inside tests), its `env()`, its `taskQueue()` and `start`, which starts a
 * workflow on that queue.
 */
export function timeSkippingSuite() {
  const { config, sql, mailbox } = testContext();
  const mailer = createMailer(config);
  let ready: { env: TestWorkflowEnvironment; taskQueue: string } | undefined;
  withTimeSkippingWorker({ sql, config, mailer }, (suite) => {
    ready = suite;
  });
  const current = () => {
    if (!ready) throw new Error('the time-skipping suite is used before it is ready');
    return ready;
  };
  return {
    config,
    sql,
    mailbox,
    mailer,
    env: (): TestWorkflowEnvironment => current().env,
    taskQueue: (): string => current().taskQueue,
    start<W extends Workflow>(workflow: W, options: Omit<WorkflowStartOptions<W>, 'taskQueue'>) {
      const { env, taskQueue } = current();
      return env.client.workflow.start(workflow, { ...options, taskQueue } as WorkflowStartOptions<W>);
    },
  };
}

/** Activities run on real time after a timer fires in skipped time: poll until the check passes. */
export async function eventually(check: () => Promise<void>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** The workflow's reason for refusing an update (the failure's cause carries it); fails if it was not refused. */
export async function refusalReason(update: Promise<unknown>): Promise<string> {
  const err = await refused(update);
  return err.cause?.message ?? err.message;
}

/** The refusal's type (ApplicationFailure.type), as the API maps it. */
export async function refusalType(update: Promise<unknown>): Promise<string | undefined> {
  return (await refused(update)).cause?.type;
}

/** The update's failure; anything else (it succeeded, or the run was gone) fails the test with what it was. */
async function refused(update: Promise<unknown>): Promise<Error & { cause?: Error & { type?: string } }> {
  const err = await update.then(
    () => null,
    (e: unknown) => e,
  );
  if (!err) throw new Error('expected a refusal');
  if (!(err instanceof WorkflowUpdateFailedError)) throw err;
  return err as Error & { cause?: Error & { type?: string } };
}
