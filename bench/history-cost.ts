// Issue 9, goal 4: the Temporal cost of each lifecycle path (history events, billable actions) on the time-skipping
// server with the real activities, Postgres and mail catcher, next to the count by hand and the budget at the top of
// its workflow file; the same paths test/history-cost.workflow.test.ts holds to those budgets. The runs a path
// starts (renewal, billing) are shown on lines of their own, not added to it.
// Needs Postgres and the mail catcher as scripts/bench starts them (DATABASE_URL, SMTP_PORT, MAIL_CATCHER_URL).
import { randomUUID } from 'node:crypto';
import { Worker } from '@temporalio/worker';
import { createActivities, createMailer } from '../activities';
import { loadConfig } from '../config';
import { createSql } from '../db';
import { loadCatalog } from '../db/catalog';
import { migrate } from '../db/migrate';
import { actionsByKind, belowCount, COST_PATHS, type CostRig, overBudget } from '../test/helpers/cost-paths';
import { Mailbox } from '../test/helpers/mailbox';
import { createTimeSkippingEnv } from '../test/helpers/temporal';
import { type Figure, recordFigures, table } from './lib';
import { BENCH_BUNDLE_PATH } from './stack';

async function main(): Promise<void> {
  const config = loadConfig();
  await migrate(config.DATABASE_URL);
  const sql = createSql({ ...config, DATABASE_POOL_MAX: 5 });
  const mailer = createMailer(config);
  const env = await createTimeSkippingEnv();
  try {
    await loadCatalog(sql);
    const taskQueue = `bench-cost-${randomUUID()}`;
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: { codePath: BENCH_BUNDLE_PATH },
      activities: createActivities({ sql, mailer, config }),
    });
    const rig: CostRig = {
      client: env.client,
      taskQueue,
      config,
      sql,
      mailbox: Mailbox.fromConfig(config),
      mailer,
      sleep: (ms) => env.sleep(ms),
      now: () => env.currentTimeMs(),
    };
    const rows: (string | number)[][] = [];
    const figures: Figure[] = [];
    const problems: string[] = [];
    await worker.runUntil(async () => {
      for (const path of COST_PATHS) {
        const cost = await path.run(rig);
        const { events, actions } = cost.own;
        rows.push([
          `${path.id} (${path.rules})`,
          events,
          path.minimum.events,
          path.budget.events,
          actions,
          path.minimum.actions,
          path.budget.actions,
          actionsByKind(cost.own),
        ]);
        for (const child of cost.children) {
          const lifecycle = child.workflowId.split(':')[0];
          rows.push([
            `  + ${lifecycle} run it started`,
            child.events,
            '',
            '',
            child.actions,
            '',
            '',
            actionsByKind(child),
          ]);
        }
        figures.push(
          { name: `cost.${path.id}.events`, value: events, unit: 'events', goal: `<= ${path.budget.events}` },
          { name: `cost.${path.id}.actions`, value: actions, unit: 'actions', goal: `<= ${path.budget.actions}` },
        );
        for (const problem of [overBudget(path, cost), belowCount(path, cost)]) if (problem) problems.push(problem);
      }
    });
    console.log('Temporal cost per lifecycle path (its own runs; the runs it starts on the lines below it)');
    console.log(
      table([['path', 'events', 'by hand', 'budget', 'actions', 'by hand', 'budget', 'actions by kind'], ...rows]),
    );
    await recordFigures('history-cost', figures);
    for (const p of problems) console.log(`NOTE: ${p}`);
    if (problems.some((p) => p.includes('> budget'))) throw new Error('a lifecycle path is over its history budget');
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
