// T4: a step that fails for good waits for support, who retry it (optionally corrected) or skip it; the
// steps that succeeded are not redone. Against the dev server, Postgres and the mail catcher, with an SMTP
// front door that refuses the invitation email with 550 until the "mail server is fixed".
import request from 'supertest';
import { randomUUID } from 'node:crypto';
import { TypedSearchAttributes } from '@temporalio/common';
import { INCIDENT_QUERY_DEADLINE_MS } from '../api/support/routes';
import { invitationWorkflowId, LifecycleKey, NeedsAttentionKey, ResellerIdKey } from '../workflows/definitions';
import { customerBody, newReseller, uniqueEmail } from './helpers/fixtures';
import { startFlakySmtp } from './helpers/flaky-smtp';
import { linkIn, tokenOf } from './helpers/mailbox';
import { signedIn, startStack, type Stack } from './helpers/stack';

let stack: Stack;
let smtp: Awaited<ReturnType<typeof startFlakySmtp>>;
let reseller: Awaited<ReturnType<typeof newReseller>>;
let support: Awaited<ReturnType<typeof newReseller>>;

beforeAll(async () => {
  const { config } = (await import('./helpers/env')).testContext();
  // Refuses nothing until a test breaks it; relays to the real mail catcher otherwise.
  smtp = await startFlakySmtp({ host: config.SMTP_HOST, port: config.SMTP_PORT }, 0, '550 5.7.1 Relaying denied');
  stack = await startStack({ SMTP_PORT: smtp.port });
  reseller = await newReseller(stack.sql);
  support = await newReseller(stack.sql, ['support']);
});
afterAll(async () => {
  await stack?.stop();
  await smtp?.close();
});

const as = (key: string) => signedIn(stack.app, key);

interface IncidentJson {
  workflowId: string;
  lifecycle: string;
  resellerId: string | null;
  customerId: string | null;
  step: string;
  error: string;
  errorType: string | null;
  since: string;
}

/** Support's view, polled: visibility is eventually consistent. */
async function waitForIncident(workflowId: string, present = true): Promise<IncidentJson | undefined> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const res = await as(support.apiKey).get('/v1/support/incidents');
    expect(res.status).toBe(200);
    const found = (res.body.data as IncidentJson[]).find((i) => i.workflowId === workflowId);
    if (present === (found !== undefined)) return found;
    if (Date.now() > deadline)
      throw new Error(`incident of ${workflowId} ${present ? 'never appeared' : 'never cleared'}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function needsAttention(workflowId: string): Promise<boolean | undefined> {
  const described = await stack.temporal.workflow.getHandle(workflowId).describe();
  return described.typedSearchAttributes.get(NeedsAttentionKey);
}

/** A new customer whose invitation email the SMTP server refuses with 550 (a permanent failure). */
async function customerWithRefusedInvitation() {
  smtp.refuseNext(1);
  const body = customerBody({ contact: { firstName: 'Astrid', lastName: 'Lind', email: uniqueEmail() } });
  const created = await as(reseller.apiKey).post('/v1/customers').send(body);
  expect(created.status).toBe(201);
  const id = created.body.id as string;
  const workflowId = invitationWorkflowId(id);
  const incident = await waitForIncident(workflowId);
  return { id, workflowId, body, incident: incident as IncidentJson };
}

const auditOf = async (customerId: string) =>
  stack.sql<{ action: string; actor: string; after: { reason: string | null } }[]>`
    SELECT action, actor, after FROM audit_events WHERE entity_id = ${customerId} AND action LIKE 'support.%' ORDER BY id`;

describe('support retries a failed step (T4)', () => {
  it('T4: an invitation email refused with SMTP 550 waits for support, is retried once the mail server is fixed, sent once, and the invitation goes on to acceptance', async () => {
    const { id, workflowId, body, incident } = await customerWithRefusedInvitation();
    // Operators see it: the incident with its step and error, and the NeedsAttention search attribute.
    expect(incident).toMatchObject({
      lifecycle: 'invitation',
      resellerId: reseller.resellerId,
      customerId: id,
      step: 'send the invitation email',
      errorType: 'SmtpRejected',
    });
    expect(incident.error).toMatch(/550/);
    expect(await needsAttention(workflowId)).toBe(true);
    // The step before it (registering the customer, its VIP id) succeeded and stays done.
    const customer = await as(reseller.apiKey).get(`/v1/customers/${id}`);
    expect(customer.body).toMatchObject({ vipId: expect.stringMatching(/^VIP\d+$/), invitationStatus: 'pending' });
    expect(customer.body.invitation.incident).toMatchObject({ step: 'send the invitation email' });
    expect(await stack.mailbox.to(body.contact.email)).toHaveLength(0);

    // Resellers cannot see or act on incidents; support can.
    expect((await as(reseller.apiKey).get('/v1/support/incidents')).status).toBe(403);
    expect((await as(reseller.apiKey).post(`/v1/support/incidents/${workflowId}/retry`).send({})).status).toBe(403);

    // The mail server is fixed (the front door relays again); support retries.
    const retried = await as(support.apiKey)
      .post(`/v1/support/incidents/${workflowId}/retry`)
      .send({ reason: 'relay fixed' });
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ step: 'send the invitation email', action: 'retried', outcome: 'done' });
    await waitForIncident(workflowId, false);
    expect(await needsAttention(workflowId)).toBe(false);

    // Sent exactly once, and the customer registered only once (same VIP id, one row).
    const mails = await stack.mailbox.waitFor(body.contact.email, 1);
    await new Promise((r) => setTimeout(r, 1000));
    expect(await stack.mailbox.to(body.contact.email)).toHaveLength(1);
    const rows = await stack.sql`SELECT vip_id FROM customers WHERE id = ${id}`;
    expect(rows).toHaveLength(1);
    expect(rows[0]!.vipId).toBe(customer.body.vipId);
    // A second retry has nothing to retry.
    expect((await as(support.apiKey).post(`/v1/support/incidents/${workflowId}/retry`).send({})).status).toBe(409);

    // The lifecycle goes on: the contact accepts through the link that finally arrived.
    const token = tokenOf(linkIn(mails[0]!));
    const accepted = await request(stack.app).post('/invitations/accept').type('form').send({ token, agree: 'yes' });
    expect(accepted.status).toBe(200);
    // D7: once accepted, the details answer from the row; the closed run is not asked (no replay on the worker).
    expect((await as(reseller.apiKey).get(`/v1/customers/${id}`)).body).toMatchObject({
      invitationStatus: 'accepted',
      invitation: null,
    });

    const audit = await auditOf(id);
    expect(audit).toEqual([expect.objectContaining({ action: 'support.retry', actor: `user:${support.userId}` })]);
    expect(audit[0]!.after.reason).toBe('relay fixed');
  });

  it('T4: support retries at a corrected address: the email goes to the corrected one only', async () => {
    const { id, workflowId, body } = await customerWithRefusedInvitation();
    const corrected = uniqueEmail('corrected');
    const retried = await as(support.apiKey)
      .post(`/v1/support/incidents/${workflowId}/retry`)
      .send({ reason: 'typo in the address', correction: { email: corrected } });
    expect(retried.status).toBe(200);
    expect(retried.body.outcome).toBe('done');
    expect(await stack.mailbox.waitFor(corrected, 1)).toHaveLength(1);
    expect(await stack.mailbox.to(body.contact.email)).toHaveLength(0);
    expect((await as(reseller.apiKey).get(`/v1/customers/${id}`)).body.contact.email).toBe(corrected);
  });

  it('T4: support skips a failed step with a reason (audited); the lifecycle goes on without it', async () => {
    const { id, workflowId, body } = await customerWithRefusedInvitation();
    const noReason = await as(support.apiKey).post(`/v1/support/incidents/${workflowId}/skip`).send({});
    expect(noReason.status).toBe(400);
    expect(noReason.body.error.issues[0].field).toBe('reason');

    const skipped = await as(support.apiKey)
      .post(`/v1/support/incidents/${workflowId}/skip`)
      .send({ reason: 'the customer was invited by phone' });
    expect(skipped.status).toBe(200);
    expect(skipped.body).toMatchObject({ step: 'send the invitation email', action: 'skipped' });
    await waitForIncident(workflowId, false);
    expect(await needsAttention(workflowId)).toBe(false);
    expect(await stack.mailbox.to(body.contact.email)).toHaveLength(0);

    // Still pending and remindable: the reseller's reminder goes out through the running lifecycle.
    const state = await as(reseller.apiKey).get(`/v1/customers/${id}`);
    expect(state.body).toMatchObject({ invitationStatus: 'pending', invitation: { incident: null } });
    const reminder = await as(reseller.apiKey).post(`/v1/customers/${id}/invitation/reminders`).send({});
    expect(reminder.status).toBe(200);
    expect(await stack.mailbox.waitFor(body.contact.email, 1)).toHaveLength(1);

    expect(await auditOf(id)).toEqual([
      expect.objectContaining({
        action: 'support.skip',
        actor: `user:${support.userId}`,
        after: expect.objectContaining({ reason: 'the customer was invited by phone' }),
      }),
    ]);
  });

  it('T4: an unknown workflow id is a 404 for support', async () => {
    const res = await as(support.apiKey).post('/v1/support/incidents/invitation:nope/retry').send({});
    expect(res.status).toBe(404);
  });

  it('T4: a lifecycle no worker answers for (all killed, or an old task queue) is listed as unanswered within seconds, not after a 30 s wait', async () => {
    // Marked as needing attention on a task queue nobody polls: visibility lists it, its run cannot answer.
    const workflowId = `invitation:no-worker-${randomUUID()}`;
    const handle = await stack.temporal.workflow.start('invitationWorkflow', {
      workflowId,
      taskQueue: `nobody-polls-${randomUUID()}`,
      args: [{}],
      typedSearchAttributes: new TypedSearchAttributes([
        { key: NeedsAttentionKey, value: true },
        { key: LifecycleKey, value: 'invitation' },
        { key: ResellerIdKey, value: reseller.resellerId },
      ]),
    });
    try {
      const deadline = Date.now() + 20_000;
      for (;;) {
        const started = Date.now();
        const res = await as(support.apiKey).get('/v1/support/incidents');
        const took = Date.now() - started;
        expect(res.status).toBe(200);
        expect(took).toBeLessThan(INCIDENT_QUERY_DEADLINE_MS + 3_000);
        const listed = (res.body.unanswered as { workflowId: string }[]).find((u) => u.workflowId === workflowId);
        if (listed) {
          expect(listed).toEqual({
            workflowId,
            lifecycle: 'invitation',
            resellerId: reseller.resellerId,
            customerId: null,
          });
          expect((res.body.data as IncidentJson[]).map((i) => i.workflowId)).not.toContain(workflowId);
          break;
        }
        if (Date.now() > deadline) throw new Error('the unanswered lifecycle never appeared');
        await new Promise((r) => setTimeout(r, 250));
      }
    } finally {
      await handle.terminate('test over');
    }
  });
});
