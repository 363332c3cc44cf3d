import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import pino from 'pino';
import request from 'supertest';
import type { Express } from 'express';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { createApp } from '../../api/app';
import { apiClientInterceptors } from '../../api/temporal';
import type { Config } from '../../config';
import { startWebhookWakeups } from '../../worker/webhook-wakeups';
import { testContext } from './env';
import { customerBody } from './fixtures';
import { createTestWorker, quietRuntime } from './temporal';

/**
 * The whole engine in one test process, against the real dev server, Postgres and mail catcher that
 * scripts/test started: the API listening on a free port, a worker with the real activities on a task
 * queue of its own. On a free port unless told (the schemathesis stage listens on scripts/test's API_PORT).
 */
export async function startStack(overrides: Partial<Config> = {}, port = 0) {
  quietRuntime();
  const ctx = testContext();
  const connection = await Connection.connect({ address: ctx.config.TEMPORAL_ADDRESS });
  const temporal = new Client({
    connection,
    namespace: ctx.config.TEMPORAL_NAMESPACE,
    interceptors: apiClientInterceptors,
  });
  const nativeConnection = await NativeConnection.connect({ address: ctx.config.TEMPORAL_ADDRESS });

  // The links in emails must point at this API, so its port is known before the worker is built.
  const config: Config = { ...ctx.config, ...overrides };
  const app = createApp({ sql: ctx.sql, temporal, config, logger: pino({ level: 'silent' }) });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(port, '127.0.0.1', () => resolve(s));
  });
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  config.PUBLIC_BASE_URL = baseUrl;

  const { worker, taskQueue } = await createTestWorker(nativeConnection, { sql: ctx.sql, config });
  config.TEMPORAL_TASK_QUEUE = taskQueue;
  const running: Promise<void> = worker.run();
  // Issue 12: webhook endpoints' runs woken as deliveries are queued, as the worker process does.
  const wakeups = await startWebhookWakeups({
    sql: ctx.sql,
    client: temporal,
    config,
    taskQueue,
    log: pino({ level: 'silent' }),
  });

  return {
    ...ctx,
    config,
    app,
    baseUrl,
    temporal,
    worker: worker as Worker,
    async stop(): Promise<void> {
      await wakeups.stop();
      worker.shutdown();
      await running;
      await new Promise((r) => server.close(r));
      await connection.close();
      await nativeConnection.close();
      await ctx.sql.end();
    },
  };
}

export type Stack = Awaited<ReturnType<typeof startStack>>;

/** The stack of one test file: started before its tests (ready inside them and later hooks), stopped after. */
export function stackForSuite(overrides: Partial<Config> = {}): Stack {
  const stack = {} as Stack;
  beforeAll(async () => {
    Object.assign(stack, await startStack(overrides));
  });
  afterAll(async () => {
    await stack.stop?.();
  });
  return stack;
}

/** Requests to the API as one reseller user (T1, T2): every call carries that user's API key. */
export function signedIn(app: Express, apiKey: string) {
  const auth = (r: request.Test) => r.set('authorization', `Bearer ${apiKey}`);
  return {
    get: (url: string) => auth(request(app).get(url)),
    post: (url: string) => auth(request(app).post(url)),
    put: (url: string) => auth(request(app).put(url)),
    patch: (url: string) => auth(request(app).patch(url)),
    delete: (url: string) => auth(request(app).delete(url)),
    options: (url: string) => auth(request(app).options(url)),
    trace: (url: string) => auth(request(app).trace(url)),
  };
}

/** A customer that `apiKey`'s reseller added through the API (C1), marked accepted as if its contact had accepted. */
export async function acceptedCustomer(stack: Stack, apiKey: string) {
  const body = customerBody();
  const created = await signedIn(stack.app, apiKey).post('/v1/customers').send(body);
  expect(created.status).toBe(201);
  const id = created.body.id as string;
  await stack.sql`UPDATE customers SET invitation_status = 'accepted', accepted_at = now() WHERE id = ${id}`;
  return { id, vipId: created.body.vipId as string, body };
}

/**
 * One create sent twice at once and once more after, under one Idempotency-Key: three 201s that name one
 * resource, the last a replay. Returns the resource's id.
 */
export async function sentThriceUnderOneKey(send: () => request.Test): Promise<string> {
  const [r1, r2] = await Promise.all([send(), send()]);
  const r3 = await send();
  expect([r1.status, r2.status, r3.status]).toEqual([201, 201, 201]);
  expect(new Set([r1.body.id, r2.body.id, r3.body.id]).size).toBe(1);
  expect(r3.headers['idempotent-replayed']).toBe('true');
  return r1.body.id as string;
}

/** The API's OpenAPI document, once it is seen to list `paths` (among others). */
export async function openApiListing(stack: Stack, paths: string[]) {
  const doc = await request(stack.app).get('/openapi.json');
  expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(paths));
  return doc.body;
}

/** The fields a create's answer names, once it is seen to be a 400 `validation_failed`. */
export function invalidFields(res: request.Response): string[] {
  expect(res.status).toBe(400);
  expect(res.body.error.code).toBe('validation_failed');
  return (res.body.error.issues as { field: string }[]).map((i) => i.field);
}
