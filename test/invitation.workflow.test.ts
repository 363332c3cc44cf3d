import { randomUUID } from 'node:crypto';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import {
  acceptInvitationUpdate,
  deleteInvitationUpdate,
  InvitationFailure,
  invitationStateQuery,
  invitationWorkflowId,
  LifecycleKey,
  registrationUpdate,
  renewalStateQuery,
  renewalWorkflowId,
  sendReminderUpdate,
  type CustomerDetails,
} from '../workflows/definitions';
import { invitationWorkflow } from '../workflows';
import { customerDetails, resellerForSuite, uniqueEmail } from './helpers/fixtures';
import { linkIn, tokenHashOf } from './helpers/mailbox';
import { eventually, timeSkippingSuite } from './helpers/temporal';

const { sql, mailbox, env, start } = timeSkippingSuite();
const reseller = resellerForSuite({ sql });

const SCHEDULE = ['3 days', '7 days', '14 days'];

async function invite(customer: CustomerDetails = customerDetails(), reminderSchedule = SCHEDULE) {
  const customerId = randomUUID();
  const handle = await start(invitationWorkflow, {
    workflowId: invitationWorkflowId(customerId),
    args: [{ customerId, resellerId: reseller.resellerId, invitedBy: reseller.userId, customer, reminderSchedule }],
  });
  const registration = await handle.executeUpdate(registrationUpdate);
  return { handle, customerId, customer, registration };
}

async function updateFailureType(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError)
      return (err.cause as { type?: string } | undefined)?.type ?? (err.cause as Error).message;
    throw err;
  }
  throw new Error('expected the update to be refused');
}

describe('invitation lifecycle on the time-skipping server', () => {
  it('C2: sending the invitation issues a unique VIP id and emails the contact; status is Pending', async () => {
    const a = await invite();
    const b = await invite();
    expect(a.registration.vipId).toMatch(/^VIP\d{10}$/);
    expect(b.registration.vipId).not.toEqual(a.registration.vipId);
    const [mail] = await mailbox.waitFor(a.customer.contact.email, 1);
    expect(mail?.subject).toContain(a.customer.organizationName);
    expect(mail?.text).toContain(a.registration.vipId);
    const state = await a.handle.query(invitationStateQuery);
    expect(state.status).toBe('pending');
    const [row] = await sql`SELECT invitation_status, vip_id FROM customers WHERE id = ${a.customerId}`;
    expect(row).toMatchObject({ invitationStatus: 'pending', vipId: a.registration.vipId });
  });

  it('C3: reminders follow the configured schedule while pending, and stop after the last one', async () => {
    const { customer, handle } = await invite();
    const to = customer.contact.email;
    await mailbox.waitFor(to, 1);
    await env().sleep('2 days');
    expect(await mailbox.to(to)).toHaveLength(1);
    await env().sleep('1 day');
    await mailbox.waitFor(to, 2);
    await env().sleep('4 days');
    await mailbox.waitFor(to, 3);
    await env().sleep('7 days');
    const all = await mailbox.waitFor(to, 4);
    expect(all.slice(1).every((m) => m.subject.startsWith('Reminder:'))).toBe(true);
    await env().sleep('30 days');
    expect(await mailbox.to(to)).toHaveLength(4);
    expect((await handle.query(invitationStateQuery)).status).toBe('pending');
  });

  it('C3: the reseller sends a reminder to a corrected address; the contact email follows', async () => {
    const { customer, customerId, handle } = await invite();
    const corrected = uniqueEmail('corrected');
    const state = await handle.executeUpdate(sendReminderUpdate, {
      args: [{ email: corrected, actor: `user:${reseller.userId}` }],
    });
    expect(state.contactEmail).toBe(corrected);
    const [mail] = await mailbox.waitFor(corrected, 1);
    expect(mail?.subject).toMatch(/^Reminder:/);
    expect(await mailbox.to(customer.contact.email)).toHaveLength(1);
    const [row] = await sql`SELECT contact_email FROM customers WHERE id = ${customerId}`;
    expect(row?.contactEmail).toBe(corrected);
  });

  it('C2: the contact accepts through the link: Accepted, the workflow completes, the link is spent', async () => {
    const { customer, customerId, handle } = await invite();
    const [mail] = await mailbox.waitFor(customer.contact.email, 1);
    const hash = tokenHashOf(linkIn(mail!));
    const state = await handle.executeUpdate(acceptInvitationUpdate, { args: [{ tokenHash: hash }] });
    expect(state.status).toBe('accepted');
    expect(await handle.result()).toMatchObject({ customerId, status: 'accepted' });
    const [row] = await sql`SELECT invitation_status, accepted_at FROM customers WHERE id = ${customerId}`;
    expect(row?.invitationStatus).toBe('accepted');
    const [token] = await sql`SELECT used_at FROM access_tokens WHERE token_hash = ${Buffer.from(hash, 'hex')}`;
    expect(token?.usedAt).toBeInstanceOf(Date);
  });

  it('C3: once accepted, no reminder can be sent and no deletion through the invitation', async () => {
    const { customer, handle } = await invite();
    const [mail] = await mailbox.waitFor(customer.contact.email, 1);
    const hash = tokenHashOf(linkIn(mail!));
    await handle.executeUpdate(acceptInvitationUpdate, { args: [{ tokenHash: hash }] });
    await expect(handle.executeUpdate(sendReminderUpdate, { args: [{ actor: 'user:x' }] })).rejects.toThrow();
    await expect(handle.executeUpdate(deleteInvitationUpdate, { args: [{ actor: 'user:x' }] })).rejects.toThrow();
    expect(await mailbox.to(customer.contact.email)).toHaveLength(1);
  });

  it('T3: a link that does not belong to the customer is refused and the invitation stays pending', async () => {
    const { handle } = await invite();
    const type = await updateFailureType(
      handle.executeUpdate(acceptInvitationUpdate, { args: [{ tokenHash: 'ab'.repeat(32) }] }),
    );
    expect(type).toBe(InvitationFailure.LinkInvalid);
    expect((await handle.query(invitationStateQuery)).status).toBe('pending');
  });

  it('C4: the same admin email cannot accept for two customers with exactly the same organization name', async () => {
    const admin = uniqueEmail('admin');
    const org = `Twin Org ${randomUUID().slice(0, 6)}`;
    const first = await invite(
      customerDetails({
        organizationName: org,
        organizationNameAscii: org,
        contact: { firstName: 'A', lastName: 'B', email: admin },
      }),
    );
    const second = await invite(
      customerDetails({
        organizationName: org,
        organizationNameAscii: org,
        contact: { firstName: 'A', lastName: 'B', email: admin },
      }),
    );
    const other = await invite(
      customerDetails({
        organizationName: `${org} GmbH`,
        organizationNameAscii: `${org} GmbH`,
        contact: { firstName: 'A', lastName: 'B', email: admin },
      }),
    );
    const mails = await mailbox.waitFor(admin, 3);
    const linkFor = (vipId: string) => linkIn(mails.find((m) => m.text.includes(vipId))!);

    await first.handle.executeUpdate(acceptInvitationUpdate, {
      args: [{ tokenHash: tokenHashOf(linkFor(first.registration.vipId)) }],
    });
    const type = await updateFailureType(
      second.handle.executeUpdate(acceptInvitationUpdate, {
        args: [{ tokenHash: tokenHashOf(linkFor(second.registration.vipId)) }],
      }),
    );
    expect(type).toBe(InvitationFailure.DuplicatePrimaryAdmin);
    expect((await second.handle.query(invitationStateQuery)).status).toBe('pending');
    // A different organization name is a different customer: allowed.
    const ok = await other.handle.executeUpdate(acceptInvitationUpdate, {
      args: [{ tokenHash: tokenHashOf(linkFor(other.registration.vipId)) }],
    });
    expect(ok.status).toBe('accepted');
  });

  it('C3 C8: a pending invitation without products is deleted with its customer', async () => {
    const { customerId, handle } = await invite();
    const state = await handle.executeUpdate(deleteInvitationUpdate, { args: [{ actor: `user:${reseller.userId}` }] });
    expect(state.status).toBe('deleted');
    expect(await handle.result()).toMatchObject({ status: 'deleted' });
    expect(await sql`SELECT 1 FROM customers WHERE id = ${customerId}`).toHaveLength(0);
    const [audit] =
      await sql`SELECT action FROM audit_events WHERE entity_id = ${customerId} AND action = 'customer.deleted'`;
    expect(audit).toBeDefined();
  });

  it('C8: a customer with a product cannot be deleted; the invitation stays pending', async () => {
    const { customerId, handle } = await invite();
    await sql`INSERT INTO licenses (id, reseller_id, customer_id, serial_number, product, status)
              VALUES (${randomUUID()}, ${reseller.resellerId}, ${customerId}, ${`SN-${randomUUID()}`}, 'PrintFactory Production', 'active')`;
    const type = await updateFailureType(handle.executeUpdate(deleteInvitationUpdate, { args: [{ actor: 'user:x' }] }));
    expect(type).toBe(InvitationFailure.HasProducts);
    expect((await handle.query(invitationStateQuery)).status).toBe('pending');
    expect(await sql`SELECT 1 FROM customers WHERE id = ${customerId}`).toHaveLength(1);
  });

  it('C5: an anniversary date picked at invitation is stored and can never change', async () => {
    const { customerId } = await invite(customerDetails({ anniversaryDate: '2027-03-15' }));
    const [row] =
      await sql`SELECT to_char(anniversary_date, 'YYYY-MM-DD') AS d FROM customers WHERE id = ${customerId}`;
    expect(row?.d).toBe('2027-03-15');
    await expect(sql`UPDATE customers SET anniversary_date = '2028-01-01' WHERE id = ${customerId}`).rejects.toThrow(
      /fixed once set \(C5\)/,
    );
  });

  it('C5 R1: an anniversary picked at invitation starts its renewal run at once, under its business key', async () => {
    const { customerId } = await invite(customerDetails({ anniversaryDate: '2031-06-30' }));
    const renewal = env().client.workflow.getHandle(renewalWorkflowId(customerId, '2031-06-30'));
    await eventually(async () =>
      expect(await renewal.query(renewalStateQuery)).toMatchObject({ customerId, anniversaryDate: '2031-06-30' }),
    );
    expect((await renewal.describe()).typedSearchAttributes.get(LifecycleKey)).toBe('renewal');
  });

  it('C2: starting the same business key twice finds the running invitation instead of a second one', async () => {
    const { customerId, registration } = await invite();
    await expect(
      start(invitationWorkflow, {
        workflowId: invitationWorkflowId(customerId),
        args: [
          {
            customerId,
            resellerId: reseller.resellerId,
            invitedBy: reseller.userId,
            customer: customerDetails(),
            reminderSchedule: SCHEDULE,
          },
        ],
      }),
    ).rejects.toThrow(/already started/i);
    const [row] = await sql`SELECT count(*)::int AS n, max(vip_id) AS vip FROM customers WHERE id = ${customerId}`;
    expect(row).toMatchObject({ n: 1, vip: registration.vipId });
  });

  it('C2 C3: a change that arrives before the run has stored the customer waits for it instead of being refused', async () => {
    const customerId = randomUUID();
    const customer = customerDetails();
    const handle = await start(invitationWorkflow, {
      workflowId: invitationWorkflowId(customerId),
      args: [
        {
          customerId,
          resellerId: reseller.resellerId,
          invitedBy: reseller.userId,
          customer,
          reminderSchedule: SCHEDULE,
        },
      ],
    });
    // No registration awaited: the API answers a create as soon as the server has the run.
    const corrected = uniqueEmail('corrected');
    const reminded = await handle.executeUpdate(sendReminderUpdate, {
      args: [{ email: corrected, actor: 'user:test' }],
    });
    expect(reminded).toMatchObject({ status: 'pending', contactEmail: corrected });
    const [row] = await sql`SELECT contact_email FROM customers WHERE id = ${customerId}`;
    expect(row).toMatchObject({ contactEmail: corrected });
  });
});
