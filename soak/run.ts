// The chaos soak (issue 11): a mix of lifecycles in flight at once, driven through the HTTP API with durations
// compressed by configuration, while soak/faults.ts kills and restarts what they run on. At the end every lifecycle
// is checked against the outcome it was driven to, with the emails and the database rows; the figures are printed
// and appended to bench/results.jsonl. Exits 1 when anything was lost, failed or duplicated.
//
// Flags: --lifecycles N (default 300), --minutes M (default 10: ramp, faults and drain). Run by scripts/soak,
// which starts Postgres and passes the ports (SOAK_*_PORT) and the database (DATABASE_URL).
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import { temporal as proto } from '@temporalio/proto';
import { idempotencyHeaderOf } from '../activities/mailer';
import { loadConfig } from '../config';
import { createSql } from '../db';
import { loadCatalog } from '../db/catalog';
import { duplicatedRows, emailLogKeys, soakRows } from '../db/soak-checks';
import { newReseller } from '../test/helpers/fixtures';
import { durationMs } from '../workflows/duration';
import { NeedsAttentionKey } from '../workflows/definitions';
import { type Figure, recordFigures, runConcurrent, table } from '../bench/lib';
import { BENCH_BUNDLE_PATH } from '../bench/stack';
import { SoakApi } from './api';
import { type RunView, type Verdict, verdictOf } from './check';
import { FaultInjector, faultPlan } from './faults';
import { type DriveContext, type Driven, KINDS, type Reseller, scenarioAt } from './lifecycles';
import { MailWatcher } from './mail';
import { SoakStack } from './stack';

const ROOT = path.join(__dirname, '..');
const EventType = proto.api.enums.v1.EventType;

const { values: flags } = parseArgs({
  options: { lifecycles: { type: 'string', default: '300' }, minutes: { type: 'string', default: '10' } },
});
const N = Number(flags.lifecycles);
const MINUTES = Number(flags.minutes);
if (!(N > 0) || !(MINUTES >= 3)) throw new Error('--lifecycles must be > 0 and --minutes at least 3');

const port = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const PORTS = {
  temporal: port('SOAK_TEMPORAL_PORT', 7451),
  ui: port('SOAK_TEMPORAL_UI_PORT', 8451),
  smtp: port('SOAK_SMTP_PORT', 2451),
  mail: port('SOAK_MAIL_PORT', 2551),
  api: port('SOAK_API_PORT', 3451),
};
const TASK_QUEUE = 'soak';
const TRIAL_LENGTH_MIN = Math.max(30, 3 * MINUTES);

/** The lifecycles' durations, compressed so each outcome is reached within the run. */
const SOAK_ENV: Record<string, string> = {
  NODE_ENV: 'development',
  LOG_LEVEL: 'warn',
  TEMPORAL_ADDRESS: `127.0.0.1:${PORTS.temporal}`,
  TEMPORAL_TASK_QUEUE: TASK_QUEUE,
  SMTP_PORT: String(PORTS.smtp),
  MAIL_CATCHER_URL: `http://127.0.0.1:${PORTS.mail}`,
  API_PORT: String(PORTS.api),
  PUBLIC_BASE_URL: `http://127.0.0.1:${PORTS.api}`,
  WORKFLOW_BUNDLE_PATH: BENCH_BUNDLE_PATH,
  INVITATION_REMINDERS: '40 seconds,2 minutes,4 minutes',
  // Longer than an email can be held up by the mail catcher's outage (2 min) and the email step's back-off.
  RESELLER_CHANGE_CODE_TTL: '4 minutes',
  RESELLER_CHANGE_DAILY_LIMIT: '1000000',
  TRIAL_LENGTH: `${TRIAL_LENGTH_MIN} minutes`,
  TRIAL_REMINDERS_BEFORE_END: `${TRIAL_LENGTH_MIN - 1} minutes,${TRIAL_LENGTH_MIN - 3} minutes`,
  TRIAL_EXTENSION: `${TRIAL_LENGTH_MIN} minutes`,
  TRIAL_MAX_LENGTH: `${TRIAL_LENGTH_MIN * 4} minutes`,
  PA_WARN_BEFORE: '15 seconds',
  PA_OVERDUE_AFTER: '45 seconds',
  PA_DEACTIVATE_AFTER: '100 seconds',
  PA_RETURN_WINDOW: '30 seconds',
  EMAIL_QUOTA_PER_RESELLER_PER_HOUR: '10000000',
  PUBLIC_PAGE_RATE_LIMIT: '10000000',
};

async function main(): Promise<void> {
  const config = loadConfig({ ...process.env, ...SOAK_ENV });
  const sql = createSql({ ...config, DATABASE_POOL_MAX: 4 });
  await loadCatalog(sql);
  const stack = new SoakStack(
    PORTS,
    { ...SOAK_ENV, DATABASE_URL: config.DATABASE_URL },
    path.join(ROOT, '.local', 'soak'),
  );
  console.log(`Soak: ${N} lifecycles over ${MINUTES} minutes; logs in ${path.relative(process.cwd(), stack.logDir)}`);
  await stack.startTemporal();
  await stack.startMaildev();
  await stack.startApi();
  await stack.startWorker();
  const mail = new MailWatcher(stack.mailUrl);
  mail.start();
  const resellers: Reseller[] = [];
  for (let i = 0; i < 4; i++) {
    const r = await newReseller(sql);
    resellers.push({ resellerId: r.resellerId, apiKey: r.apiKey });
  }

  const t0 = Date.now();
  const plan = faultPlan(MINUTES);
  const faults = new FaultInjector(stack, mail, plan, t0);
  faults.start();

  // Ramp: scenarios started evenly over the first 55 % of the run, all in flight together.
  const driven: Driven[] = [];
  const api = new SoakApi(stack.apiUrl);
  const ctx: DriveContext = {
    api,
    mail,
    resellers,
    emailWaitMs: 8 * 60_000,
    stateWaitMs: 6 * 60_000,
    record: (d) => driven.push(d),
  };
  const scenarios = [];
  for (let n = 0, count = 0; count < N; n++) {
    const s = scenarioAt(n);
    scenarios.push(s);
    count += s.lifecycles;
  }
  const rampMs = MINUTES * 60_000 * 0.55;
  const inFlight = scenarios.map(async (s, n) => {
    await sleep((n * rampMs) / scenarios.length);
    await s.run(ctx, n).catch((err) => console.error(`scenario ${n}: ${(err as Error).stack}`));
  });
  const progress = setInterval(() => {
    const s = Math.round((Date.now() - t0) / 1000);
    console.log(
      `  +${s}s: ${driven.length} lifecycles driven, ${stack.workers.length} worker(s), api calls ${api.stats.calls}`,
    );
  }, 30_000);
  await Promise.all(inFlight);
  const drivenAtS = (Date.now() - t0) / 1000;
  console.log(`  all ${driven.length} lifecycles driven at +${drivenAtS.toFixed(0)}s; settling`);

  // Drain: faults end at 70 % of the run; wait for the lifecycles to reach their outcomes (timers, retries).
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  const terms = { trialLengthMs: durationMs(config.TRIAL_LENGTH) };
  // The longest wait of a lifecycle after the driver's last action: a code expiring unredeemed.
  const settleUntil = Math.max(
    t0 + MINUTES * 60_000,
    Date.now() + durationMs(config.RESELLER_CHANGE_CODE_TTL) + 60_000,
  );
  let verdicts: { d: Driven; run: RunView; verdict: Verdict }[] = [];
  for (;;) {
    const rows = await soakRows(sql);
    verdicts = await judge(temporal, driven, rows, terms);
    const open = verdicts.filter((v) => v.verdict === 'stuck').length;
    if (open === 0 || Date.now() > settleUntil) break;
    console.log(`  +${Math.round((Date.now() - t0) / 1000)}s: ${open} not at their outcome yet`);
    await sleep(10_000);
  }
  clearInterval(progress);
  await faults.stop();

  const report = await finalChecks(temporal, sql, mail, verdicts, faults.log.kills);
  await mail.stop();
  const failedRuns = report.failedRuns;
  const count = (v: Verdict) => verdicts.filter((x) => x.verdict === v).length;
  const stuck = verdicts.filter((v) => v.verdict === 'stuck');
  const stuckVisible = stuck.filter((v) => v.run.needsAttention).length;

  console.log(`\nFaults (${faults.log.kills.length} worker kills):`);
  for (const e of faults.log.events.filter((e) => !e.what.startsWith('worker ') && !e.what.startsWith('SIGKILL')))
    console.log(`  +${e.atS}s ${e.what}`);
  console.log('\nLifecycles by kind:');
  console.log(
    table([
      ['kind', 'started', 'reached', 'lost', 'failed', 'stuck'],
      ...KINDS.map((k) => {
        const of = verdicts.filter((v) => v.d.kind === k);
        const c = (v: Verdict) => of.filter((x) => x.verdict === v).length;
        return [k, of.length, c('reached'), c('lost'), c('failed'), c('stuck')];
      }),
    ]),
  );
  const problems = verdicts.filter((v) => v.verdict !== 'reached').slice(0, 15);
  if (problems.length) {
    console.log('\nNot at their outcome (first 15):');
    for (const p of problems)
      console.log(
        `  ${p.verdict} ${p.d.kind} ${p.d.workflowId ?? '-'} run=${p.run.status}` +
          ` needsAttention=${p.run.needsAttention}${p.d.driverError ? ` driver: ${p.d.driverError}` : ''}`,
      );
  }
  if (failedRuns.length) console.log(`\nOther runs failed or terminated: ${failedRuns.slice(0, 10).join(', ')}`);
  if (api.stats.serverErrors)
    console.log(`\nAPI 500s: ${api.stats.serverErrors}\n  ${api.stats.serverErrorSamples.join('\n  ')}`);

  console.log('\nSummary:');
  const summary: [string, string | number][] = [
    ['lifecycles started', verdicts.length],
    ['reached their expected state', count('reached')],
    ['lost', count('lost')],
    ['failed', count('failed') + failedRuns.length],
    ['stuck', `${stuck.length} (${stuckVisible} visible as needing attention, ${stuck.length - stuckVisible} not)`],
    ['emails expected (email log keys)', report.emails.expected],
    ['emails sent (distinct keys caught)', report.emails.caught],
    ['emails recorded sent but not caught', report.emails.sentNotCaught],
    ['emails not sent yet (still retrying / waiting for support)', report.emails.unsent],
    ['duplicated emails (per idempotency key)', report.emails.duplicates],
    ['rows orphaned (no run)', report.orphans],
    ['rows duplicated', report.duplicatedRows],
    [
      'longest wait of a step after its worker was killed (goal <= 15 s)',
      `${report.maxWaitS.toFixed(1)} s (${report.waitDetail})`,
    ],
    ['  of which an activity (its next attempt)', `${report.maxWaitBy.activity.toFixed(1)} s`],
    ['  of which a workflow task', `${report.maxWaitBy['workflow task'].toFixed(1)} s`],
    ['steps retried after a kill', report.retriedAfterKill],
    [
      'API back after the Temporal restart',
      faults.log.apiReconnectS === null ? '-' : `${faults.log.apiReconnectS.toFixed(1)} s`,
    ],
    ['API 500 answers', api.stats.serverErrors],
  ];
  console.log(table([['what', 'value'], ...summary]));
  if (report.duplicateDetail.length) console.log(`  duplicated rows: ${report.duplicateDetail.join('; ')}`);
  if (report.duplicateEmailSamples.length)
    console.log(`  duplicated emails: ${report.duplicateEmailSamples.join('; ')}`);

  const lost = count('lost');
  const failed = count('failed') + failedRuns.length;
  const figures: Figure[] = [
    { name: 'soak.lifecycles', value: verdicts.length, unit: 'lifecycles', goal: `>= ${N}` },
    { name: 'soak.reached', value: count('reached'), unit: 'lifecycles', goal: null },
    { name: 'soak.lost', value: lost, unit: 'lifecycles', goal: '<= 0' },
    { name: 'soak.failed', value: failed, unit: 'lifecycles', goal: '<= 0' },
    { name: 'soak.stuck', value: stuck.length, unit: 'lifecycles', goal: null },
    { name: 'soak.stuck_unexplained', value: stuck.length - stuckVisible, unit: 'lifecycles', goal: '<= 0' },
    { name: 'soak.emails_expected', value: report.emails.expected, unit: 'emails', goal: null },
    { name: 'soak.emails_sent', value: report.emails.caught, unit: 'emails', goal: null },
    { name: 'soak.emails_sent_not_caught', value: report.emails.sentNotCaught, unit: 'emails', goal: '<= 0' },
    { name: 'soak.duplicated_emails', value: report.emails.duplicates, unit: 'emails', goal: '<= 0' },
    { name: 'soak.orphaned_rows', value: report.orphans, unit: 'rows', goal: '<= 0' },
    { name: 'soak.duplicated_rows', value: report.duplicatedRows, unit: 'rows', goal: '<= 0' },
    { name: 'soak.max_step_wait_after_kill_s', value: report.maxWaitS, unit: 's', goal: '<= 15' },
    { name: 'soak.max_activity_wait_after_kill_s', value: report.maxWaitBy.activity, unit: 's', goal: '<= 15' },
    {
      name: 'soak.max_workflow_task_wait_after_kill_s',
      value: report.maxWaitBy['workflow task'],
      unit: 's',
      goal: '<= 15',
    },
    { name: 'soak.worker_kills', value: faults.log.kills.length, unit: 'kills', goal: null },
    { name: 'soak.api_reconnect_s', value: faults.log.apiReconnectS ?? Number.NaN, unit: 's', goal: '<= 5' },
    { name: 'soak.api_500s', value: api.stats.serverErrors, unit: 'answers', goal: '<= 0' },
  ];
  await recordFigures('soak', figures);

  await connection.close();
  await sql.end({ timeout: 5 });
  await stack.stop();
  const bad = lost + failed + report.emails.duplicates + report.duplicatedRows + report.orphans;
  process.exit(bad > 0 ? 1 : 0);
}

/** Each lifecycle's verdict, with its run as the Temporal server describes it. */
async function judge(
  temporal: Client,
  driven: Driven[],
  rows: Awaited<ReturnType<typeof soakRows>>,
  terms: { trialLengthMs: number },
) {
  const out: { d: Driven; run: RunView; verdict: Verdict }[] = [];
  await runConcurrent(driven.length, 10, async (i) => {
    const d = driven[i]!;
    const run = await describeRun(temporal, d.workflowId);
    out.push({ d, run, verdict: verdictOf(d, rows, run, terms) });
  });
  return out;
}

async function describeRun(temporal: Client, workflowId: string | null): Promise<RunView> {
  if (!workflowId) return { status: 'NOT_FOUND', needsAttention: false };
  for (let attempt = 0; ; attempt++) {
    try {
      const desc = await temporal.workflow.getHandle(workflowId).describe();
      return {
        status: desc.status.name as RunView['status'],
        needsAttention: desc.typedSearchAttributes.get(NeedsAttentionKey) === true,
      };
    } catch (err) {
      if ((err as Error).name === 'WorkflowNotFoundError') return { status: 'NOT_FOUND', needsAttention: false };
      if (attempt >= 5) throw err;
      await sleep(1_000);
    }
  }
}

/**
 * Across every run of the soak's task queue: runs failed or terminated, rows without their run, the longest wait of
 * a step lost with a killed worker (from the histories), and the emails against the engine's email log.
 */
async function finalChecks(
  temporal: Client,
  sql: ReturnType<typeof createSql>,
  mail: MailWatcher,
  verdicts: { d: Driven; verdict: Verdict }[],
  kills: number[],
) {
  const runs: { workflowId: string; runId: string; status: string }[] = [];
  for await (const w of temporal.workflow.list({ query: `TaskQueue = '${TASK_QUEUE}'` }))
    runs.push({ workflowId: w.workflowId, runId: w.runId, status: w.status.name });
  const driven = new Set(verdicts.map((v) => v.d.workflowId));
  const failedRuns = runs
    .filter((r) => ['FAILED', 'TERMINATED', 'TIMED_OUT', 'CANCELLED'].includes(r.status) && !driven.has(r.workflowId))
    .map((r) => r.workflowId);

  // Rows whose lifecycle has no run.
  const ids = new Set(runs.map((r) => r.workflowId));
  const rows = await soakRows(sql);
  let orphans = 0;
  for (const id of rows.customers.keys()) if (!ids.has(`invitation:${id}`)) orphans++;
  for (const id of rows.orders.keys()) if (!ids.has(`order:${id}`) && !ids.has(`trial:${id}`)) orphans++;
  for (const id of rows.purchaseAuthorizations.keys()) if (!ids.has(`purchase-authorization:${id}`)) orphans++;
  for (const id of rows.resellerChanges.keys()) if (!ids.has(`reseller-change:${id}`)) orphans++;
  for (const id of rows.billing.keys()) if (!ids.has(`billing:${id}`)) orphans++;
  const dups = (await duplicatedRows(sql)).filter((d) => d.extra > 0);

  // A step lost with a killed worker: its next attempt (an activity retried after its start-to-close timeout, a
  // workflow task after its timeout) started this long after the kill before it.
  const killBefore = (t: number) => {
    let k = Number.NaN;
    for (const x of kills) if (x <= t) k = x;
    return k;
  };
  let maxWaitS = 0;
  let waitDetail = 'no step was retried after a kill';
  let retriedAfterKill = 0;
  const maxWaitBy = { activity: 0, 'workflow task': 0 };
  const consider = (startedAt: number, what: string, kind: keyof typeof maxWaitBy) => {
    const wait = (startedAt - killBefore(startedAt)) / 1000;
    if (!Number.isFinite(wait) || wait > 60) return;
    retriedAfterKill++;
    maxWaitBy[kind] = Math.max(maxWaitBy[kind], wait);
    if (wait > maxWaitS) {
      maxWaitS = wait;
      waitDetail = what;
    }
  };
  await runConcurrent(runs.length, 8, async (i) => {
    const r = runs[i]!;
    const history = await temporal.workflow.getHandle(r.workflowId, r.runId).fetchHistory();
    const events = history.events ?? [];
    events.forEach((e, j) => {
      if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED) {
        const a = e.activityTaskStartedEventAttributes;
        if ((a?.attempt ?? 1) > 1 && a?.lastFailure?.timeoutFailureInfo)
          consider(tsToMs(e.eventTime), `activity attempt ${a.attempt} in ${r.workflowId}`, 'activity');
      } else if (e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT) {
        const next = events.slice(j + 1).find((x) => x.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED);
        if (next) consider(tsToMs(next.eventTime), `workflow task in ${r.workflowId}`, 'workflow task');
      }
    });
  });

  // Emails: the engine's log of what it claimed against what the catcher caught, per idempotency key.
  await mail.poll().catch(() => undefined);
  const log = await emailLogKeys(sql);
  const caughtPerKey = new Map<string, number>();
  for (const m of mail.all()) if (m.key) caughtPerKey.set(m.key, (caughtPerKey.get(m.key) ?? 0) + 1);
  let sentNotCaught = 0;
  let unsent = 0;
  for (const row of log) {
    const caught = caughtPerKey.has(idempotencyHeaderOf(row.key));
    if (row.status === 'sent' && !caught) sentNotCaught++;
    if (row.status === 'sending' && !caught) unsent++;
  }
  let duplicates = 0;
  const duplicateEmailSamples: string[] = [];
  const keyOf = new Map(log.map((r) => [idempotencyHeaderOf(r.key), r.key]));
  for (const [k, n] of caughtPerKey) {
    if (n <= 1) continue;
    duplicates += n - 1;
    if (duplicateEmailSamples.length < 5) duplicateEmailSamples.push(`${keyOf.get(k) ?? k} x${n}`);
  }
  return {
    failedRuns,
    orphans,
    duplicatedRows: dups.reduce((a, d) => a + d.extra, 0),
    duplicateDetail: dups.map((d) => `${d.what}: ${d.extra}`),
    maxWaitS,
    waitDetail,
    maxWaitBy,
    retriedAfterKill,
    emails: { expected: log.length, caught: caughtPerKey.size, sentNotCaught, unsent, duplicates },
    duplicateEmailSamples,
  };
}

main().catch((err) => {
  console.error(err);
  process.exit(2);
});
