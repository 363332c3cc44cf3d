// Scale of open lifecycles (issue 9, goal 3): N invitations created through the API and left pending on their
// reminder timers, with the worker in a process of its own and the dev server on SQLite. Measures the creation
// time and rate, the worker's memory (now and peak, from /proc), the dev server's SQLite size, and how late the
// first reminder of a sample of them goes out once all N are open.
//
// BENCH_OPEN_N (10000; `--100k` for 100000), BENCH_OPEN_CONCURRENCY (20 requests in flight), BENCH_OPEN_SAMPLE
// (50), BENCH_OPEN_REMINDER_AFTER (the first reminder, counted from the invitation email; by default long enough
// for all N to be created first), BENCH_OPEN_TEMPORAL_DB (the dev server's SQLite file, for its size).
// The worker's cache: WORKER_MAX_CACHED_WORKFLOWS, WORKER_MAX_CONCURRENT_WORKFLOW_TASKS (config/index.ts).
import { randomUUID } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { invitationWorkflowId } from '../workflows/definitions';
import { customerDetails, newReseller } from '../test/helpers/fixtures';
import { envInt, type Figure, mib, percentile, recordFigures, runConcurrent, table } from './lib';
import { startBenchStack, type BenchStack } from './stack';

const N = process.argv.includes('--100k') ? 100_000 : envInt('BENCH_OPEN_N', 10_000);
const CONCURRENCY = envInt('BENCH_OPEN_CONCURRENCY', 20);
const SAMPLE = Math.min(envInt('BENCH_OPEN_SAMPLE', 50), N);
// A guess of the creation rate on this 2-core machine, only to place the first reminder after the last creation;
// the run says when it was wrong (set BENCH_OPEN_REMINDER_AFTER then).
const RATE_GUESS_PER_S = 40;
const REMINDER_AFTER =
  process.env.BENCH_OPEN_REMINDER_AFTER || `${Math.max(60, Math.ceil((N / RATE_GUESS_PER_S) * 1.25) + 30)} seconds`;
// The later reminders keep every invitation pending on a timer for the rest of the run.
const REMINDERS = [REMINDER_AFTER, '30 days', '60 days'];
// MailDev keeps every email in memory (and on disk): it is emptied every so many creations, while no sample
// reminder can have arrived yet.
const PURGE_EVERY = 2_000;
const REMINDER_TIMEOUT_MS = envInt('BENCH_OPEN_REMINDER_TIMEOUT_S', 300) * 1000;
const SQLITE_DB = process.env.BENCH_OPEN_TEMPORAL_DB || null;

// Figures are named by their scale: _10k, _100k (or _500 for a trial run).
const LABEL = N % 1000 === 0 ? `${N / 1000}k` : String(N);
// Goal at 100k: 1 GB. At 10k, half that: an open invitation sleeping on a timer should cost the worker next to
// nothing once it left the sticky cache, so 10x the lifecycles may not take more than 2x the memory.
const RSS_GOAL = N > 10_000 ? '<= 1024' : '<= 512';
// A reminder is due on a day; on time here means the worker keeps up with its timers: within seconds.
const LATE_GOAL = '<= 10';

interface Sampled {
  customerId: string;
  email: string;
  dueAt: number;
}

async function main(): Promise<void> {
  const started = performance.now();
  const stack = await startBenchStack({
    worker: 'process',
    env: { INVITATION_REMINDERS: REMINDERS.join(',') },
  });
  try {
    await run(stack, started);
  } finally {
    await stack.stop();
  }
}

async function run(stack: BenchStack, started: number): Promise<void> {
  const { sql, baseUrl, config } = stack;
  const worker = stack.workerProcess!;
  const mailUrl = config.MAIL_CATCHER_URL;
  const reseller = await newReseller(sql);
  const headers = { authorization: `Bearer ${reseller.apiKey}`, 'content-type': 'application/json' };
  const rssAtStart = await worker.rssMb();
  console.log(
    `Bench: ${N} open invitations, concurrency ${CONCURRENCY}, sample ${SAMPLE}, reminders ${REMINDERS.join(', ')}; ` +
      `worker pid ${worker.pid} (cache ${config.WORKER_MAX_CACHED_WORKFLOWS} workflows), RSS ${rssAtStart.toFixed(0)} MiB`,
  );

  // What a portal does: POST /v1/customers with an Idempotency-Key; answers once the customer is registered.
  const create = async (): Promise<{ customerId: string; email: string }> => {
    const c = customerDetails();
    const res = await fetch(`${baseUrl}/v1/customers`, {
      method: 'POST',
      headers: { ...headers, 'idempotency-key': randomUUID() },
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
    return { customerId: (JSON.parse(body) as { id: string }).id, email: c.contact.email };
  };
  const purgeMail = async () => {
    const res = await fetch(`${mailUrl}/email/all`, { method: 'DELETE' });
    if (!res.ok) throw new Error(`DELETE /email/all answered ${res.status}`);
  };

  // The sample first: its reminders then fall due after the last creation, with all N open.
  const sampleCreated: { customerId: string; email: string }[] = [];
  const sampleRun = await runConcurrent(SAMPLE, CONCURRENCY, async () => {
    sampleCreated.push(await create());
  });
  // Its due time as the workflow sets it, once the invitation email is out (GET /v1/customers/{id}, D7).
  const sample: Sampled[] = await Promise.all(
    sampleCreated.map(async ({ customerId, email }) => {
      for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(200)) {
        const res = await fetch(`${baseUrl}/v1/customers/${customerId}`, { headers });
        const body = (await res.json()) as { invitation: { nextReminderAt: string | null } | null };
        const next = body.invitation?.nextReminderAt;
        if (next) return { customerId, email, dueAt: Date.parse(next) };
      }
      throw new Error(`invitation of ${customerId} has no reminder scheduled after 60 s`);
    }),
  );
  const firstDue = Math.min(...sample.map((s) => s.dueAt));
  const lastDue = Math.max(...sample.map((s) => s.dueAt));
  const purgeIfSafe = async (): Promise<boolean> => {
    if (Date.now() > firstDue - 5_000) return false;
    await purgeMail();
    return true;
  };

  // Then the rest, reporting as it goes (a 100k run is long).
  const rest = N - SAMPLE;
  let created = 0;
  let purged = 0;
  const restStart = performance.now();
  const restRun = await runConcurrent(rest, CONCURRENCY, async () => {
    await create();
    created++;
    if (created % PURGE_EVERY === 0) {
      if (await purgeIfSafe()) purged = created;
      const s = (performance.now() - restStart) / 1000;
      console.log(
        `  ${SAMPLE + created}/${N} created in ${s.toFixed(0)} s (${(created / s).toFixed(1)}/s), ` +
          `worker RSS ${(await worker.rssMb()).toFixed(0)} MiB`,
      );
    }
  });
  const createMs = sampleRun.wallMs + restRun.wallMs;
  const latencies = [...sampleRun.latencies, ...restRun.latencies];
  const rssAfterCreate = await worker.rssMb();
  const createdAllAt = Date.now();

  // The worker goes on after each answer (the invitation email): wait until every invitation is out.
  const sentInvitations = async (): Promise<number> => {
    const [row] = await sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM email_log
      WHERE status = 'sent' AND idempotency_key LIKE 'invitation:%/invitation/1'`;
    return row?.n ?? 0;
  };
  for (const deadline = Date.now() + 600_000; (await sentInvitations()) < N; await sleep(500)) {
    if (Date.now() > deadline) throw new Error(`not all ${N} invitation emails went out within 600 s`);
  }
  const emailedAllMs = performance.now() - restStart;
  if (purged < created) await purgeIfSafe();
  const rssAfterEmails = await worker.rssMb();
  if (firstDue < createdAllAt)
    console.log(
      `  WARNING: the sample's first reminder fell due ${((createdAllAt - firstDue) / 1000).toFixed(0)} s before ` +
        `the last creation; set BENCH_OPEN_REMINDER_AFTER above ${(createMs / 1000).toFixed(0)} seconds`,
    );
  console.log(
    `  all ${N} created in ${(createMs / 1000).toFixed(1)} s, emailed after ${(emailedAllMs / 1000).toFixed(1)} s; ` +
      `sample reminders due in ${((firstDue - Date.now()) / 1000).toFixed(0)}..${((lastDue - Date.now()) / 1000).toFixed(0)} s`,
  );

  // Each sample reminder: when it was sent (email_log, ms) against when the workflow had it due; and that it arrived.
  const keys = sample.map((s) => `${invitationWorkflowId(s.customerId)}/reminder/scheduled/1`);
  const sentAt = new Map<string, number>();
  for (const deadline = lastDue + REMINDER_TIMEOUT_MS; sentAt.size < SAMPLE && Date.now() < deadline; ) {
    const rows = await sql<{ key: string; sentAt: Date }[]>`
      SELECT idempotency_key AS key, sent_at FROM email_log WHERE status = 'sent' AND idempotency_key IN ${sql(keys)}`;
    for (const r of rows) sentAt.set(r.key, r.sentAt.getTime());
    if (sentAt.size < SAMPLE) await sleep(500);
  }
  const inbox = (await (await fetch(`${mailUrl}/email`)).json()) as { to: { address: string }[]; subject: string }[];
  const remindedTo = new Set(inbox.flatMap((m) => m.to.map((t) => t.address.toLowerCase())));
  const arrived = sample.filter((s) => remindedTo.has(s.email.toLowerCase())).length;
  const lateS = sample.flatMap((s, i) => {
    const at = sentAt.get(keys[i]!);
    return at === undefined ? [] : [(at - s.dueAt) / 1000];
  });

  const rssEnd = await worker.rssMb();
  const peak = await worker.peakRssMb();
  let sqliteMb = Number.NaN;
  if (SQLITE_DB) {
    const size = async (f: string) => (await stat(f).catch(() => ({ size: 0 }))).size;
    sqliteMb = ((await size(SQLITE_DB)) + (await size(`${SQLITE_DB}-wal`))) / 1024 / 1024;
  }
  const totalS = (performance.now() - started) / 1000;

  console.log('');
  console.log(
    table([
      ['worker RSS', 'MiB'],
      ['at start', rssAtStart.toFixed(0)],
      ['all created', rssAfterCreate.toFixed(0)],
      ['all emailed', rssAfterEmails.toFixed(0)],
      ['sample reminded (end)', rssEnd.toFixed(0)],
      ['peak (VmHWM)', peak.toFixed(0)],
    ]),
  );
  console.log(
    `\ncreate: p50 ${percentile(latencies, 50).toFixed(0)} ms, p95 ${percentile(latencies, 95).toFixed(0)} ms; ` +
      `reminders sent ${lateS.length}/${SAMPLE}, arrived ${arrived}/${SAMPLE}; lateness (s) ` +
      `min ${Math.min(...lateS).toFixed(2)} p50 ${percentile(lateS, 50).toFixed(2)} max ${Math.max(...lateS).toFixed(2)}` +
      `${SQLITE_DB ? `; SQLite ${mib(sqliteMb * 1024 * 1024)}` : ''}; whole run ${totalS.toFixed(0)} s`,
  );

  const name = (f: string) => `open_lifecycles.${f}_${LABEL}`;
  const figures: Figure[] = [
    { name: name('create_s'), value: createMs / 1000, unit: 's', goal: null },
    { name: name('create_per_s'), value: (N / createMs) * 1000, unit: '/s', goal: null },
    { name: name('create_p95_ms'), value: percentile(latencies, 95), unit: 'ms', goal: null },
    { name: name('worker_rss_mb'), value: rssEnd, unit: 'MiB', goal: RSS_GOAL },
    { name: name('worker_peak_rss_mb'), value: peak, unit: 'MiB', goal: RSS_GOAL },
    {
      name: name('reminder_late_p95_s'),
      value: lateS.length ? percentile(lateS, 95) : Number.NaN,
      unit: 's',
      goal: LATE_GOAL,
    },
    { name: name('reminders_arrived'), value: arrived / SAMPLE, unit: 'share', goal: '>= 1' },
    { name: name('run_s'), value: totalS, unit: 's', goal: null },
  ];
  if (SQLITE_DB) {
    figures.push(
      { name: name('sqlite_mb'), value: sqliteMb, unit: 'MiB', goal: null },
      { name: name('sqlite_kb_per_lifecycle'), value: (sqliteMb * 1024) / N, unit: 'KiB', goal: null },
    );
  }
  await recordFigures('open-lifecycles', figures);
  // The figures stand whatever they are; a reminder that never came is a failed run.
  if (arrived < SAMPLE) throw new Error(`${SAMPLE - arrived} of ${SAMPLE} sample reminders did not arrive`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
