// Scale of open lifecycles (issue 9, goal 3): N invitations created through the API and left pending on their
// reminder timers, with the worker in a process of its own and the dev server on SQLite. Measures the creation
// time and rate, the worker's memory (now and peak, from /proc), the dev server's SQLite size, and how late the
// first reminder of a sample of them goes out with all N open.
//
// The order: the bulk, then the sample, then enough more ("fillers") to push the sample out of the worker's sticky
// cache, so each sample reminder replays its run from history as one due after days would. The bulk and the
// fillers are reminded after 30 days only (they stay pending all run); the sample, created through a second API
// instance whose INVITATION_REMINDERS starts sooner, once the fillers are in (the delay follows the measured rate).
//
// BENCH_OPEN_N (10000; `--100k` for 100000), BENCH_OPEN_CONCURRENCY (20 requests in flight), BENCH_OPEN_SAMPLE
// (50), BENCH_OPEN_TEMPORAL_DB (the dev server's SQLite file, for its size). The worker's cache:
// WORKER_MAX_CACHED_WORKFLOWS, WORKER_MAX_CONCURRENT_WORKFLOW_TASKS (config/index.ts).
import { randomUUID } from 'node:crypto';
import { stat } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { createApp } from '../api/app';
import { customerDetails, newReseller } from '../test/helpers/fixtures';
import { invitationWorkflowId } from '../workflows/definitions';
import { envInt, type Figure, mib, percentile, recordFigures, runConcurrent, table } from './lib';
import { type BenchStack, startBenchStack } from './stack';

const N = process.argv.includes('--100k') ? 100_000 : envInt('BENCH_OPEN_N', 10_000);
const CONCURRENCY = envInt('BENCH_OPEN_CONCURRENCY', 20);
const SAMPLE = Math.min(envInt('BENCH_OPEN_SAMPLE', 50), N);
// Every invitation stays pending on a timer for the whole run.
const LATER_REMINDERS = ['30 days', '60 days'];
// MailDev keeps every email in memory (and on disk): it is emptied every so many creations.
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

/** The dev server's SQLite file and its write-ahead log, in MiB (NaN when not given). */
async function sqliteSizeMb(): Promise<number> {
  if (!SQLITE_DB) return Number.NaN;
  const size = async (f: string) => (await stat(f).catch(() => ({ size: 0 }))).size;
  return ((await size(SQLITE_DB)) + (await size(`${SQLITE_DB}-wal`))) / 1024 / 1024;
}

interface Sampled {
  customerId: string;
  email: string;
  dueAt: number;
}

async function main(): Promise<void> {
  const started = performance.now();
  const stack = await startBenchStack({
    worker: 'process',
    // One reseller invites all N at once, past the default hourly email quota at 100k: the bench is the load.
    env: { INVITATION_REMINDERS: LATER_REMINDERS.join(','), EMAIL_QUOTA_PER_RESELLER_PER_HOUR: String(2 * N) },
  });
  try {
    await run(stack, started);
  } finally {
    await stack.stop();
  }
}

/** A second API on the same stack whose invitations get `reminders`: the portal of a reseller who reminds sooner. */
async function startApi(stack: BenchStack, reminders: string[]): Promise<{ url: string; close(): Promise<void> }> {
  const config = { ...stack.config, INVITATION_REMINDERS: reminders };
  const app = createApp({
    sql: stack.sql,
    temporal: stack.temporal,
    config,
    logger: pino({ level: config.LOG_LEVEL }),
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

async function run(stack: BenchStack, started: number): Promise<void> {
  const { sql, baseUrl, config } = stack;
  const worker = stack.workerProcess!;
  const mailUrl = config.MAIL_CATCHER_URL;
  const cacheSize = config.WORKER_MAX_CACHED_WORKFLOWS;
  // Each new run enters the cache and the least recently used leaves: twice the cache pushes the sample out.
  const fillers = Math.min(N - SAMPLE, Math.max(2 * cacheSize, 100));
  const bulk = N - SAMPLE - fillers;
  const reseller = await newReseller(sql);
  const headers = { authorization: `Bearer ${reseller.apiKey}`, 'content-type': 'application/json' };
  const rssAtStart = await worker.rssMb();
  const sqliteAtStartMb = await sqliteSizeMb();
  console.log(
    `Bench: ${N} open invitations (${bulk} + sample ${SAMPLE} + ${fillers} after it), concurrency ${CONCURRENCY}; ` +
      `worker pid ${worker.pid}, cache ${cacheSize} workflows, RSS ${rssAtStart.toFixed(0)} MiB`,
  );

  // What a portal does: POST /v1/customers with an Idempotency-Key; answers once the customer is registered.
  const create = async (api: string): Promise<{ customerId: string; email: string }> => {
    const c = customerDetails();
    const res = await fetch(`${api}/v1/customers`, {
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
  let createMs = 0;
  const latencies: number[] = [];
  let created = 0;
  /** `count` creations through `api`, reporting as it goes (a 100k run is long). */
  const createMany = async (count: number, api: string, purge: boolean) => {
    const made: { customerId: string; email: string }[] = [];
    const phaseStart = performance.now();
    const r = await runConcurrent(count, CONCURRENCY, async () => {
      made.push(await create(api));
      const n = ++created;
      if (n % PURGE_EVERY === 0) {
        const s = (createMs + (performance.now() - phaseStart)) / 1000;
        if (purge) await purgeMail();
        console.log(
          `  ${n}/${N} created in ${s.toFixed(0)} s (${(n / s).toFixed(1)}/s), ` +
            `worker RSS ${(await worker.rssMb()).toFixed(0)} MiB`,
        );
      }
    });
    createMs += r.wallMs;
    latencies.push(...r.latencies);
    return made;
  };

  await createMany(bulk, baseUrl, true);
  // Creates answer before the worker has run them: let it catch up with the bulk (its invitation emails), so the
  // sample's reminders measure the timers, not a backlog.
  const drainedBy = Date.now() + 900_000;
  while (
    (await stack.temporal.workflow.count(`TaskQueue = '${config.TEMPORAL_TASK_QUEUE}' AND LifecycleStatus = 'started'`))
      .count > 0
  ) {
    if (Date.now() > drainedBy) throw new Error('the worker did not catch up with the bulk within 15 minutes');
    await sleep(1000);
  }
  // The sample's first reminder once the fillers are in, at the rate measured so far (or a guess of 10/s).
  const rate = bulk > 0 ? (bulk / createMs) * 1000 : 10;
  const reminderAfterS = Math.ceil((fillers / rate) * 1.5) + 30;
  const sampleApi = await startApi(stack, [`${reminderAfterS} seconds`, ...LATER_REMINDERS]);
  let sampleCreated: { customerId: string; email: string }[];
  try {
    sampleCreated = await createMany(SAMPLE, sampleApi.url, false);
  } finally {
    await sampleApi.close();
  }
  // Its due times as the workflow set them once the invitation email was out (GET /v1/customers/{id}, D7).
  const sample: Sampled[] = await Promise.all(
    sampleCreated.map(async ({ customerId, email }) => {
      for (const deadline = Date.now() + 600_000; Date.now() < deadline; await sleep(250)) {
        const res = await fetch(`${baseUrl}/v1/customers/${customerId}`, { headers });
        const body = (await res.json()) as { invitation: { nextReminderAt: string | null } | null };
        const next = body.invitation?.nextReminderAt;
        if (next) return { customerId, email, dueAt: Date.parse(next) };
      }
      throw new Error(`invitation of ${customerId} has no reminder scheduled after 600 s`);
    }),
  );
  const firstDue = Math.min(...sample.map((s) => s.dueAt));
  const lastDue = Math.max(...sample.map((s) => s.dueAt));
  await createMany(fillers, baseUrl, false);
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
  const emailedAllAt = Date.now();
  const rssAfterEmails = await worker.rssMb();
  if (emailedAllAt > firstDue)
    console.log(
      `  WARNING: the sample's first reminder fell due ${((emailedAllAt - firstDue) / 1000).toFixed(0)} s before ` +
        'the fillers were all in: some sample runs may still have been cached',
    );
  console.log(
    `  all ${N} created in ${(createMs / 1000).toFixed(1)} s, emailed ${((emailedAllAt - createdAllAt) / 1000).toFixed(1)} s ` +
      `later; sample reminders due in ${((firstDue - Date.now()) / 1000).toFixed(0)}..${((lastDue - Date.now()) / 1000).toFixed(0)} s`,
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
  const remindedTo = new Set(
    inbox.filter((m) => m.subject.startsWith('Reminder:')).flatMap((m) => m.to.map((t) => t.address.toLowerCase())),
  );
  const arrived = sample.filter((s) => remindedTo.has(s.email.toLowerCase())).length;
  const lateS = sample.flatMap((s, i) => {
    const at = sentAt.get(keys[i]!);
    return at === undefined ? [] : [(at - s.dueAt) / 1000];
  });

  const rssEnd = await worker.rssMb();
  const peak = await worker.peakRssMb();
  const sqliteMb = await sqliteSizeMb();
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
      `reminders (after ${reminderAfterS} s) sent ${lateS.length}/${SAMPLE}, arrived ${arrived}/${SAMPLE}; lateness (s) ` +
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
    // The setting the memory depends on, so runs with other caches are told apart.
    { name: name('worker_cached_workflows'), value: cacheSize, unit: 'workflows', goal: null },
  ];
  if (SQLITE_DB) {
    figures.push(
      { name: name('sqlite_mb'), value: sqliteMb, unit: 'MiB', goal: null },
      {
        name: name('sqlite_kb_per_lifecycle'),
        value: ((sqliteMb - sqliteAtStartMb) * 1024) / N,
        unit: 'KiB',
        goal: null,
      },
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
