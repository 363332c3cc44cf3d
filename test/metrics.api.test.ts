import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { type AddressInfo, createServer } from 'node:net';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { Client } from '@temporalio/client';
import pino from 'pino';
import request from 'supertest';
import { createApp } from '../api/app';
import { createHttpMetrics, type HttpMetrics, serveMetrics } from '../api/http/metrics';
import { createTemporalClient } from '../api/temporal';
import type { Config } from '../config';
import { invitationWorkflowId } from '../workflows/definitions';
import { testContext } from './helpers/env';
import { customerBody, newReseller, type Reseller } from './helpers/fixtures';
import { eventually, TEST_BUNDLE_PATH } from './helpers/temporal';

// Issue 11, observability: the API's requests by route template and status on its own metrics port, the worker's
// runtime metrics and lifecycle counters on its, and the workflow id on the log line of every request touching one.
// The worker runs as production runs it (worker/main.ts in its own process: the Temporal runtime, with its
// Prometheus exporter, is made once per process), on a task queue of this file's.

const ROOT = path.join(__dirname, '..');
const ctx = testContext();
const taskQueue = `metrics-${randomUUID()}`;
const config: Config = { ...ctx.config, TEMPORAL_TASK_QUEUE: taskQueue };

/** Every line the API logs, parsed. */
const logLines: Record<string, unknown>[] = [];
const logSink = new Writable({
  write(chunk, _encoding, done) {
    for (const line of String(chunk).split('\n').filter(Boolean)) logLines.push(JSON.parse(line));
    done();
  },
});

let temporal: Client;
let metrics: HttpMetrics;
let app: ReturnType<typeof createApp>;
let metricsServer: Server;
let apiMetricsUrl: string;
let worker: ChildProcess;
let workerOutput = '';
let workerMetricsUrl: string;
let reseller: Reseller;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function scrape(url: string): Promise<string> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  return res.text();
}

/** The value of one series (`name{labels}`, labels in any order) in a Prometheus text exposition; 0 if absent. */
function sample(text: string, name: string, labels: Record<string, string>): number {
  for (const line of text.split('\n')) {
    const m = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return 0;
}

beforeAll(async () => {
  const workerPort = await freePort();
  workerMetricsUrl = `http://127.0.0.1:${workerPort}/metrics`;
  worker = spawn(process.execPath, ['--import', 'tsx', 'worker/main.ts'], {
    cwd: ROOT,
    // The test run's database, Temporal and mail catcher (scripts/test exports them), on this file's queue.
    env: {
      ...process.env,
      TEMPORAL_TASK_QUEUE: taskQueue,
      WORKFLOW_BUNDLE_PATH: TEST_BUNDLE_PATH,
      WORKER_METRICS_PORT: String(workerPort),
      METRICS_HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  worker.stdout?.on('data', (d) => {
    workerOutput += d;
  });
  worker.stderr?.on('data', (d) => {
    workerOutput += d;
  });

  temporal = await createTemporalClient(config);
  metrics = createHttpMetrics();
  app = createApp({ sql: ctx.sql, temporal, config, logger: pino({ level: 'info' }, logSink), metrics });
  metricsServer = await serveMetrics(metrics.registry, 0, '127.0.0.1');
  apiMetricsUrl = `http://127.0.0.1:${(metricsServer.address() as AddressInfo).port}/metrics`;
  reseller = await newReseller(ctx.sql);
  // The worker is up once its runtime answers.
  await eventually(async () => {
    if (worker.exitCode !== null) throw new Error(`the worker exited ${worker.exitCode}: ${workerOutput}`);
    expect(sample(await scrape(workerMetricsUrl), 'temporal_num_pollers', { task_queue: taskQueue })).toBeGreaterThan(
      0,
    );
  }, 30_000);
});

afterAll(async () => {
  const exited = new Promise((resolve) => worker.once('exit', resolve));
  if (worker.exitCode === null) worker.kill('SIGTERM');
  await exited;
  await new Promise((resolve) => metricsServer.close(resolve));
  await temporal.connection.close();
  await ctx.sql.end();
});

const as = (r: request.Test) => r.set('authorization', `Bearer ${reseller.apiKey}`);

describe('issue 11: metrics and logs for operators', () => {
  let customerId: string;

  it('counts and times API requests by method, route template and status, never by raw URL', async () => {
    const created = await as(request(app).post('/v1/customers')).send(customerBody());
    expect(created.status).toBe(201);
    customerId = created.body.id;
    expect((await as(request(app).get(`/v1/customers/${customerId}`))).status).toBe(200);
    const unknown = randomUUID();
    expect((await as(request(app).get(`/v1/customers/${unknown}`))).status).toBe(404);
    expect((await as(request(app).get('/v1/customers'))).status).toBe(200);
    expect((await request(app).get('/v1/customers')).status).toBe(401);
    expect((await request(app).get(`/no/such/${unknown}`)).status).toBe(404);
    // The overview page's static files, under one name; /portal itself redirects to /portal/.
    expect((await request(app).get('/portal/')).status).toBe(200);
    expect((await request(app).get('/portal/portal.js')).status).toBe(200);
    expect((await request(app).get('/portal')).headers.location).toBe('/portal/');

    const text = await scrape(apiMetricsUrl);
    const count = (method: string, route: string, status: string) =>
      sample(text, 'http_requests_total', { method, route, status });
    expect(count('POST', '/v1/customers', '201')).toBe(1);
    expect(count('GET', '/v1/customers/:id', '200')).toBe(1);
    expect(count('GET', '/v1/customers/:id', '404')).toBe(1);
    expect(count('GET', '/v1/customers', '200')).toBe(1);
    // Refused before any route ran (no key), or no route at all: one fixed label, however many URLs.
    expect(count('GET', 'unmatched', '401')).toBe(1);
    expect(count('GET', 'unmatched', '404')).toBe(1);
    expect(count('GET', '/portal/*', '200')).toBe(2);
    expect(count('GET', '/portal/*', '301')).toBe(1);
    const latency = { method: 'POST', route: '/v1/customers', status: '201' };
    expect(sample(text, 'http_request_duration_seconds_count', latency)).toBe(1);
    expect(sample(text, 'http_request_duration_seconds_bucket', { ...latency, le: '+Inf' })).toBe(1);
    expect(sample(text, 'http_request_duration_seconds_sum', latency)).toBeGreaterThan(0);
    // No id in any label: one series per route, not per customer.
    expect(text).not.toContain(customerId);
    expect(text).not.toContain(unknown);
    // The process's own metrics beside them.
    expect(sample(text, 'process_cpu_user_seconds_total', {})).toBeGreaterThan(0);
    expect(sample(text, 'nodejs_heap_size_used_bytes', {})).toBeGreaterThan(0);
  });

  it('serves the metrics on their own port only: not on the API, not in its OpenAPI document', async () => {
    expect((await request(app).get('/metrics')).status).toBe(404);
    const doc = await request(app).get('/openapi.json');
    expect(Object.keys(doc.body.paths)).not.toContain('/metrics');
    expect((await fetch(apiMetricsUrl.replace('/metrics', '/other'))).status).toBe(404);
  });

  it('puts the workflow id on the log line of every request that touched a workflow (start, query, update)', async () => {
    expect((await as(request(app).delete(`/v1/customers/${customerId}`))).status).toBe(204);
    const workflowId = invitationWorkflowId(customerId);
    const accessLine = (method: string, path: string) =>
      logLines.find((l) => {
        const req = l.req as { method?: string; path?: string } | undefined;
        return req?.method === method && req.path === path && l.res !== undefined;
      });
    // The create (a start), the details (a query of the running invitation) and the delete (an update).
    expect(accessLine('POST', '/v1/customers')?.workflowId).toBe(workflowId);
    expect(accessLine('GET', `/v1/customers/${customerId}`)?.workflowId).toBe(workflowId);
    expect(accessLine('DELETE', `/v1/customers/${customerId}`)?.workflowId).toBe(workflowId);
    // A list from Postgres touches no workflow, and says none.
    const list = accessLine('GET', '/v1/customers');
    expect(list).toBeDefined();
    expect(list).not.toHaveProperty('workflowId');
  });

  it("the worker's /metrics: the Temporal SDK's runtime metrics and the lifecycle counters by lifecycle and outcome", async () => {
    const runs = (text: string, outcome: string) =>
      sample(text, 'lifecycle_runs_total', { lifecycle: 'invitation', outcome, taskQueue });
    // The invitation started by the create above, and ended by its deletion.
    await eventually(async () => {
      const text = await scrape(workerMetricsUrl);
      expect(runs(text, 'started')).toBe(1);
      expect(runs(text, 'completed')).toBe(1);
    });
    const text = await scrape(workerMetricsUrl);
    expect(runs(text, 'failed')).toBe(0);
    expect(sample(text, 'temporal_workflow_completed', { task_queue: taskQueue })).toBe(1);
    const tasks = { task_queue: taskQueue, workflow_type: 'invitationWorkflow' };
    expect(sample(text, 'temporal_workflow_task_execution_latency_count', tasks)).toBeGreaterThan(0);
  });
});
