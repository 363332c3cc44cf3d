// Ten years of a monthly SaaS subscription (DOMAIN.md S1, B1) on the time-skipping server, end to end
// with the real activities, Postgres and mail catcher: 120 cycles, one run each. Prints the history per
// run and an estimate of Temporal actions, and fails if any run reaches 1000 events.
// Needs Postgres and the mail catcher as scripts/test or scripts/bench start them (DATABASE_URL, SMTP_PORT).
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Worker } from '@temporalio/worker';
import { createActivities, createMailer } from '../activities';
import { loadConfig } from '../config';
import { createSql } from '../db';
import { loadCatalog } from '../db/catalog';
import { migrate } from '../db/migrate';
import { activeOrder } from '../test/helpers/fixtures';
import { runChain } from '../test/helpers/history';
import { createTimeSkippingEnv } from '../test/helpers/temporal';
import { bundleWorkflows } from '../worker/bundle';
import { billingWorkflow } from '../workflows';
import {
  billingStartedUpdate,
  billingStatusQuery,
  billingWorkflowId,
  type BillingInput,
} from '../workflows/definitions';
import { envInt, recordResults, table } from './lib';

const CYCLES = envInt('BENCH_BILLING_CYCLES', 120);
const MAX_EVENTS_PER_RUN = 1000;

async function main(): Promise<void> {
  const config = loadConfig();
  await migrate(config.DATABASE_URL);
  const sql = createSql({ ...config, DATABASE_POOL_MAX: 5 });
  const mailer = createMailer(config);
  const env = await createTimeSkippingEnv();
  try {
    await loadCatalog(sql);
    const { code } = await bundleWorkflows();
    const taskQueue = `bench-billing-${randomUUID()}`;
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: { code },
      activities: createActivities({ sql, mailer, config }),
    });

    const { reseller, customerId, orderId } = await activeOrder({ sql, mailer, config }, { discountPercent: 15 });

    const input: BillingInput = {
      orderId,
      resellerId: reseller.resellerId,
      customerId,
      cycle: 'monthly',
      cycleMonths: config.BILLING_MONTHLY_CYCLE_MONTHS,
      paymentTerms: config.INVOICE_PAYMENT_TERMS,
      startedBy: reseller.userId,
    };
    const started = performance.now();
    const summary = await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(billingWorkflow, {
        taskQueue,
        workflowId: billingWorkflowId(orderId),
        args: [input],
      });
      await handle.executeUpdate(billingStartedUpdate);
      // Sleep in skipped time to the middle of the last cycle, then wait for its invoice to be stored.
      const end = Date.parse((await handle.query(billingStatusQuery)).currentPeriodStart!);
      const lastStart = new Date(end);
      lastStart.setUTCMonth(lastStart.getUTCMonth() + (CYCLES - 1));
      await env.sleep(lastStart.getTime() - end + 14 * 86_400_000);
      for (;;) {
        const [row] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM invoices WHERE order_id = ${orderId}`;
        if ((row?.n ?? 0) >= CYCLES) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      return {
        runs: await runChain(env.client, handle.workflowId, handle.firstExecutionRunId),
        state: await handle.query(billingStatusQuery),
      };
    });
    const wallMs = performance.now() - started;
    const { runs, state } = summary;
    const [inv] = await sql<
      { n: number; total: number }[]
    >`SELECT count(*)::int AS n, sum(total_minor)::int AS total FROM invoices WHERE order_id = ${orderId}`;
    const sum = (k: keyof (typeof runs)[number]) => runs.reduce((a, r) => a + (r[k] as number), 0);
    const events = sum('events');
    const maxEvents = Math.max(...runs.map((r) => r.events));
    // Cloud bills starts and continue-as-new, activities, timers and updates; workflow tasks are shown apart.
    const actions = runs.length + sum('activities') + sum('timers') + sum('updates');

    console.log(
      `Billing, ${CYCLES} monthly cycles (10 years) on the time-skipping server, in ${(wallMs / 1000).toFixed(1)} s`,
    );
    console.log(
      table([
        ['measure', 'value'],
        ['runs (continued as new)', runs.length],
        ['cycles billed (query)', state.cyclesBilled],
        ['invoices stored', inv!.n],
        ['invoiced total (EUR minor units)', inv!.total],
        ['history events, all runs', events],
        ['history events, max per run', maxEvents],
        ['history events, mean per run', (events / runs.length).toFixed(1)],
        ['workflow tasks', sum('workflowTasks')],
        ['activities', sum('activities')],
        ['timers', sum('timers')],
        ['updates', sum('updates')],
        ['actions estimate (runs + activities + timers + updates)', actions],
        ['  + workflow tasks', actions + sum('workflowTasks')],
      ]),
    );
    if (runs.length !== CYCLES || inv!.n !== CYCLES)
      throw new Error(`expected ${CYCLES} runs and invoices, got ${runs.length} runs and ${inv!.n} invoices`);
    const over = runs.filter((r) => r.events >= MAX_EVENTS_PER_RUN);
    if (over.length) throw new Error(`${over.length} run(s) reached ${MAX_EVENTS_PER_RUN} history events`);
    console.log(`OK: every run < ${MAX_EVENTS_PER_RUN} events`);
    await recordResults('billing-10-years', {
      runs: runs.length,
      historyEvents: events,
      maxEventsPerRun: maxEvents,
      actions,
      wallSeconds: wallMs / 1000,
    });
  } finally {
    await env.teardown();
    mailer.close();
    await sql.end();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
