import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import pino from 'pino';
import request from 'supertest';
import { createApp } from '../api/app';
import { createTemporalClient } from '../api/temporal';
import type { Config } from '../config';
import { createSql, type Sql } from '../db';
import { customerBody, newReseller, type Reseller } from './helpers/fixtures';
import { testContext } from './helpers/env';
import { TcpProxy } from './helpers/tcp-proxy';
import { quietRuntime } from './helpers/temporal';

// Issue 10, outages: the API reaches Postgres and the Temporal dev server through proxies this file cuts and
// restores. No worker: a create answers once the run has started, before any worker runs it.

const ctx = testContext();
let pg: TcpProxy;
let tp: TcpProxy;
let apiSql: Sql;
let temporal: Client;
let server: Server;
let baseUrl: string;
let reseller: Reseller;

beforeAll(async () => {
  quietRuntime();
  const db = new URL(ctx.config.DATABASE_URL);
  pg = await TcpProxy.start({ host: db.hostname, port: Number(db.port) });
  const [host, port] = ctx.config.TEMPORAL_ADDRESS.split(':');
  tp = await TcpProxy.start({ host: host ?? '127.0.0.1', port: Number(port) });
  const config: Config = {
    ...ctx.config,
    DATABASE_URL: pg.url(ctx.config.DATABASE_URL),
    TEMPORAL_ADDRESS: tp.address,
    TEMPORAL_TASK_QUEUE: `outages-${Date.now()}`,
    // Every request asks Postgres for its key, so auth meets the outage too.
    API_KEY_CACHE_TTL: '0',
  };
  apiSql = createSql({ ...config, DATABASE_POOL_MAX: 3 });
  temporal = await createTemporalClient(config);
  const app = createApp({ sql: apiSql, temporal, config, logger: pino({ level: 'silent' }) });
  server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  reseller = await newReseller(ctx.sql);
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  await temporal.connection.close();
  await apiSql.end({ timeout: 1 });
  await pg.cut();
  await tp.cut();
  await ctx.sql.end();
});

// Whatever a test left cut is restored before the next.
afterEach(async () => {
  await pg.restore();
  await tp.restore();
});

const auth = (r: request.Test) => r.set('authorization', `Bearer ${reseller.apiKey}`);
const create = (body = customerBody()) => auth(request(baseUrl).post('/v1/customers').send(body));
const list = () => auth(request(baseUrl).get('/v1/customers?limit=5'));
const health = () => request(baseUrl).get('/healthz');

/** The answer and how long it took. */
async function timed(send: () => request.Test) {
  const started = Date.now();
  const res = await send();
  return { res, ms: Date.now() - started };
}

/** A 503 with Retry-After and the code, within 3 seconds: never a 500, never a hang. */
async function expectUnavailable(send: () => request.Test, code: string) {
  const { res, ms } = await timed(send);
  expect({ status: res.status, code: res.body.error?.code, retryAfter: res.headers['retry-after'] }).toEqual({
    status: 503,
    code,
    retryAfter: '5',
  });
  expect(ms).toBeLessThan(3_000);
}

/** Milliseconds from now until `send` answers `status` (asked every 100 ms), at most `limitMs`. */
async function msUntil(send: () => request.Test, status: number, limitMs = 5_000): Promise<number> {
  const started = Date.now();
  for (;;) {
    const res = await send();
    const ms = Date.now() - started;
    if (res.status === status) return ms;
    if (ms > limitMs) throw new Error(`still ${res.status} ${JSON.stringify(res.body)} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `ask` again and again, 200 ms apart, for `ms`. */
async function keepAsking(ms: number, ask: () => Promise<void>): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    await ask();
    await new Promise((r) => setTimeout(r, 200));
  }
}

const customersWithEmail = async (email: string) =>
  (await ctx.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM customers WHERE contact_email = ${email}`)[0]!.n;

describe('issue 10: Postgres or Temporal unreachable', () => {
  it('Postgres down: creates and lists answer 503 database_unavailable within 3 s; back within 5 s of its return', async () => {
    expect((await list()).status).toBe(200);
    await pg.cut();

    const body = customerBody();
    await expectUnavailable(() => create(body), 'database_unavailable');
    await expectUnavailable(list, 'database_unavailable');
    // Which dependency is down, and nothing of the error (no host, port or message).
    const h = await timed(health);
    expect(h.res.status).toBe(503);
    expect(h.res.headers['retry-after']).toBe('5');
    expect(h.res.body).toEqual({ status: 'degraded', postgres: 'down', temporal: 'ok' });
    expect(h.ms).toBeLessThan(3_000);
    // Seconds of outage with requests coming in: the client's back-off between connection attempts grows with
    // each failure (by default to 20 s), and each answer must still come within 3 s.
    await keepAsking(5_000, () => expectUnavailable(list, 'database_unavailable'));

    await pg.restore();
    expect(await msUntil(list, 200)).toBeLessThan(5_000);
    expect((await create()).status).toBe(201);
    expect((await health()).body).toEqual({ status: 'ok', postgres: 'ok', temporal: 'ok' });
    expect(await customersWithEmail(body.contact.email)).toBe(0);
  });

  it('Temporal down: a create answers 503 temporal_unavailable within 3 s and leaves no row; lists still answer', async () => {
    expect((await create()).status).toBe(201);
    await tp.cut();

    const body = customerBody();
    await expectUnavailable(() => create(body), 'temporal_unavailable');
    expect(await customersWithEmail(body.contact.email)).toBe(0);
    // Lists come from Postgres alone.
    const l = await timed(list);
    expect(l.res.status).toBe(200);
    expect(l.ms).toBeLessThan(1_000);
    const h = await timed(health);
    expect(h.res.status).toBe(503);
    expect(h.res.body).toEqual({ status: 'degraded', postgres: 'ok', temporal: 'down' });
    expect(h.ms).toBeLessThan(3_000);
    // Long enough for gRPC's default reconnection back-off (1 s, x1.6 each time, up to 2 min) to pass 5 s.
    await keepAsking(8_000, () => expectUnavailable(() => create(), 'temporal_unavailable'));

    await tp.restore();
    expect(await msUntil(() => create(), 201)).toBeLessThan(5_000);
    expect((await health()).body).toEqual({ status: 'ok', postgres: 'ok', temporal: 'ok' });
    // The create refused during the outage, sent again, is made once.
    expect((await create(body)).status).toBe(201);
    expect(await customersWithEmail(body.contact.email)).toBe(1);
  });

  it('issue 11: with no worker to run it, a change to a lifecycle answers 503 lifecycle_not_answering within its 15 s deadline, never holding the request', async () => {
    const made = await create();
    expect(made.status).toBe(201);
    // This file runs no worker: the invitation run exists, but nothing can take the delete's update.
    const started = Date.now();
    const res = await auth(request(baseUrl).delete(`/v1/customers/${made.body.id}`));
    const ms = Date.now() - started;
    expect({ status: res.status, code: res.body.error?.code, retryAfter: res.headers['retry-after'] }).toEqual({
      status: 503,
      code: 'lifecycle_not_answering',
      retryAfter: '5',
    });
    expect(ms).toBeGreaterThanOrEqual(14_000);
    expect(ms).toBeLessThan(20_000);
  }, 30_000);
});
