// Replays every recorded lifecycle history (test/histories/, `npm run histories:record`) against the workflow
// code as it is now: a change that would break runs in flight (a reordered or removed step, a new timer before an
// old one, anything not behind patched()) fails here, as it would fail those runs' next workflow task.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { quietRuntime, TEST_BUNDLE_PATH } from './helpers/temporal';

const DIR = path.join(__dirname, 'histories');
const recorded = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((file) => {
    const json = JSON.parse(readFileSync(path.join(DIR, file), 'utf8')) as { workflowId: string; history: unknown };
    return {
      file,
      workflowId: json.workflowId,
      history: temporal.api.history.v1.History.fromObject(json.history as object),
    };
  });

beforeAll(() => quietRuntime());

describe('recorded histories replay on the current workflow code', () => {
  it('has a history of every lifecycle to replay', () => {
    const lifecycles = new Set(recorded.map((r) => r.workflowId.split(':')[0]));
    expect([...lifecycles].sort()).toEqual(
      expect.arrayContaining([
        'billing',
        'invitation',
        'order',
        'purchase-authorization',
        'renewal',
        'reseller-change',
        'subscription',
        'trial',
        'user-invitation',
      ]),
    );
  });

  it.each(recorded.map((r) => [r.file, r] as const))('%s replays without a determinism error', async (_file, r) => {
    await expect(
      Worker.runReplayHistory({ workflowBundle: { codePath: TEST_BUNDLE_PATH } }, r.history, r.workflowId),
    ).resolves.toBeUndefined();
  });
});
