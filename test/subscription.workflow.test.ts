import { randomUUID } from 'node:crypto';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { hashPassword } from '../api/passwords';
import { storeContactPassword } from '../db/subscriptions';
import {
  cancelSubscriptionUpdate,
  changeUserCountUpdate,
  completeContactSetupUpdate,
  reinviteContactUpdate,
  SubscriptionFailure,
  subscriptionStateQuery,
  subscriptionStoredUpdate,
  subscriptionWorkflowId,
  type SubscriptionInput,
} from '../workflows/definitions';
import { subscriptionWorkflow } from '../workflows';
import { resellerForSuite, uniqueEmail } from './helpers/fixtures';
import { linkIn, tokenHashOf } from './helpers/mailbox';
import { eventually, timeSkippingSuite } from './helpers/temporal';

const { sql, mailbox, env, start } = timeSkippingSuite();
const reseller = resellerForSuite({ sql });
let passwordHash: string;
beforeAll(async () => {
  passwordHash = await hashPassword('Lantern-Quiver-Oatmeal-93');
});

async function subscribe(overrides: Partial<SubscriptionInput> = {}) {
  const subscriptionId = randomUUID();
  const input: SubscriptionInput = {
    subscriptionId,
    resellerId: reseller.resellerId,
    createdBy: reseller.userId,
    customerId: null,
    product: 'signatures-microsoft-365',
    companyName: `Fjord Mail ${subscriptionId.slice(0, 6)}`,
    users: 25,
    contact: { name: 'Ingrid Berg', email: uniqueEmail('signatures') },
    contactLinkTtl: '14 days',
    ...overrides,
  };
  const handle = await start(subscriptionWorkflow, {
    workflowId: subscriptionWorkflowId(subscriptionId),
    args: [input],
  });
  const stored = await handle.executeUpdate(subscriptionStoredUpdate);
  return { handle, input, subscriptionId, stored };
}

async function refusal(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      // A rule's refusal carries its type; a malformed argument only a message.
      const type = (err.cause as { type?: string } | undefined)?.type;
      return type && type !== 'Error' ? type : (err.cause as Error).message;
    }
    throw err;
  }
  throw new Error('expected the update to be refused');
}

describe('subscription lifecycle on the time-skipping server', () => {
  it('E1: stores the product, the company name and the exact number of users; no contact, no email', async () => {
    const { subscriptionId, stored, handle } = await subscribe({
      product: 'signatures-google-workspace',
      users: 137,
      contact: null,
    });
    expect(stored).toMatchObject({ status: 'active', users: 137, contactSetup: 'none', contactLinkExpiresAt: null });
    const [row] =
      await sql`SELECT product, company_name, users, status, customer_can_edit_signatures FROM subscriptions WHERE id = ${subscriptionId}`;
    expect(row).toMatchObject({
      product: 'signatures-google-workspace',
      users: 137,
      status: 'active',
      customerCanEditSignatures: false,
    });
    expect(
      await sql`SELECT 1 FROM email_log WHERE idempotency_key LIKE ${`${subscriptionWorkflowId(subscriptionId)}/%`}`,
    ).toHaveLength(0);
    expect((await handle.query(subscriptionStateQuery)).status).toBe('active');
  });

  it('E2: the contact is emailed a single-use link; setting up the account completes it, and the link is spent', async () => {
    const { input, subscriptionId, handle } = await subscribe();
    const [mail] = await mailbox.waitFor(input.contact!.email, 1);
    expect(mail!.subject).toContain(input.companyName);
    const tokenHash = tokenHashOf(linkIn(mail!));
    const [token] =
      await sql`SELECT purpose, subscription_id, used_at FROM access_tokens WHERE token_hash = ${Buffer.from(tokenHash, 'hex')}`;
    expect(token).toMatchObject({ purpose: 'subscription_contact', subscriptionId, usedAt: null });

    // Without a stored password the setup cannot complete; the API stores its hash first, outside history.
    expect(
      await refusal(
        handle.executeUpdate(completeContactSetupUpdate, { args: [{ tokenHash, name: 'Ingrid Berg', phone: null }] }),
      ),
    ).toBe(SubscriptionFailure.LinkInvalid);
    await storeContactPassword(sql, { subscriptionId, email: input.contact!.email, passwordHash });
    const state = await handle.executeUpdate(completeContactSetupUpdate, {
      args: [{ tokenHash, name: 'Ingrid Berg', phone: '+47 555 0100' }],
    });
    expect(state.contactSetup).toBe('completed');
    const [contact] =
      await sql`SELECT name, phone, password_hash, setup_at FROM subscription_contacts WHERE subscription_id = ${subscriptionId}`;
    expect(contact).toMatchObject({
      name: 'Ingrid Berg',
      phone: '+47 555 0100',
      passwordHash: expect.stringMatching(/^\$argon2id\$/),
    });
    expect(contact!.setupAt).toBeInstanceOf(Date);
    // Single use: the same link again is refused.
    expect(
      await refusal(
        handle.executeUpdate(completeContactSetupUpdate, { args: [{ tokenHash, name: 'X', phone: null }] }),
      ),
    ).toBe(SubscriptionFailure.ContactSetupClosed);
    const history = JSON.stringify(await handle.fetchHistory());
    expect(history).not.toContain('argon2id');
    // The workflow lives on for the subscription's life.
    expect((await handle.describe()).status.name).toBe('RUNNING');
  });

  it("E2 T3: a link that is not this subscription's is refused and the setup stays pending", async () => {
    const { handle } = await subscribe();
    expect(
      await refusal(
        handle.executeUpdate(completeContactSetupUpdate, {
          args: [{ tokenHash: 'ab'.repeat(32), name: 'X', phone: null }],
        }),
      ),
    ).toBe(SubscriptionFailure.LinkInvalid);
    expect((await handle.query(subscriptionStateQuery)).contactSetup).toBe('pending');
  });

  it('E2: the contact link expires after 14 days: the outcome is expired and the stored link stops working', async () => {
    const { input, subscriptionId, handle } = await subscribe();
    const [mail] = await mailbox.waitFor(input.contact!.email, 1);
    const tokenHash = tokenHashOf(linkIn(mail!));
    await env().sleep('13 days');
    expect((await handle.query(subscriptionStateQuery)).contactSetup).toBe('pending');
    await env().sleep('1 day');
    await env().sleep('1 minute');
    const state = await handle.query(subscriptionStateQuery);
    expect(state).toMatchObject({ contactSetup: 'expired', status: 'active' });
    const [token] = await sql<
      { expired: boolean }[]
    >`SELECT expires_at <= now() AS expired FROM access_tokens WHERE token_hash = ${Buffer.from(tokenHash, 'hex')}`;
    expect(token?.expired).toBe(true);
    expect(
      await refusal(
        handle.executeUpdate(completeContactSetupUpdate, { args: [{ tokenHash, name: 'Late', phone: null }] }),
      ),
    ).toBe(SubscriptionFailure.ContactSetupClosed);
    expect(
      await sql`SELECT 1 FROM subscription_contacts WHERE subscription_id = ${subscriptionId} AND password_hash IS NOT NULL`,
    ).toHaveLength(0);
  });

  it('E2: a contact whose link expired is invited again: a new email, a new link that works for 14 days more; the old one stays dead', async () => {
    const { input, subscriptionId, handle } = await subscribe();
    const [first] = await mailbox.waitFor(input.contact!.email, 1);
    const oldHash = tokenHashOf(linkIn(first!));
    const reinvite = () =>
      handle.executeUpdate(reinviteContactUpdate, { args: [{ actor: `user:${reseller.userId}` }] });
    // Only an expired setup is invited again.
    expect(await refusal(reinvite())).toBe(SubscriptionFailure.ContactNotExpired);
    await env().sleep('14 days');
    await env().sleep('1 minute');
    expect((await handle.query(subscriptionStateQuery)).contactSetup).toBe('expired');

    const reopened = await reinvite();
    expect(reopened.contactSetup).toBe('pending');
    const mails = await mailbox.waitFor(input.contact!.email, 2);
    expect(mails).toHaveLength(2);
    const newHash = tokenHashOf(linkIn(mails[1]!));
    expect(newHash).not.toBe(oldHash);
    // The old link stays expired; the new one completes the setup days later, within its own 14 days.
    await env().sleep('10 days');
    await storeContactPassword(sql, { subscriptionId, email: input.contact!.email, passwordHash });
    expect(
      await refusal(
        handle.executeUpdate(completeContactSetupUpdate, { args: [{ tokenHash: oldHash, name: 'Old', phone: null }] }),
      ),
    ).toBe(SubscriptionFailure.LinkInvalid);
    const done = await handle.executeUpdate(completeContactSetupUpdate, {
      args: [{ tokenHash: newHash, name: 'Ingrid Berg', phone: null }],
    });
    expect(done.contactSetup).toBe('completed');
    // A completed setup is not invited again; and no third email went out.
    expect(await refusal(reinvite())).toBe(SubscriptionFailure.ContactNotExpired);
    await env().sleep('30 days');
    expect(await mailbox.to(input.contact!.email)).toHaveLength(2);
  });

  it('E3: the user count changes through the workflow, audited with before and after; bad counts are refused', async () => {
    const { subscriptionId, handle } = await subscribe({ contact: null, users: 10 });
    for (const users of [0, -3, 1.5, 100_001]) {
      expect(await refusal(handle.executeUpdate(changeUserCountUpdate, { args: [{ users, actor: 'user:x' }] }))).toBe(
        SubscriptionFailure.InvalidUserCount,
      );
    }
    const state = await handle.executeUpdate(changeUserCountUpdate, {
      args: [{ users: 42, actor: `user:${reseller.userId}` }],
    });
    expect(state.users).toBe(42);
    const audit =
      await sql`SELECT actor, before, after FROM audit_events WHERE entity_id = ${subscriptionId} AND action = 'subscription.users_changed'`;
    expect(audit).toEqual([{ actor: `user:${reseller.userId}`, before: { users: 10 }, after: { users: 42 } }]);
    const [row] = await sql`SELECT users FROM subscriptions WHERE id = ${subscriptionId}`;
    expect(row?.users).toBe(42);
  });

  it('E3: cancelling makes the subscription inactive and ends its workflow; later changes are refused', async () => {
    const { subscriptionId, handle } = await subscribe();
    const state = await handle.executeUpdate(cancelSubscriptionUpdate, {
      args: [{ actor: `user:${reseller.userId}` }],
    });
    expect(state.status).toBe('inactive');
    expect(await handle.result()).toMatchObject({ subscriptionId, status: 'inactive', contactSetup: 'expired' });
    const [row] = await sql`SELECT status FROM subscriptions WHERE id = ${subscriptionId}`;
    expect(row?.status).toBe('inactive');
    await expect(
      handle.executeUpdate(changeUserCountUpdate, { args: [{ users: 5, actor: 'user:x' }] }),
    ).rejects.toThrow();
  });

  it('E2: malformed contact details are refused with the typed ContactInvalid; the setup stays pending', async () => {
    const { handle } = await subscribe();
    const setup = (args: { tokenHash: string; name: string; phone: string | null }) =>
      refusal(handle.executeUpdate(completeContactSetupUpdate, { args: [args] }));
    const hash = 'ab'.repeat(32);
    expect(await setup({ tokenHash: 'not-hex', name: 'Ingrid', phone: null })).toBe(SubscriptionFailure.ContactInvalid);
    expect(await setup({ tokenHash: hash, name: '  ', phone: null })).toBe(SubscriptionFailure.ContactInvalid);
    expect(await setup({ tokenHash: hash, name: 'Ingrid', phone: '' })).toBe(SubscriptionFailure.ContactInvalid);
    expect(await handle.query(subscriptionStateQuery)).toMatchObject({ contactSetup: 'pending', incident: null });
  });
});

it('E3: an active subscription is invoiced at each payment date for the month it begins, at its users then; none once cancelled', async () => {
  const { handle, subscriptionId } = await subscribe({ contact: null });
  const invoices = () =>
    sql<{ users: number; totalMinor: number; periodStart: Date; periodEnd: Date }[]>`
      SELECT users, total_minor::float8 AS total_minor, period_start, period_end FROM subscription_invoices
      WHERE subscription_id = ${subscriptionId} ORDER BY period_start`;
  await env().sleep('27 days');
  expect(await invoices()).toEqual([]);
  await env().sleep('5 days');
  await eventually(async () => expect((await invoices()).map((i) => [i.users, i.totalMinor])).toEqual([[25, 3750]]));

  // More users from the next month: 30 × 1.50 EUR.
  await handle.executeUpdate(changeUserCountUpdate, { args: [{ users: 30, actor: 'user:test' }] });
  await env().sleep('31 days');
  await eventually(async () =>
    expect((await invoices()).map((i) => [i.users, i.totalMinor])).toEqual([
      [25, 3750],
      [30, 4500],
    ]),
  );
  const [first, second] = await invoices();
  // Back to back: each month starts where the one before ended, a calendar month later (clamped at a month's end).
  expect(second!.periodStart).toEqual(first!.periodEnd);
  const days = (second!.periodStart.getTime() - first!.periodStart.getTime()) / 86_400_000;
  expect(days).toBeGreaterThanOrEqual(28);
  expect(days).toBeLessThanOrEqual(31);

  await handle.executeUpdate(cancelSubscriptionUpdate, { args: [{ actor: 'user:test' }] });
  await env().sleep('62 days');
  expect(await invoices()).toHaveLength(2);
});
