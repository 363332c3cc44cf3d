// Creating customer invitations through the HTTP API versus the bare Temporal client (start + the
// registration update), in alternating rounds, so the ratio survives the drift of a shared machine.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { startInvitation } from '../api/customers/lifecycle';
import { customerDetails, newReseller } from '../test/helpers/fixtures';
import { envInt, mib, ms, ratio, recordResults, runConcurrent, summarize, table } from './lib';
import { startBenchStack, type BenchStack } from './stack';

const N = envInt('BENCH_N', 200);
const CONCURRENCY = envInt('BENCH_CONCURRENCY', 10);
const ROUNDS = Math.min(envInt('BENCH_ROUNDS', 4), N);
const WARMUP = Math.min(envInt('BENCH_WARMUP', 10), N);

type Path = 'api' | 'bare';

async function main(): Promise<void> {
  const rssAtStart = process.memoryUsage().rss;
  const stack = await startBenchStack();
  try {
    await run(stack, rssAtStart);
  } finally {
    await stack.stop();
  }
}

async function run(stack: BenchStack, rssAtStart: number): Promise<void> {
  const { sql, temporal, config, baseUrl } = stack;
  const reseller = await newReseller(sql);

  // The API's request body; the fixture's null fields are simply left out, as a portal would.
  const apiOp = async (): Promise<void> => {
    const c = customerDetails();
    const res = await fetch(`${baseUrl}/v1/customers`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${reseller.apiKey}`,
        'content-type': 'application/json',
        'idempotency-key': randomUUID(),
      },
      body: JSON.stringify({
        organizationName: c.organizationName,
        organizationNameAscii: c.organizationNameAscii,
        marketSegment: c.marketSegment,
        type: c.type,
        country: c.country,
        addressLine1: c.addressLine1,
        city: c.city,
        postalCode: c.postalCode,
        contact: c.contact,
      }),
    });
    const body = await res.text();
    if (res.status !== 201) throw new Error(`POST /v1/customers answered ${res.status}: ${body}`);
  };

  // startInvitation is the API's own update-with-start (USE_EXISTING, REJECT_DUPLICATE,
  // search attributes): the same options by construction, with no HTTP, auth or SQL around it.
  const bareOp = async (): Promise<void> => {
    await startInvitation(temporal, config, {
      customerId: randomUUID(),
      resellerId: reseller.resellerId,
      invitedBy: reseller.userId,
      customer: customerDetails(),
      reminderSchedule: config.INVITATION_REMINDERS,
    });
  };
  const ops: Record<Path, () => Promise<void>> = { api: apiOp, bare: bareOp };

  // Each invitation keeps working after it answers (the email); waiting for those between phases
  // keeps one path's tail from slowing the other's start.
  const sentInvitations = async (): Promise<number> => {
    const [row] = await sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM email_log WHERE status = 'sent' AND idempotency_key LIKE 'invitation:%/invitation/1'`;
    return row?.n ?? 0;
  };
  const baseline = await sentInvitations();
  let created = 0;
  const settle = async (): Promise<void> => {
    const deadline = Date.now() + 120_000;
    while ((await sentInvitations()) - baseline < created) {
      if (Date.now() > deadline) throw new Error(`invitation emails did not catch up within 120 s`);
      await sleep(50);
    }
  };

  // Warm-up (not counted): connections, JIT, the worker's first workflow tasks.
  for (const path of ['api', 'bare'] as const) {
    await runConcurrent(WARMUP, CONCURRENCY, ops[path]);
    created += WARMUP;
  }
  await settle();

  const rssBefore = process.memoryUsage();
  const latencies: Record<Path, number[]> = { api: [], bare: [] };
  const wall: Record<Path, number> = { api: 0, bare: 0 };
  const roundRows: (string | number)[][] = [['round', 'order', 'ops', 'api ops/s', 'bare ops/s', 'api/bare ops/s']];
  for (let r = 0; r < ROUNDS; r++) {
    // The rounds split N exactly; the order alternates (ABBA) so neither path always goes first.
    const count = Math.floor((N * (r + 1)) / ROUNDS) - Math.floor((N * r) / ROUNDS);
    const order: Path[] = r % 2 === 0 ? ['api', 'bare'] : ['bare', 'api'];
    const perRound: Partial<Record<Path, number>> = {};
    for (const path of order) {
      const result = await runConcurrent(count, CONCURRENCY, ops[path]);
      created += count;
      latencies[path].push(...result.latencies);
      wall[path] += result.wallMs;
      perRound[path] = (count / result.wallMs) * 1000;
      await settle();
    }
    roundRows.push([
      String(r + 1),
      order.join(','),
      count,
      perRound.api!.toFixed(1),
      perRound.bare!.toFixed(1),
      ratio(perRound.api!, perRound.bare!),
    ]);
  }
  const rssAfter = process.memoryUsage();

  const s = { api: summarize(latencies.api), bare: summarize(latencies.bare) };
  const throughput = { api: (N / wall.api) * 1000, bare: (N / wall.bare) * 1000 };
  console.log(
    `\nBench: create ${N} invitations per path, concurrency ${CONCURRENCY}, ${ROUNDS} rounds (alternating order), ${WARMUP} warm-up each`,
  );
  console.log(
    '  api  = POST /v1/customers over HTTP (auth, zod, Idempotency-Key, start + registration update, read back)',
  );
  console.log("  bare = client.workflow.start (the API's options) + executeUpdate(registrationUpdate)\n");
  console.log(table(roundRows));
  console.log('');
  console.log(
    table([
      ['path', 'ops', 'p50 ms', 'p95 ms', 'mean ms', 'ops/s'],
      ...(['api', 'bare'] as const).map((p) => [
        p,
        s[p].n,
        ms(s[p].p50),
        ms(s[p].p95),
        ms(s[p].mean),
        throughput[p].toFixed(1),
      ]),
    ]),
  );
  console.log('');
  console.log(
    table([
      ['memory (this process)', 'rss', 'heap used'],
      ['at start (before the stack)', mib(rssAtStart), '-'],
      ['before the measured rounds', mib(rssBefore.rss), mib(rssBefore.heapUsed)],
      ['after the measured rounds', mib(rssAfter.rss), mib(rssAfter.heapUsed)],
      ['delta over the rounds', mib(rssAfter.rss - rssBefore.rss), mib(rssAfter.heapUsed - rssBefore.heapUsed)],
    ]),
  );
  console.log('');
  console.log(`ratio api/bare p50: ${ratio(s.api.p50, s.bare.p50)}`);
  console.log(`ratio api/bare p95: ${ratio(s.api.p95, s.bare.p95)}`);
  console.log(`ratio api/bare throughput: ${ratio(throughput.api, throughput.bare)}`);
  await recordResults('api-vs-client', {
    apiP50Ms: s.api.p50,
    apiP95Ms: s.api.p95,
    bareP50Ms: s.bare.p50,
    bareP95Ms: s.bare.p95,
    ratioP50: s.api.p50 / s.bare.p50,
    ratioP95: s.api.p95 / s.bare.p95,
    ratioThroughput: throughput.api / throughput.bare,
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
