// Creating a lifecycle (issue 9, goal 1): POST /v1/customers against the floor of starting anything, the bare
// Temporal client's workflow.start, in one run on one server:
//   1. where the time of one create goes, piece by piece, one request at a time;
//   2. an open loop at a fixed offered rate (50 a second): latency counted from when each request was due, so a
//      slow answer delays nothing and hides nothing (no coordinated omission);
//   3. a closed loop at concurrency 10, rounds alternating (ABBA): the sustained capacity of each path;
//   4. the other creating endpoints, one at a time.
// The worker and the API each run in their own process, as in production, so neither's work sits on the
// bench client's event loop.
import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { invitationStart } from '../api/customers/lifecycle';
import { startOptions } from '../api/http/lifecycles';
import { loadCatalog } from '../db/catalog';
import { customerDetails, newReseller } from '../test/helpers/fixtures';
import { cpuMsBetween, cpuSnapshot, PROCESS_KINDS, type ProcessKind } from './cpu';
import { envInt, type Figure, ms, percentile, recordFigures, runConcurrent, summarize, table } from './lib';
import { type BenchStack, startBenchStack } from './stack';

const RATE = envInt('BENCH_CREATE_RATE', 50);
const SECONDS = envInt('BENCH_CREATE_SECONDS', 20);
const N = envInt('BENCH_N', 400);
const CONCURRENCY = envInt('BENCH_CONCURRENCY', 10);
const ROUNDS = Math.min(envInt('BENCH_ROUNDS', 4), N);
const PIECES = envInt('BENCH_CREATE_PIECES', 100);
const CORES = availableParallelism();

type Path = 'api' | 'bare';

async function main(): Promise<void> {
  const stack = await startBenchStack({ worker: 'process', api: 'process' });
  try {
    await run(stack);
  } finally {
    await stack.stop();
  }
}

/** Fires `op` at `rate` a second for `seconds`; each latency runs from the moment the request was due. */
async function openLoop(rate: number, seconds: number, op: () => Promise<void>) {
  const latencies: number[] = [];
  const errors: string[] = [];
  const inFlight: Promise<void>[] = [];
  const interval = 1000 / rate;
  const t0 = performance.now() + 20;
  for (let i = 0; i < rate * seconds; i++) {
    const due = t0 + i * interval;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    inFlight.push(
      op().then(
        () => void latencies.push(performance.now() - due),
        (err: Error) => void errors.push(err.message),
      ),
    );
  }
  await Promise.all(inFlight);
  return { latencies, errors };
}

async function run(stack: BenchStack): Promise<void> {
  const { sql, temporal, config, baseUrl } = stack;
  await loadCatalog(sql);
  const reseller = await newReseller(sql);
  const headers = { authorization: `Bearer ${reseller.apiKey}`, 'content-type': 'application/json' };

  const post = async (path: string, body: unknown): Promise<Record<string, unknown>> => {
    const res = await fetch(`${baseUrl}${path}`, {
      method: 'POST',
      headers: { ...headers, 'idempotency-key': randomUUID() },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status !== 201 && res.status !== 202) throw new Error(`POST ${path} answered ${res.status}: ${text}`);
    return JSON.parse(text) as Record<string, unknown>;
  };
  // The fixture's null fields are left out, as a portal would.
  const customerBody = () => {
    const c = customerDetails();
    const { addressLine2: _a, taxId: _t, anniversaryDate: _d, ...body } = c;
    return body;
  };
  const apiOp = async (): Promise<void> => void (await post('/v1/customers', customerBody()));
  /** One create with the API's own account of it (Server-Timing: check, claim, store, start, commit). */
  const apiTimed = async (): Promise<{ total: number; phases: Record<string, number> }> => {
    const t = performance.now();
    const res = await fetch(`${baseUrl}/v1/customers`, {
      method: 'POST',
      headers: { ...headers, 'idempotency-key': randomUUID() },
      body: JSON.stringify(customerBody()),
    });
    await res.text();
    const total = performance.now() - t;
    if (res.status !== 201) throw new Error(`POST /v1/customers answered ${res.status}`);
    const phases = Object.fromEntries(
      (res.headers.get('server-timing') ?? '').split(',').map((p) => {
        const [name, dur] = p.trim().split(';dur=');
        return [name as string, Number(dur)];
      }),
    );
    return { total, phases };
  };
  // The same workflow, id scheme and options as the API's (startOptions): the floor under any create.
  const bareInput = () => ({
    customerId: randomUUID(),
    resellerId: reseller.resellerId,
    invitedBy: reseller.userId,
    customer: customerDetails(),
    reminderSchedule: config.INVITATION_REMINDERS,
  });
  const bareOp = async (): Promise<void> => {
    const start = invitationStart(bareInput());
    await temporal.workflow.start(start.workflowType, startOptions(config, start));
  };
  const ops: Record<Path, () => Promise<void>> = { api: apiOp, bare: bareOp };

  // Warm-up (not counted): connections, JIT, the worker's first tasks.
  for (const path of ['api', 'bare'] as const) await runConcurrent(20, CONCURRENCY, ops[path]);

  // 1. Where the time of one create goes: the API's own account of each request (Server-Timing), the rest being
  // HTTP, auth, validation and JSON; beside it, a bare workflow.start under the same load, the floor.
  const PHASES = ['check', 'claim', 'store', 'start', 'commit'] as const;
  const piece: Record<string, number[]> = {
    api: [],
    rest: [],
    bare: [],
    ...Object.fromEntries(PHASES.map((p) => [p, []])),
  };
  for (let i = 0; i < PIECES; i++) {
    const { total, phases } = await apiTimed();
    piece.api!.push(total);
    for (const p of PHASES) piece[p]!.push(phases[p] ?? 0);
    piece.rest!.push(total - PHASES.reduce((sum, p) => sum + (phases[p] ?? 0), 0));
    piece.bare!.push(await timedMs(bareOp));
  }
  const p50 = (k: string) => percentile(piece[k]!, 50);
  const p95 = (k: string) => percentile(piece[k]!, 95);
  const rest = p50('rest');
  console.log(`\n1. One create at a time (${PIECES}), from the API's Server-Timing header:`);
  console.log(
    table([
      ['phase', 'p50 ms', 'p95 ms'],
      ['POST /v1/customers, as the client saw it', ms(p50('api')), ms(p95('api'))],
      ["  check (the route's own checks before the key is claimed)", ms(p50('check')), ms(p95('check'))],
      ['  claim the Idempotency-Key (one INSERT … ON CONFLICT)', ms(p50('claim')), ms(p95('claim'))],
      ['  store: BEGIN, customer + VIP id + audit, read back', ms(p50('store')), ms(p95('store'))],
      ['  workflow.start (the server has the run; no workflow task awaited)', ms(p50('start')), ms(p95('start'))],
      ['  COMMIT', ms(p50('commit')), ms(p95('commit'))],
      ['  the rest: HTTP both ways, auth, zod, JSON, logging', ms(rest), ms(p95('rest'))],
      ['bare workflow.start alone, just after each (the floor)', ms(p50('bare')), ms(p95('bare'))],
    ]),
  );
  await settle(stack);

  // 2. Open loop at the offered rate.
  const open: Record<Path, Awaited<ReturnType<typeof openLoop>>> = {
    api: await openLoop(RATE, SECONDS, apiOp),
    bare: { latencies: [], errors: [] },
  };
  await settle(stack);
  open.bare = await openLoop(RATE, SECONDS, bareOp);
  await settle(stack);
  console.log(`\n2. Open loop: ${RATE} requests a second offered for ${SECONDS} s, latency from when each was due:`);
  console.log(
    table([
      ['path', 'sent', 'failed', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms'],
      ...(['api', 'bare'] as const).map((p) => [
        p === 'api' ? 'POST /v1/customers' : 'bare workflow.start',
        open[p].latencies.length + open[p].errors.length,
        open[p].errors.length,
        ms(percentile(open[p].latencies, 50)),
        ms(percentile(open[p].latencies, 95)),
        ms(percentile(open[p].latencies, 99)),
        ms(percentile(open[p].latencies, 100)),
      ]),
    ]),
  );
  for (const e of open.api.errors.slice(0, 3)) console.log(`  api error: ${e}`);

  // 3. Closed loop: the sustained capacity of each path, alternating rounds so drift hits both alike.
  // Beside each path's rate, the CPU its creates cost every process until the worker has caught up with them.
  const latencies: Record<Path, number[]> = { api: [], bare: [] };
  const wall: Record<Path, number> = { api: 0, bare: 0 };
  const zero = () => Object.fromEntries(PROCESS_KINDS.map((k) => [k, 0])) as Record<ProcessKind, number>;
  const cpu: Record<Path, Record<ProcessKind, number>> = { api: zero(), bare: zero() };
  for (let r = 0; r < ROUNDS; r++) {
    const count = Math.floor((N * (r + 1)) / ROUNDS) - Math.floor((N * r) / ROUNDS);
    for (const path of (r % 2 === 0 ? ['api', 'bare'] : ['bare', 'api']) as Path[]) {
      const before = cpuSnapshot();
      const result = await runConcurrent(count, CONCURRENCY, ops[path]);
      latencies[path].push(...result.latencies);
      wall[path] += result.wallMs;
      await settle(stack);
      const spent = cpuMsBetween(before, cpuSnapshot());
      for (const k of PROCESS_KINDS) cpu[path][k] += spent[k];
    }
  }
  const cpuPerCreate = (path: Path, k: ProcessKind) => cpu[path][k] / N;
  const cpuTotal = (path: Path) =>
    PROCESS_KINDS.filter((k) => k !== 'other').reduce((a, k) => a + cpuPerCreate(path, k), 0);
  const perSecond = { api: (N / wall.api) * 1000, bare: (N / wall.bare) * 1000 };
  const closed = { api: summarize(latencies.api), bare: summarize(latencies.bare) };
  console.log(`\n3. Closed loop: ${N} creates per path at concurrency ${CONCURRENCY}, ${ROUNDS} rounds (ABBA):`);
  console.log(
    table([
      ['path', 'per second', 'p50 ms', 'p95 ms'],
      ...(['api', 'bare'] as const).map((p) => [p, perSecond[p].toFixed(1), ms(closed[p].p50), ms(closed[p].p95)]),
    ]),
  );

  console.log(
    `\n   CPU per create, every process until the worker has caught up (${CORES} cores: the rate they allow):`,
  );
  console.log(
    table([
      ['process', 'api ms', 'bare ms'],
      ...PROCESS_KINDS.map((k) => [k, ms(cpuPerCreate('api', k)), ms(cpuPerCreate('bare', k))]),
      ['total (without other)', ms(cpuTotal('api')), ms(cpuTotal('bare'))],
      [
        `creates a second ${CORES} cores allow`,
        ((CORES * 1000) / cpuTotal('api')).toFixed(1),
        ((CORES * 1000) / cpuTotal('bare')).toFixed(1),
      ],
    ]),
  );

  // 4. The other creating endpoints, each one at a time on a customer of its own.
  const others = await otherCreates(post, customerBody);
  console.log('\n4. The other creating endpoints, one at a time:');
  console.log(
    table([
      ['endpoint', 'n', 'p50 ms', 'p95 ms'],
      ...others.map((o) => [
        o.path,
        o.latencies.length,
        ms(percentile(o.latencies, 50)),
        ms(percentile(o.latencies, 95)),
      ]),
    ]),
  );

  const figures: Figure[] = [
    { name: 'create.customer.p99_ms_at_50rps', value: percentile(open.api.latencies, 99), unit: 'ms', goal: '<= 50' },
    { name: 'create.customer.failed_at_50rps', value: open.api.errors.length, unit: 'requests', goal: '<= 0' },
    { name: 'create.customer.p50_ms_at_50rps', value: percentile(open.api.latencies, 50), unit: 'ms', goal: null },
    { name: 'create.bare_start.p99_ms_at_50rps', value: percentile(open.bare.latencies, 99), unit: 'ms', goal: null },
    { name: 'create.customer.api_vs_bare_start', value: perSecond.api / perSecond.bare, unit: 'x', goal: '>= 0.8' },
    { name: 'create.customer.per_s_concurrency_10', value: perSecond.api, unit: '/s', goal: null },
    { name: 'create.bare_start.per_s_concurrency_10', value: perSecond.bare, unit: '/s', goal: null },
    ...(['api', 'bare'] as const).flatMap((path) => [
      ...PROCESS_KINDS.map((k) => ({
        name: `create.cpu_ms_per_create.${path}.${k.replace(/[^a-z]+/g, '_')}`,
        value: cpuPerCreate(path, k),
        unit: 'ms',
        goal: null,
      })),
      { name: `create.cpu_ms_per_create.${path}.total`, value: cpuTotal(path), unit: 'ms', goal: null },
      {
        name: `create.cpu_bound_per_s.${path}`,
        value: (CORES * 1000) / cpuTotal(path),
        unit: '/s',
        goal: null,
      },
    ]),
    ...['claim', 'store', 'start', 'commit', 'rest', 'bare'].map((k) => ({
      name: `create.breakdown.${k}_p50_ms`,
      value: p50(k),
      unit: 'ms',
      goal: null,
    })),
    ...others.map((o) => ({
      name: `create.${o.name}.p95_ms`,
      value: percentile(o.latencies, 95),
      unit: 'ms',
      goal: '<= 50',
    })),
  ];
  await recordFigures('create-at-rate', figures);
}

async function timedMs(op: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await op();
  return performance.now() - t;
}

const OTHERS = envInt('BENCH_CREATE_OTHERS', 30);

/** Orders, trials, purchase authorizations and subscriptions, each on a fresh customer, one at a time. */
async function otherCreates(
  post: (path: string, body: unknown) => Promise<Record<string, unknown>>,
  customerBody: () => Record<string, unknown>,
) {
  const order = (customerId: string, kind: 'order' | 'trial') => ({
    customerId,
    kind,
    priceList: 'USD',
    subscriptionType: 'saas-monthly',
    plan: 'production',
    drivers: ['hp-latex-800', 'summa-s2'],
  });
  const cases = [
    { name: 'order', path: 'POST /v1/orders', make: (c: string) => post('/v1/orders', order(c, 'order')) },
    { name: 'trial', path: 'POST /v1/orders (trial)', make: (c: string) => post('/v1/orders', order(c, 'trial')) },
    {
      name: 'purchase_authorization',
      path: 'POST /v1/purchase-authorizations',
      make: (c: string) =>
        post('/v1/purchase-authorizations', { customerId: c, product: 'Creative Cloud All Apps', quantity: 4 }),
    },
    {
      name: 'subscription',
      path: 'POST /v1/subscriptions',
      make: (c: string) =>
        post('/v1/subscriptions', {
          customerId: c,
          product: 'signatures-microsoft-365',
          companyName: 'Bench Co',
          users: 25,
          customerCanEditSignatures: false,
        }),
    },
  ];
  const results: { name: string; path: string; latencies: number[] }[] = [];
  for (const c of cases) {
    const latencies: number[] = [];
    for (let i = 0; i < OTHERS; i++) {
      const customer = await post('/v1/customers', customerBody());
      latencies.push(await timedMs(() => c.make(customer.id as string)));
    }
    results.push({ name: c.name, path: c.path, latencies });
  }
  return results;
}

/** Waits until the worker has caught up with the runs started (their first task done), so phases don't overlap. */
async function settle(stack: BenchStack): Promise<void> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    const open = await stack.temporal.workflow.count(
      `TaskQueue = '${stack.config.TEMPORAL_TASK_QUEUE}' AND LifecycleStatus = 'started'`,
    );
    if (open.count === 0) return;
    if (Date.now() > deadline) throw new Error(`${open.count} runs still not started after 180 s`);
    await sleep(200);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
