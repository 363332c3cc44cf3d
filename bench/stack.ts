import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import pino from 'pino';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createActivities, createMailer } from '../activities';
import { createApp } from '../api/app';
import { loadConfig, type Config } from '../config';
import { createSql } from '../db';
import { type ApiProcess, spawnApi } from './api-process';
import { spawnWorker, type WorkerProcess } from './worker-process';

// Our own bundle path: rewriting .cache/test/ could swap the workflows under a test run in progress.
export const BENCH_BUNDLE_PATH = path.join(__dirname, '..', '.cache', 'bench', 'workflow-bundle.js');

export interface BenchStackOptions {
  /** Settings on top of the environment's, for the API and the worker alike (given to the worker as its env). */
  env?: Record<string, string>;
  /** 'process': worker/main.ts in a process of its own (`workerProcess`), so its memory is measured alone. */
  worker?: 'in-process' | 'process';
  /** 'process': api/main.ts in a process of its own, as production runs it, apart from the bench's client. */
  api?: 'in-process' | 'process';
}

/**
 * The engine in one process, like test/helpers/stack.ts, but with the production pool size
 * (DATABASE_POOL_MAX) and one pool each for the API and the worker, as their two processes would have;
 * or with the worker in a process of its own.
 */
export async function startBenchStack({
  env = {},
  worker: where = 'in-process',
  api: apiWhere = 'in-process',
}: BenchStackOptions = {}) {
  if (!existsSync(BENCH_BUNDLE_PATH))
    throw new Error(`No workflow bundle at ${BENCH_BUNDLE_PATH}: run "tsx bench/bundle.ts".`);
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const config: Config = { ...loadConfig({ ...process.env, ...env }), TEMPORAL_TASK_QUEUE: `bench-${randomUUID()}` };
  const sql = createSql(config);
  const workerSql = createSql(config);
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  const nativeConnection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });

  let server: Server | null = null;
  let apiProcess: ApiProcess | null = null;
  let baseUrl: string;
  if (apiWhere === 'process') {
    apiProcess = await spawnApi({ ...env, TEMPORAL_TASK_QUEUE: config.TEMPORAL_TASK_QUEUE });
    baseUrl = apiProcess.baseUrl;
  } else {
    const app = createApp({ sql, temporal, config, logger: pino({ level: config.LOG_LEVEL }) });
    const listening: Server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    server = listening;
    baseUrl = `http://127.0.0.1:${(listening.address() as AddressInfo).port}`;
  }
  config.PUBLIC_BASE_URL = baseUrl;

  const mailer = createMailer(config);
  let running: Promise<void> | null = null;
  let worker: Worker | null = null;
  let workerProcess: WorkerProcess | null = null;
  if (where === 'process') {
    workerProcess = await spawnWorker({
      ...env,
      TEMPORAL_TASK_QUEUE: config.TEMPORAL_TASK_QUEUE,
      PUBLIC_BASE_URL: baseUrl,
      WORKFLOW_BUNDLE_PATH: BENCH_BUNDLE_PATH,
    });
  } else {
    worker = await Worker.create({
      connection: nativeConnection,
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      workflowBundle: { codePath: BENCH_BUNDLE_PATH },
      activities: createActivities({ sql: workerSql, mailer, config }),
    });
    running = worker.run();
  }

  return {
    config,
    sql,
    temporal,
    baseUrl,
    workerProcess,
    async stop(): Promise<void> {
      worker?.shutdown();
      await running;
      await workerProcess?.stop();
      await apiProcess?.stop();
      server?.closeAllConnections();
      await new Promise((r) => (server ? server.close(r) : r(undefined)));
      await connection.close();
      await nativeConnection.close();
      mailer.close();
      await sql.end({ timeout: 5 });
      await workerSql.end({ timeout: 5 });
    },
  };
}

export type BenchStack = Awaited<ReturnType<typeof startBenchStack>>;
