// Records the history of every lifecycle path into test/histories/*.json, for test/replay.workflow.test.ts:
// `npm run histories:record` (jest, on the time-skipping server with the real activities, as the tests run).
// Each path is driven as in test/helpers/cost-paths.ts; every run it made (continued-as-new runs and the
// lifecycles it started included) is written as { workflowId, workflowType, history }, over that path's old files.
// Re-record only when a change is meant to break replay of runs in flight, and never for a change that could
// meet one in production: patch those (see README, "Changing a workflow safely").
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { COST_PATHS, type CostRig } from '../helpers/cost-paths';
import { timeSkippingSuite } from '../helpers/temporal';

const DIR = __dirname;
const suite = timeSkippingSuite();
const rig = (): CostRig => ({
  client: suite.env().client,
  taskQueue: suite.taskQueue(),
  config: suite.config,
  sql: suite.sql,
  mailbox: suite.mailbox,
  mailer: suite.mailer,
  sleep: (ms) => suite.env().sleep(ms),
  now: () => suite.env().currentTimeMs(),
});

describe('recording the history of every lifecycle path', () => {
  it.each(COST_PATHS)('$id ($rules)', async (lifecyclePath) => {
    const cost = await lifecyclePath.run(rig());
    const runs = [...cost.runs, ...cost.children];
    expect(runs.length).toBeGreaterThan(0);
    for (const [i, run] of runs.entries()) {
      const handle = suite.env().client.workflow.getHandle(run.workflowId, run.runId);
      const history = await handle.fetchHistory();
      const workflowType = history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name;
      const lifecycle = run.workflowId.split(':')[0];
      const file = `${lifecyclePath.id}.${String(i + 1).padStart(2, '0')}.${lifecycle}.json`;
      // protobufjs's own JSON (enum names, 64-bit integers and bytes as strings): it reads back exactly.
      const { History } = temporal.api.history.v1;
      const recorded = History.toObject(History.fromObject(history), { longs: String, enums: String, bytes: String });
      const json = { workflowId: run.workflowId, workflowType, history: recorded };
      await writeFile(path.join(DIR, file), `${JSON.stringify(json, null, 1)}\n`);
    }
  });
});
