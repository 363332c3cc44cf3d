import { existsSync } from 'node:fs';
import { NativeConnection, Worker } from '@temporalio/worker';
import pino from 'pino';
import { createActivities, createMailer } from '../activities';
import { loadConfig } from '../config';
import { createSql } from '../db';
import { BUNDLE_PATH } from './bundle';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = pino({ level: config.LOG_LEVEL, base: { service: 'worker' } });
  if (!existsSync(BUNDLE_PATH)) throw new Error(`No workflow bundle at ${BUNDLE_PATH}: run "npm run bundle" first.`);

  const sql = createSql(config);
  const mailer = createMailer(config);
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const worker = await Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    workflowBundle: { codePath: BUNDLE_PATH },
    activities: createActivities({ sql, mailer, config }),
    // The SDK's own SIGINT/SIGTERM handling drains in-flight tasks before run() resolves.
    shutdownGraceTime: '10 seconds',
  });
  log.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, address: config.TEMPORAL_ADDRESS }, 'worker started');
  try {
    await worker.run();
  } finally {
    await connection.close();
    mailer.close();
    await sql.end({ timeout: 5 });
    log.info('worker stopped');
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
