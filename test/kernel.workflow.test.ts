// The lifecycle kernel on the time-skipping server (T4): a step whose bounded retries run out waits for
// support instead of failing the lifecycle or retrying forever; a retry re-runs only that step; a step the
// lifecycle needs cannot be skipped; one change at a time is a typed refusal.
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { createActivities, createMailer } from '../activities';
import { DEFAULT_STEP_POLICY } from '../workflows/activity-proxies';
import {
  type Incident,
  incidentQuery,
  invitationStateQuery,
  invitationWorkflowId,
  LifecycleFailure,
  NeedsAttentionKey,
  retryStepUpdate,
  STEP_POLICY_MEMO,
  type StepPolicy,
  skipStepUpdate,
} from '../workflows/definitions';
import { invitationWorkflow } from '../workflows';
import { testContext } from './helpers/env';
import { customerDetails, newReseller } from './helpers/fixtures';
import { createTestWorker, createTimeSkippingEnv, refusalType } from './helpers/temporal';

const { config, sql, mailbox } = testContext();
const mailer = createMailer(config);
const real = createActivities({ sql, mailer, config });
// What the faulty activities do on their next call: fail transiently, fail for good, or work.
const fault = { email: 'ok' as 'ok' | 'transient', register: 'ok' as 'ok' | 'permanent' };
const calls = { email: 0, register: 0 };

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let taskQueue: string;
let reseller: Awaited<ReturnType<typeof newReseller>>;

beforeAll(async () => {
  env = await createTimeSkippingEnv();
  ({ worker, taskQueue } = await createTestWorker(
    env.nativeConnection,
    { sql, config },
    {
      activities: {
        async sendInvitationEmail(args) {
          calls.email++;
          if (fault.email === 'transient') throw new Error('connect ECONNREFUSED (the relay is down)');
          return real.sendInvitationEmail(args);
        },
        async registerCustomer(input) {
          calls.register++;
          if (fault.register === 'permanent') {
            throw ApplicationFailure.nonRetryable('the customers table is read-only', 'ReadOnlyDatabase');
          }
          return real.registerCustomer(input);
        },
      },
    },
  ));
  running = worker.run();
  reseller = await newReseller(sql);
});
afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
  mailer.close();
  await sql.end();
});

// Three attempts per email step, so exhausting them takes seconds of skipped time.
const POLICY: StepPolicy = { ...DEFAULT_STEP_POLICY, email: { ...DEFAULT_STEP_POLICY.email, maximumAttempts: 3 } };

async function invite() {
  const customerId = randomUUID();
  const customer = customerDetails();
  const handle = await env.client.workflow.start(invitationWorkflow, {
    taskQueue,
    workflowId: invitationWorkflowId(customerId),
    args: [{ customerId, resellerId: reseller.resellerId, invitedBy: reseller.userId, customer, reminderSchedule: [] }],
    memo: { [STEP_POLICY_MEMO]: POLICY },
  });
  return { handle, customerId, email: customer.contact.email };
}

async function incidentOf(handle: WorkflowHandle): Promise<Incident> {
  for (let i = 0; i < 100; i++) {
    const incident = await handle.query(incidentQuery);
    if (incident) return incident;
    await env.sleep('1 minute');
  }
  throw new Error('no incident');
}

const needsAttention = async (handle: WorkflowHandle) =>
  (await handle.describe()).typedSearchAttributes.get(NeedsAttentionKey);

describe('the lifecycle kernel (T4)', () => {
  it('T4: an email step whose bounded retries run out waits for support; a retry sends it once and the steps before it are not redone', async () => {
    fault.email = 'transient';
    calls.email = 0;
    calls.register = 0;
    const { handle, email } = await invite();
    const incident = await incidentOf(handle);
    expect(incident).toMatchObject({ step: 'send the invitation email', retries: 0, skippable: true });
    expect(incident.error).toMatch(/ECONNREFUSED/);
    expect(calls.email).toBe(3); // the configured budget, not forever
    expect(await needsAttention(handle)).toBe(true);
    const state = await handle.query(invitationStateQuery);
    expect(state).toMatchObject({ status: 'pending', incident: { step: 'send the invitation email' } });

    // Still broken: support's retry answers that it failed again; the incident stays, counted.
    const again = await handle.executeUpdate(retryStepUpdate, { args: [{ actor: 'user:support', reason: 'try' }] });
    expect(again).toMatchObject({ action: 'retried', outcome: 'failed_again' });
    expect((await handle.query(incidentQuery))?.retries).toBe(1);

    fault.email = 'ok';
    const fixed = await handle.executeUpdate(retryStepUpdate, {
      args: [{ actor: 'user:support', reason: 'relay up' }],
    });
    expect(fixed).toMatchObject({ step: 'send the invitation email', action: 'retried', outcome: 'done' });
    expect(await handle.query(incidentQuery)).toBeNull();
    expect(await needsAttention(handle)).toBe(false);
    expect(await mailbox.waitFor(email, 1)).toHaveLength(1);
    expect(calls.register).toBe(1);
    const audited =
      await sql`SELECT action FROM audit_events WHERE action LIKE 'support.%' AND after->>'workflowId' = ${handle.workflowId}`;
    expect(audited.map((a) => a.action)).toEqual(['support.retry', 'support.retry']);
  });

  it('T4: a step the lifecycle needs (storing the customer) cannot be skipped, only retried; without support nothing fails', async () => {
    fault.register = 'permanent';
    const { handle, customerId } = await invite();
    const incident = await incidentOf(handle);
    expect(incident).toMatchObject({ step: 'register the customer', errorType: 'ReadOnlyDatabase', skippable: false });
    expect(
      await refusalType(handle.executeUpdate(skipStepUpdate, { args: [{ actor: 'user:support', reason: 'x' }] })),
    ).toBe(LifecycleFailure.StepNotSkippable);
    await env.sleep('30 days');
    expect((await handle.describe()).status.name).toBe('RUNNING');

    fault.register = 'ok';
    await handle.executeUpdate(retryStepUpdate, { args: [{ actor: 'user:support' }] });
    expect((await handle.query(invitationStateQuery)).status).toBe('pending');
    const [row] = await sql`SELECT vip_id FROM customers WHERE id = ${customerId}`;
    expect(row?.vipId).toMatch(/^VIP/);
    // Nothing waits for support any more.
    expect(await refusalType(handle.executeUpdate(retryStepUpdate, { args: [{ actor: 'user:support' }] }))).toBe(
      LifecycleFailure.NoIncident,
    );
  });
});
