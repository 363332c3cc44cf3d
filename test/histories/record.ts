// Records the history of every lifecycle path into test/histories/*.json, for test/replay.workflow.test.ts:
// `npm run histories:record` (jest, on the time-skipping server with the real activities, as the tests run).
// Each path is driven as in test/helpers/cost-paths.ts; every run it made (continued-as-new runs and the
// lifecycles it started included) is written as { workflowId, workflowType, history }, over that path's old files.
// Re-record only when a change is meant to break replay of runs in flight, and never for a change that could
// meet one in production: patch those (see README, "Changing a workflow safely").
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import { ensureLifecycle } from '../../api/http/lifecycles';
import { inviteResellerUser } from '../../db/reseller-users';
import { durationMs } from '../../workflows/duration';
import { type UserInvitationInput, userInvitationWorkflowId } from '../../workflows/definitions';
import { COST_PATHS, type CostRig, rigOf } from '../helpers/cost-paths';
import { newReseller, uniqueEmail } from '../helpers/fixtures';
import { timeSkippingSuite } from '../helpers/temporal';

const DIR = __dirname;
const suite = timeSkippingSuite();
const rig = (): CostRig => rigOf(suite);

interface Run {
  workflowId: string;
  runId: string;
}

/** The lifecycles no cost path drives, each along its usual path. */
const MORE_PATHS: { id: string; rules: string; run: (rig: CostRig) => Promise<Run[]> }[] = [
  {
    id: 'user_invited',
    rules: 'T2 T3',
    // As POST /v1/users makes it: the pending user stored, then the run that emails its set-up link.
    run: async (r) => {
      const reseller = await newReseller(r.sql);
      const userId = randomUUID();
      const invited = await inviteResellerUser(r.sql, {
        id: userId,
        resellerId: reseller.resellerId,
        email: uniqueEmail('user'),
        name: 'Invited User',
        permissions: ['order'],
        actor: `user:${reseller.userId}`,
      });
      if (invited === 'email_taken') throw new Error('the invited email is taken');
      const input: UserInvitationInput = {
        userId,
        resellerId: reseller.resellerId,
        linkExpiresAt: new Date((await r.now()) + durationMs(r.config.USER_SETUP_LINK_TTL)).toISOString(),
      };
      const handle = await ensureLifecycle(
        r.client,
        { ...r.config, TEMPORAL_TASK_QUEUE: r.taskQueue },
        {
          workflowType: 'userInvitationWorkflow',
          workflowId: userInvitationWorkflowId(userId),
          args: [input],
          lifecycle: 'user-invitation',
          resellerId: reseller.resellerId,
        },
      );
      await handle.result();
      return [{ workflowId: handle.workflowId, runId: (await handle.describe()).runId }];
    },
  },
];

const ALL_PATHS = [
  ...COST_PATHS.map((p) => ({
    id: p.id,
    rules: p.rules,
    run: async (r: CostRig): Promise<Run[]> => {
      const cost = await p.run(r);
      return [...cost.runs, ...cost.children];
    },
  })),
  ...MORE_PATHS,
];

describe('recording the history of every lifecycle path', () => {
  it.each(ALL_PATHS)('$id ($rules)', async (lifecyclePath) => {
    const runs = await lifecyclePath.run(rig());
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
