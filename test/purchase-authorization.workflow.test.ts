import { randomUUID } from 'node:crypto';
import { planCounts } from '../db/purchase-authorizations';
import { purchaseAuthorizationWorkflow } from '../workflows';
import {
  assignLicensesUpdate,
  cancelPurchaseAuthorizationUpdate,
  placeOrderUpdate,
  purchaseAuthorizationStateQuery,
  purchaseAuthorizationStoredUpdate,
  purchaseAuthorizationWorkflowId,
  recordPaymentUpdate,
  requestReturnUpdate,
  type PurchaseAuthorizationInput,
  type PurchaseAuthorizationNotice,
  type PurchaseAuthorizationStatus,
  PurchaseAuthorizationFailure,
  renewalStateQuery,
  renewalWorkflowId,
} from '../workflows/definitions';
import { newReseller, registeredCustomer, type RegisteredCustomer } from './helpers/fixtures';
import { addResellerUser, moveCustomer, userEmailOf } from './helpers/ownership';
import { eventually, refusalReason, refusalType, timeSkippingSuite } from './helpers/temporal';

const { sql, mailbox, env, start } = timeSkippingSuite();

const paInput = (
  c: RegisteredCustomer,
  overrides: Partial<PurchaseAuthorizationInput> = {},
): PurchaseAuthorizationInput => ({
  paId: randomUUID(),
  resellerId: c.reseller.resellerId,
  customerId: c.customerId,
  createdBy: c.reseller.userId,
  product: 'Creative Cloud All Apps',
  quantity: 5,
  extendedTermMonths: null,
  terms: {
    overdueAfter: '31 days',
    deactivateAfter: '61 days',
    returnWindow: '14 days',
    returnProcessing: '2 days',
    warnBefore: '7 days',
  },
  ...overrides,
});

async function startPa(input: PurchaseAuthorizationInput) {
  const workflowId = purchaseAuthorizationWorkflowId(input.paId);
  const handle = await start(purchaseAuthorizationWorkflow, { workflowId, args: [input] });
  return { handle, stored: await handle.executeUpdate(purchaseAuthorizationStoredUpdate) };
}

/** Timers fire while the clock skips; their activities finish a moment later. */
async function statusBecomes(
  handle: Awaited<ReturnType<typeof startPa>>['handle'],
  status: PurchaseAuthorizationStatus,
) {
  for (let i = 0; i < 100; i++) {
    if ((await handle.query(purchaseAuthorizationStateQuery)).status === status) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`status never became ${status}`);
}

const rowOf = async (paId: string) =>
  (
    await sql<
      { status: string; licenseStatus: string }[]
    >`SELECT pa.status, l.status AS license_status FROM purchase_authorizations pa JOIN licenses l ON l.purchase_authorization_id = pa.id WHERE pa.id = ${paId}`
  )[0];
const actor = { actor: 'user:test' };
/** P2: a payment with its evidence, as the API sends it. */
const withPayment = () => ({
  ...actor,
  payment: {
    paymentId: randomUUID(),
    source: 'recorded' as const,
    providerEventId: null,
    reference: `ref-${randomUUID()}`,
    amountMinor: 100,
    currency: 'EUR',
  },
});
/** Polls until `check` passes: an activity's result reaches the workflow's state a moment after its email. */
const subjectsTo = async (address: string) => (await mailbox.to(address)).map((m) => m.subject).sort();

// First: the renewal run's anniversary comes from the database's clock, which the test server's clock leaves behind.
describe('the PA on the lifecycle kernel', () => {
  it('C5/R1: the first PA sets the anniversary, and the PA lifecycle starts the renewal run of that anniversary', async () => {
    const c = await registeredCustomer(sql);
    await startPa(paInput(c));
    const [row] = await sql<{ anniversaryDate: string | null }[]>`
      SELECT to_char(anniversary_date, 'YYYY-MM-DD') AS anniversary_date FROM customers WHERE id = ${c.customerId}`;
    expect(row!.anniversaryDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const renewal = env().client.workflow.getHandle(renewalWorkflowId(c.customerId, row!.anniversaryDate as string));
    await eventually(async () =>
      expect(await renewal.query(renewalStateQuery)).toMatchObject({
        status: 'scheduled',
        anniversaryDate: row!.anniversaryDate,
      }),
    );
  });

  it('P3/P5: refusals are typed by the contract (NotChangeable, Invalid), a refused store is Refused (P2)', async () => {
    const c = await registeredCustomer(sql);
    const { handle } = await startPa(paInput(c));
    expect(await refusalType(handle.executeUpdate(requestReturnUpdate, { args: [actor] }))).toBe(
      PurchaseAuthorizationFailure.NotChangeable,
    );
    expect(
      await refusalType(handle.executeUpdate(assignLicensesUpdate, { args: [{ assigned: 6, actor: 'user:test' }] })),
    ).toBe(PurchaseAuthorizationFailure.Invalid);
    // T1: a tenant that does not own the customer is refused when the PA is stored.
    const other = await newReseller(sql);
    const { stored } = await startPa(paInput(c, { resellerId: other.resellerId, createdBy: other.userId }));
    expect(stored).toMatchObject({ status: 'refused', refusal: expect.stringContaining('another reseller') });
  });
});

describe('purchase authorizations on the time-skipping server', () => {
  it('P2: unpaid, a PA is overdue at day 31 (licenses usable, no new PAs), deactivated at day 61, restored by payment at day 70 (P1: immediate access)', async () => {
    const c = await registeredCustomer(sql);
    const input = paInput(c);
    const { handle, stored } = await startPa(input);
    expect(stored).toMatchObject({ status: 'pending', licensesActive: true });
    expect(await rowOf(input.paId)).toEqual({ status: 'pending', licenseStatus: 'active' });

    await env().sleep('30 days');
    expect((await handle.query(purchaseAuthorizationStateQuery)).status).toBe('pending');
    await env().sleep('1 day');
    await statusBecomes(handle, 'overdue');
    expect(await handle.query(purchaseAuthorizationStateQuery)).toMatchObject({ licensesActive: true });
    expect(await rowOf(input.paId)).toEqual({ status: 'overdue', licenseStatus: 'active' });
    const second = await startPa(paInput(c));
    expect(second.stored).toMatchObject({ status: 'refused', refusal: expect.stringContaining('overdue') });

    await env().sleep('29 days');
    expect((await handle.query(purchaseAuthorizationStateQuery)).status).toBe('overdue');
    await env().sleep('1 day');
    await statusBecomes(handle, 'deactivated');
    expect(await rowOf(input.paId)).toEqual({ status: 'deactivated', licenseStatus: 'deactivated' });

    await env().sleep('9 days');
    const paid = await handle.executeUpdate(recordPaymentUpdate, { args: [withPayment()] });
    expect(paid).toMatchObject({ status: 'paid', licensesActive: true });
    expect(await rowOf(input.paId)).toEqual({ status: 'paid', licenseStatus: 'active' });
  });

  it('P3: a PA is cancelled only while pending and with no license assigned; the customer loses access', async () => {
    const c = await registeredCustomer(sql);
    const input = paInput(c);
    const { handle } = await startPa(input);
    await handle.executeUpdate(assignLicensesUpdate, { args: [{ assigned: 2, actor: 'user:test' }] });
    await expect(handle.executeUpdate(cancelPurchaseAuthorizationUpdate, { args: [actor] })).rejects.toThrow();
    await handle.executeUpdate(assignLicensesUpdate, { args: [{ assigned: 0, actor: 'user:test' }] });
    expect(await handle.executeUpdate(cancelPurchaseAuthorizationUpdate, { args: [actor] })).toMatchObject({
      status: 'cancelled',
      licensesActive: false,
    });
    expect(await rowOf(input.paId)).toEqual({ status: 'cancelled', licenseStatus: 'cancelled' });
    // The run ends (described, not awaited with result(), which lets the test server skip ahead to any run's timers).
    await eventually(async () => expect((await handle.describe()).status.name).toBe('COMPLETED'));

    const ordered = (await startPa(paInput(c))).handle;
    await ordered.executeUpdate(placeOrderUpdate, { args: [actor] });
    expect(await refusalReason(ordered.executeUpdate(cancelPurchaseAuthorizationUpdate, { args: [actor] }))).toMatch(
      /return/,
    );
  });

  it('P4: a return is requested only after an order, within the return window; it is processed two days later, and only then are the licenses returned', async () => {
    const c = await registeredCustomer(sql);
    const input = paInput(c);
    const { handle } = await startPa(input);
    expect(await refusalReason(handle.executeUpdate(requestReturnUpdate, { args: [actor] }))).toMatch(/cancel/);
    await handle.executeUpdate(placeOrderUpdate, { args: [actor] });
    const requested = await handle.executeUpdate(requestReturnUpdate, { args: [actor] });
    expect(requested).toMatchObject({ status: 'return_requested', licensesActive: true });
    expect(Date.parse(requested.returnProcessedBy!) - Date.parse(requested.returnRequestedAt!)).toBe(2 * 86_400_000);
    expect(await rowOf(input.paId)).toEqual({ status: 'return_requested', licenseStatus: 'active' });
    // Requested, not yet processed: no second request, no payment, no assignment.
    expect(await refusalType(handle.executeUpdate(requestReturnUpdate, { args: [actor] }))).toBe(
      PurchaseAuthorizationFailure.NotChangeable,
    );
    expect(await refusalType(handle.executeUpdate(recordPaymentUpdate, { args: [withPayment()] }))).toBe(
      PurchaseAuthorizationFailure.NotChangeable,
    );
    expect(
      await refusalType(handle.executeUpdate(assignLicensesUpdate, { args: [{ assigned: 1, actor: 'user:test' }] })),
    ).toBe(PurchaseAuthorizationFailure.NotChangeable);

    await env().sleep('1 day');
    expect(await rowOf(input.paId)).toEqual({ status: 'return_requested', licenseStatus: 'active' });
    await env().sleep('1 day');
    await env().sleep('1 minute');
    await eventually(async () => expect((await handle.describe()).status.name).toBe('COMPLETED'));
    expect(await rowOf(input.paId)).toEqual({ status: 'returned', licenseStatus: 'returned' });
    const audit = await sql<{ action: string; actor: string }[]>`
      SELECT action, actor FROM audit_events WHERE entity_id = ${input.paId} AND action LIKE '%return%' ORDER BY id`;
    expect(audit).toEqual([
      { action: 'purchase_authorization.return_requested', actor: actor.actor },
      { action: 'purchase_authorization.returned', actor: 'system' },
    ]);

    const late = (await startPa(paInput(c))).handle;
    await late.executeUpdate(placeOrderUpdate, { args: [actor] });
    await env().sleep('15 days');
    expect(await refusalReason(late.executeUpdate(requestReturnUpdate, { args: [actor] }))).toMatch(/14 days/);
  });

  it('P5: the plans view counts fulfilled and pending, assigned and unassigned licenses', async () => {
    const c = await registeredCustomer(sql);
    const a = await startPa(paInput(c, { quantity: 5 }));
    const b = await startPa(paInput(c, { quantity: 2 }));
    const gone = await startPa(paInput(c, { quantity: 7 }));
    await a.handle.executeUpdate(placeOrderUpdate, { args: [actor] });
    await a.handle.executeUpdate(assignLicensesUpdate, { args: [{ assigned: 3, actor: 'user:test' }] });
    await b.handle.executeUpdate(assignLicensesUpdate, { args: [{ assigned: 1, actor: 'user:test' }] });
    await gone.handle.executeUpdate(cancelPurchaseAuthorizationUpdate, { args: [actor] });
    expect(await planCounts(sql, c.customerId)).toEqual({ fulfilled: 5, pending: 2, assigned: 4, unassigned: 3 });
  });
});

describe('P2: the reseller and the customer hear about a PA before and when it is overdue or deactivated', () => {
  it('P2: both are warned at day 24 and day 54 and told at day 31 (overdue) and day 61 (deactivated); billing-only users are not', async () => {
    const c = await registeredCustomer(sql);
    const resellerEmail = await userEmailOf(sql, c.reseller.userId);
    const billingOnly = await addResellerUser(sql, c.reseller.resellerId, ['billing']);
    const { handle, stored } = await startPa(paInput(c));
    expect(stored).toMatchObject({ status: 'pending', noticesSent: [], incident: null });
    const overdueOn = stored.overdueAt.slice(0, 10);
    const deactivateOn = stored.deactivateAt.slice(0, 10);

    await env().sleep('23 days');
    expect(await mailbox.to(c.email)).toHaveLength(0);
    expect(await mailbox.to(resellerEmail)).toHaveLength(0);
    await env().sleep('1 day'); // day 24
    const [warnedReseller] = await mailbox.waitFor(resellerEmail, 1);
    expect(warnedReseller!.subject).toBe(`Payment due by ${overdueOn}: purchase authorization of Nordic Print AB`);
    expect(warnedReseller!.text).toContain('5 × Creative Cloud All Apps');
    const [warnedCustomer] = await mailbox.waitFor(c.email, 1);
    expect(warnedCustomer!.subject).toBe(`Payment for your Creative Cloud All Apps licenses is due by ${overdueOn}`);
    expect((await handle.query(purchaseAuthorizationStateQuery)).status).toBe('pending');

    await env().sleep('6 days');
    expect(await mailbox.to(resellerEmail)).toHaveLength(1);
    await env().sleep('1 day'); // day 31
    await statusBecomes(handle, 'overdue');
    await mailbox.waitFor(resellerEmail, 2);
    await mailbox.waitFor(c.email, 2);

    await env().sleep('23 days'); // day 54
    await mailbox.waitFor(resellerEmail, 3);
    await mailbox.waitFor(c.email, 3);
    expect((await handle.query(purchaseAuthorizationStateQuery)).status).toBe('overdue');
    await env().sleep('7 days'); // day 61
    await statusBecomes(handle, 'deactivated');
    await mailbox.waitFor(resellerEmail, 4);
    await mailbox.waitFor(c.email, 4);

    expect(await subjectsTo(resellerEmail)).toEqual(
      [
        `Payment due by ${overdueOn}: purchase authorization of Nordic Print AB`,
        'Overdue: purchase authorization of Nordic Print AB',
        `Licenses of Nordic Print AB will be deactivated on ${deactivateOn}`,
        'Licenses of Nordic Print AB deactivated',
      ].sort(),
    );
    expect(await subjectsTo(c.email)).toEqual(
      [
        `Payment for your Creative Cloud All Apps licenses is due by ${overdueOn}`,
        'Payment overdue: your Creative Cloud All Apps licenses',
        `Your Creative Cloud All Apps licenses will be deactivated on ${deactivateOn}`,
        'Your Creative Cloud All Apps licenses have been deactivated',
      ].sort(),
    );
    expect(await mailbox.to(billingOnly.email)).toHaveLength(0);
    const notices: PurchaseAuthorizationNotice[] = [
      'overdue_warning',
      'overdue',
      'deactivation_warning',
      'deactivated',
    ];
    await eventually(async () =>
      expect((await handle.query(purchaseAuthorizationStateQuery)).noticesSent).toEqual(notices),
    );
  });

  it('P2: a PA paid before day 24 sends no warning and no overdue notice', async () => {
    const c = await registeredCustomer(sql);
    const resellerEmail = await userEmailOf(sql, c.reseller.userId);
    const { handle } = await startPa(paInput(c));
    await env().sleep('10 days');
    await handle.executeUpdate(recordPaymentUpdate, { args: [withPayment()] });
    await env().sleep('25 days'); // day 35: past the warning and the overdue date
    // (A query, not result(): awaiting a result lets the test server skip to the next timer of any run.)
    expect(await handle.query(purchaseAuthorizationStateQuery)).toMatchObject({ status: 'paid', noticesSent: [] });
    expect(await mailbox.to(c.email)).toHaveLength(0);
    expect(await mailbox.to(resellerEmail)).toHaveLength(0);
  });

  it('P2: notices go to the reseller that owns the customer now (X2 moved it), never to the one that created the PA', async () => {
    const c = await registeredCustomer(sql);
    const creatorEmail = await userEmailOf(sql, c.reseller.userId);
    const input = paInput(c);
    const { handle } = await startPa(input);
    const owner = await newReseller(sql);
    const ownerEmail = await userEmailOf(sql, owner.userId);
    await moveCustomer(sql, c.customerId, owner.resellerId);

    await env().sleep('24 days');
    const [warned] = await mailbox.waitFor(ownerEmail, 1);
    expect(warned!.subject).toMatch(/^Payment due by/);
    await mailbox.waitFor(c.email, 1);
    await env().sleep('7 days');
    await statusBecomes(handle, 'overdue');
    await mailbox.waitFor(ownerEmail, 2);
    expect(await mailbox.to(creatorEmail)).toHaveLength(0);
    // What the lifecycle writes is the current owner's too.
    const audit = await sql<{ resellerId: string }[]>`
      SELECT reseller_id FROM audit_events WHERE entity_id = ${input.paId} AND action = 'purchase_authorization.overdue'`;
    expect(audit).toEqual([{ resellerId: owner.resellerId }]);
  });
});
