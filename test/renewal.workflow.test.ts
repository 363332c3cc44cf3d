import { addMonths } from '../lib/dates';
import { extendedTermIssue } from '../lib/subscription-terms';
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createCustomerActivities } from '../activities/customers';
import { createMailer } from '../activities/mailer';
import { createPurchaseAuthorizationActivities } from '../activities/purchase-authorizations';
import { currentRenewalDate, findRenewalProfile } from '../db/renewals';
import { renewalWorkflow } from '../workflows';
import {
  commitThreeYearsUpdate,
  RenewalFailure,
  ResellerIdKey,
  renewalStateQuery,
  renewalWorkflowId,
  renewUpdate,
  type MarketSegment,
  type PurchaseAuthorizationInput,
  type RenewalInput,
} from '../workflows/definitions';
import { testContext } from './helpers/env';
import { customerDetails, newReseller } from './helpers/fixtures';
import { addResellerUser, moveCustomer, userEmailOf } from './helpers/ownership';
import { refusalReason, refusalType, withTimeSkippingWorker } from './helpers/temporal';

const { config, sql, mailbox } = testContext();
const mailer = createMailer(config);
const customers = createCustomerActivities({ sql, mailer, config });
const pas = createPurchaseAuthorizationActivities({ sql, mailer, config });
let env: TestWorkflowEnvironment;
let taskQueue: string;
withTimeSkippingWorker({ sql, config, mailer }, (suite) => ({ env, taskQueue } = suite));

const DAY = 86_400_000;
const TERMS = { noticeBefore: '45 days', earlyFrom: '30 days', earlyUntil: '1 day', lateUntil: '14 days' };

async function customerOf(segment: MarketSegment = 'commercial', anniversaryDate: string | null = null) {
  const reseller = await newReseller(sql);
  const customerId = randomUUID();
  const customer = customerDetails({ marketSegment: segment, anniversaryDate });
  await customers.registerCustomer({
    customerId,
    resellerId: reseller.resellerId,
    invitedBy: reseller.userId,
    customer,
    reminderSchedule: [],
  });
  return { reseller, customerId, email: customer.contact.email };
}

/** A purchase authorization stored directly (its own lifecycle is tested elsewhere): licenses to renew or expire. */
async function purchase(
  c: Awaited<ReturnType<typeof customerOf>>,
  quantity: number,
  extendedTermMonths: number | null = null,
) {
  const input: PurchaseAuthorizationInput = {
    paId: randomUUID(),
    resellerId: c.reseller.resellerId,
    customerId: c.customerId,
    createdBy: c.reseller.userId,
    product: 'Creative Cloud All Apps',
    quantity,
    extendedTermMonths,
    terms: { overdueAfter: '31 days', deactivateAfter: '61 days', returnWindow: '14 days' },
  };
  await pas.storePurchaseAuthorization({ input });
  return input.paId;
}

/** An anniversary `days` ahead of the test server's clock, at midnight UTC as the workflow counts it. */
async function anniversaryIn(days: number): Promise<{ date: string; at: number }> {
  const date = new Date((await env.currentTimeMs()) + days * DAY).toISOString().slice(0, 10);
  return { date, at: Date.parse(`${date}T00:00:00Z`) };
}
const sleepUntil = async (t: number) => env.sleep(Math.max(t - (await env.currentTimeMs()), 1));

async function startRenewal(c: Awaited<ReturnType<typeof customerOf>>, date: string) {
  const input: RenewalInput = {
    customerId: c.customerId,
    resellerId: c.reseller.resellerId,
    anniversaryDate: date,
    terms: TERMS,
  };
  return env.client.workflow.start(renewalWorkflow, {
    taskQueue,
    workflowId: renewalWorkflowId(c.customerId, date),
    args: [input],
  });
}

/** An order or a trial (PrintFactory) with its license, stored directly: the order lifecycle is tested elsewhere. */
async function orderLicense(c: Awaited<ReturnType<typeof customerOf>>, kind: 'order' | 'trial'): Promise<string> {
  const orderId = randomUUID();
  await sql`INSERT INTO orders (id, reseller_id, customer_id, kind, status, currency, subscription_type, plan,
                                subtotal_minor, discount_minor, total_minor, created_by)
            VALUES (${orderId}, ${c.reseller.resellerId}, ${c.customerId}, ${kind}, 'active', 'EUR', 'saas-annual',
                    'production', 99000, 0, 99000, ${c.reseller.userId})`;
  await sql`INSERT INTO licenses (id, reseller_id, customer_id, serial_number, product, status, order_id)
            VALUES (${orderId}, ${c.reseller.resellerId}, ${c.customerId}, ${`SN-${orderId}`}, 'PrintFactory Production',
                    'active', ${orderId})`;
  return orderId;
}
const licenseStatuses = async (customerId: string) =>
  (await sql<{ status: string }[]>`SELECT status FROM licenses WHERE customer_id = ${customerId}`).map((l) => l.status);
const actor = 'user:test';
/** Polls until `check` passes: a timer's activity finishes a moment after the clock crossed it. */
async function eventually(check: () => Promise<void>): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      return await check();
    } catch (err) {
      if (i >= 100) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

describe('renewals on the time-skipping server', () => {
  it('R1: renewal notices start 45 days before the anniversary; the window opens at 30 days (R2)', async () => {
    const c = await customerOf();
    const { date, at } = await anniversaryIn(60);
    const handle = await startRenewal(c, date);
    await sleepUntil(at - 45 * DAY - 3_600_000);
    expect(await mailbox.to(c.email)).toHaveLength(0);
    expect((await handle.query(renewalStateQuery)).status).toBe('scheduled');
    expect(await refusalReason(handle.executeUpdate(renewUpdate, { args: [{ quantity: 5, actor }] }))).toMatch(
      /window opens/,
    );
    await sleepUntil(at - 45 * DAY + 3_600_000);
    const [notice] = await mailbox.waitFor(c.email, 1);
    expect(notice!.subject).toContain(`Upcoming renewal on ${date}`);
    await sleepUntil(at - 30 * DAY + 3_600_000);
    const mails = await mailbox.waitFor(c.email, 2);
    expect(mails[1]!.subject).toContain('Ready for renewal');
    expect((await handle.query(renewalStateQuery)).status).toBe('ready');
  });

  it('R2: a late renewal 10 days after the anniversary is processed (R3: in the renewal history) (C6: the next term is 12 months)', async () => {
    const c = await customerOf();
    await purchase(c, 5);
    const { date, at } = await anniversaryIn(20);
    const handle = await startRenewal(c, date);
    await sleepUntil(at + 10 * DAY);
    const renewed = await handle.executeUpdate(renewUpdate, { args: [{ quantity: 5, actor }] });
    const next = addMonths(date, 12);
    expect(renewed).toMatchObject({ status: 'renewed', renewedQuantity: 5, nextAnniversaryDate: next });
    const history =
      await sql`SELECT to_char(renewal_date, 'YYYY-MM-DD') AS renewal_date, timing, quantity, term_months, to_char(term_ends_on, 'YYYY-MM-DD') AS term_ends_on
                              FROM renewal_orders WHERE customer_id = ${c.customerId}`;
    expect(history).toEqual([{ renewalDate: date, timing: 'late', quantity: 5, termMonths: 12, termEndsOn: next }]);
    // (Describe and query, not result(): awaiting a result lets the test server skip ahead to any run's timers.)
    await eventually(async () => expect((await handle.describe()).status.name).toBe('COMPLETED'));
    // The next term's run counts down to the next anniversary under its own id.
    const nextRun = env.client.workflow.getHandle(renewalWorkflowId(c.customerId, next));
    await eventually(async () => expect((await nextRun.query(renewalStateQuery)).status).toBe('scheduled'));
    expect(await licenseStatuses(c.customerId)).toEqual(['active']);
  });

  it('R2: 15 days after the anniversary a renewal is refused and, without one, the licenses have expired', async () => {
    const c = await customerOf();
    await purchase(c, 5);
    const { date, at } = await anniversaryIn(20);
    const handle = await startRenewal(c, date);
    await sleepUntil(at + 13 * DAY);
    expect((await handle.query(renewalStateQuery)).status).toBe('late');
    await sleepUntil(at + 15 * DAY);
    await eventually(async () => expect((await handle.query(renewalStateQuery)).status).toBe('expired'));
    await expect(handle.executeUpdate(renewUpdate, { args: [{ quantity: 5, actor }] })).rejects.toThrow();
    expect(await licenseStatuses(c.customerId)).toEqual(['expired']);
    expect(await sql`SELECT 1 FROM renewal_orders WHERE customer_id = ${c.customerId}`).toHaveLength(0);
  });

  it('R4: renewing 10 licenses in a term reaches VIP Select (levels per segment); 9 do not', async () => {
    const ten = await customerOf('education');
    const nine = await customerOf('commercial');
    const { date } = await anniversaryIn(10);
    await (await startRenewal(ten, date)).executeUpdate(renewUpdate, { args: [{ quantity: 10, actor }] });
    await (await startRenewal(nine, date)).executeUpdate(renewUpdate, { args: [{ quantity: 9, actor }] });
    const level = async (id: string) =>
      (await sql<{ vipSelectLevel: number | null }[]>`SELECT vip_select_level FROM customers WHERE id = ${id}`)[0]!
        .vipSelectLevel;
    expect(await level(ten.customerId)).toBe(1);
    expect(await level(nine.customerId)).toBeNull();
    const discount =
      await sql`SELECT market_segment, discount_percent FROM vip_select_levels WHERE level = 1 ORDER BY market_segment`;
    expect(new Set(discount.map((d) => d.discountPercent)).size).toBeGreaterThan(1);
  });

  it('R5: a 3-year commitment needs VIP Select and is refused on an extended prepaid term', async () => {
    const extended = await customerOf();
    await purchase(extended, 12, 24);
    const vip = await customerOf();
    await purchase(vip, 10);
    const small = await customerOf();
    await purchase(small, 3);
    const { date } = await anniversaryIn(100);
    const commit = async (c: Awaited<ReturnType<typeof customerOf>>) =>
      (await startRenewal(c, date)).executeUpdate(commitThreeYearsUpdate, { args: [{ quantity: 10, actor }] });
    expect(await refusalReason(commit(extended))).toMatch(/extended prepaid term/);
    expect(await refusalReason(commit(small))).toMatch(/VIP Select/);
    await commit(vip);
    const [row] = await sql`SELECT three_year_commitment_quantity FROM customers WHERE id = ${vip.customerId}`;
    expect(row).toEqual({ threeYearCommitmentQuantity: 10 });
  });

  it('C6: extended terms are 13-36 months for commercial, 13-48 for education and government, at signup only; then 12-month renewals', async () => {
    expect(extendedTermIssue('commercial', 36)).toBeNull();
    expect(extendedTermIssue('commercial', 37)).toMatch(/13 to 36/);
    expect(extendedTermIssue('education', 48)).toBeNull();
    expect(extendedTermIssue('government', 49)).toMatch(/13 to 48/);
    expect(extendedTermIssue('education', 12)).toMatch(/13 to 48/);

    const commercial = await customerOf('commercial');
    await expect(purchase(commercial, 1, 40)).rejects.toThrow(/13 to 36/);
    const education = await customerOf('education');
    await purchase(education, 1, 40);
    await expect(purchase(education, 1, 20)).rejects.toThrow(/at signup/);
    await expect(
      sql`UPDATE customers SET extended_term_months = 40 WHERE id = ${commercial.customerId}`,
    ).rejects.toThrow(/customers_c6_extended_term/);
    // The first renewal comes at the end of the 40 months; later ones every 12 months.
    const profile = (await findRenewalProfile(sql, education.reseller.resellerId, education.customerId))!;
    expect(currentRenewalDate(profile)).toBe(addMonths(profile.anniversaryDate!, 28));
    expect(currentRenewalDate({ ...profile, lastTermEndsOn: '2031-01-01' })).toBe('2031-01-01');
  });

  it('C5: the anniversary is 12 months after the first purchase authorization, and never changes after', async () => {
    const c = await customerOf();
    await purchase(c, 2);
    const [first] =
      await sql`SELECT to_char(anniversary_date, 'YYYY-MM-DD') AS d, to_char((SELECT min(created_at) FROM purchase_authorizations WHERE customer_id = ${c.customerId}) + interval '12 months', 'YYYY-MM-DD') AS expected
                              FROM customers WHERE id = ${c.customerId}`;
    expect(first!.d).toBe(first!.expected);
    await purchase(c, 3);
    const [again] =
      await sql`SELECT to_char(anniversary_date, 'YYYY-MM-DD') AS d FROM customers WHERE id = ${c.customerId}`;
    expect(again!.d).toBe(first!.d);
    await expect(sql`UPDATE customers SET anniversary_date = '2040-01-01' WHERE id = ${c.customerId}`).rejects.toThrow(
      /fixed once set/,
    );

    const picked = await customerOf('commercial', '2027-03-15');
    await purchase(picked, 1);
    const [kept] =
      await sql`SELECT to_char(anniversary_date, 'YYYY-MM-DD') AS d FROM customers WHERE id = ${picked.customerId}`;
    expect(kept!.d).toBe('2027-03-15');
  });
});

describe('renewals: who is told, what expires, who owns what is recorded', () => {
  it("R1: notices reach the reseller's ordering users as well as the customer, the reseller that owns the customer at each notice", async () => {
    const c = await customerOf();
    const resellerEmail = await userEmailOf(sql, c.reseller.userId);
    const billingOnly = await addResellerUser(sql, c.reseller.resellerId, ['billing']);
    const { date, at } = await anniversaryIn(60);
    const handle = await startRenewal(c, date);
    await sleepUntil(at - 45 * DAY + 3_600_000);
    const [upcoming] = await mailbox.waitFor(resellerEmail, 1);
    expect(upcoming!.subject).toBe(`Upcoming renewal on ${date} — Nordic Print AB`);
    expect(upcoming!.text).toContain('Your customer Nordic Print AB');
    expect((await mailbox.waitFor(c.email, 1))[0]!.subject).toBe(`Upcoming renewal on ${date} — Nordic Print AB`);

    // X2: the customer moves to another reseller before the window opens; the next notice goes to the new one.
    const owner = await newReseller(sql);
    const ownerEmail = await userEmailOf(sql, owner.userId);
    await moveCustomer(sql, c.customerId, owner.resellerId);
    await sleepUntil(at - 30 * DAY + 3_600_000);
    const [ready] = await mailbox.waitFor(ownerEmail, 1);
    expect(ready!.subject).toBe('Ready for renewal — Nordic Print AB');
    expect(ready!.text).toContain('place its renewal order');
    await mailbox.waitFor(c.email, 2);
    expect(await mailbox.to(resellerEmail)).toHaveLength(1);
    expect(await mailbox.to(billingOnly.email)).toHaveLength(0);
    expect(await handle.query(renewalStateQuery)).toMatchObject({ status: 'ready', noticesSent: 2, incident: null });
  });

  it("R2: expiry takes only the licenses the renewal covers (the PA's); an order's and a trial's licenses stay active", async () => {
    const c = await customerOf();
    const paId = await purchase(c, 5);
    const orderId = await orderLicense(c, 'order');
    const trialId = await orderLicense(c, 'trial');
    const { date, at } = await anniversaryIn(20);
    const handle = await startRenewal(c, date);
    await sleepUntil(at + 15 * DAY);
    await eventually(async () => expect((await handle.query(renewalStateQuery)).status).toBe('expired'));
    const rows = await sql<{ id: string; status: string }[]>`
      SELECT id, status FROM licenses WHERE customer_id = ${c.customerId} ORDER BY id`;
    expect(Object.fromEntries(rows.map((r) => [r.id, r.status]))).toEqual({
      [paId]: 'expired',
      [orderId]: 'active',
      [trialId]: 'active',
    });
  });

  it("R3: a renewal is recorded for the reseller that owns the customer now, and the next term's run (C5/R1) is tagged with it", async () => {
    const c = await customerOf();
    await purchase(c, 5);
    const { date } = await anniversaryIn(10);
    const handle = await startRenewal(c, date); // started for the old reseller
    const owner = await newReseller(sql);
    await moveCustomer(sql, c.customerId, owner.resellerId);
    await handle.executeUpdate(renewUpdate, { args: [{ quantity: 5, actor }] });
    const recorded = await sql<{ resellerId: string; timing: string }[]>`
      SELECT reseller_id, timing FROM renewal_orders WHERE customer_id = ${c.customerId}`;
    expect(recorded).toEqual([{ resellerId: owner.resellerId, timing: 'early' }]);
    const audit = await sql<{ resellerId: string }[]>`
      SELECT reseller_id FROM audit_events WHERE entity_id = ${c.customerId} AND action = 'renewal.processed'`;
    expect(audit).toEqual([{ resellerId: owner.resellerId }]);
    const next = env.client.workflow.getHandle(renewalWorkflowId(c.customerId, addMonths(date, 12)));
    await eventually(async () =>
      expect((await next.describe()).typedSearchAttributes.get(ResellerIdKey)).toBe(owner.resellerId),
    );
    expect((await next.query(renewalStateQuery)).status).toBe('scheduled');
  });

  it('R2: refusals are typed by the contract: a malformed quantity, outside the window, already renewed', async () => {
    const c = await customerOf();
    const { date, at } = await anniversaryIn(40);
    const handle = await startRenewal(c, date);
    const renew = (quantity: number) => handle.executeUpdate(renewUpdate, { args: [{ quantity, actor }] });
    expect(await refusalType(renew(0))).toBe(RenewalFailure.Invalid);
    expect(await refusalType(renew(5))).toBe(RenewalFailure.OutsideWindow);
    await sleepUntil(at - 20 * DAY);
    await renew(5);
    expect(await refusalType(renew(5))).toBe(RenewalFailure.AlreadyRenewed);
  });
});
