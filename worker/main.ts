import { existsSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import pino from 'pino';
import { createActivities, createMailer } from '../activities';
import { ConfigError, loadConfig } from '../config';
import { createSql } from '../db';
import { BUNDLE_PATH } from './bundle';
import { startWebhookWakeups } from './webhook-wakeups';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = pino({ level: config.LOG_LEVEL, base: { service: 'worker' } });
  const bundlePath = config.WORKFLOW_BUNDLE_PATH ?? BUNDLE_PATH;
  if (!existsSync(bundlePath)) throw new Error(`No workflow bundle at ${bundlePath}: run "npm run bundle" first.`);

  // Before the first connection: the runtime is made once per process. The SDK's own metrics (task latencies,
  // slots, polls, sticky cache) and the lifecycle counters of workflows/run-metrics.ts, at /metrics.
  const host = config.METRICS_HOST.includes(':') ? `[${config.METRICS_HOST}]` : config.METRICS_HOST;
  const bindAddress = `${host}:${config.WORKER_METRICS_PORT}`;
  Runtime.install({ telemetryOptions: { metrics: { prometheus: { bindAddress } } } });

  const sql = createSql(config);
  const mailer = createMailer(config);
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const worker = await Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    workflowBundle: { codePath: bundlePath },
    activities: createActivities({ sql, mailer, config }),
    maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS,
    maxConcurrentWorkflowTaskExecutions: Math.min(
      config.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
      // The SDK lowers it to the cache size anyway (with a warning), unless the cache is off.
      config.WORKER_MAX_CACHED_WORKFLOWS || Number.POSITIVE_INFINITY,
    ),
    // Issue 11: a worker that dies (SIGKILL, a lost host) holds its cached runs' next tasks on its own sticky queue
    // until this passes; then any worker takes them. 5 s instead of the SDK's 10 keeps a lost step under 15 s.
    stickyQueueScheduleToStartTimeout: '5 seconds',
    // The SDK's own SIGINT/SIGTERM handling drains in-flight tasks before run() resolves.
    shutdownGraceTime: '10 seconds',
  });
  log.info(
    {
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      address: config.TEMPORAL_ADDRESS,
      maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS,
      metrics: `http://${bindAddress}/metrics`,
    },
    'worker started',
  );
  // Issue 12: the webhook endpoints' runs are woken as their deliveries are queued (worker/webhook-wakeups.ts).
  const clientConnection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const client = new Client({ connection: clientConnection, namespace: config.TEMPORAL_NAMESPACE });
  const wakeups = await startWebhookWakeups({ sql, client, config, taskQueue: config.TEMPORAL_TASK_QUEUE, log });
  try {
    await worker.run();
  } finally {
    await wakeups.stop();
    await clientConnection.close();
    await connection.close();
    mailer.close();
    await sql.end({ timeout: 5 });
    log.info('worker stopped');
  }
}

main().catch((err) => {
  // A bad configuration is the operator's to fix: its message names each variable; a stack trace adds nothing.
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
