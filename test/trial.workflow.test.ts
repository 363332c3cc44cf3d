import { orderWorkflow, trialWorkflow } from '../workflows';
import {
  activateLicenseUpdate,
  convertTrialUpdate,
  deleteOrderUpdate,
  extendTrialUpdate,
  orderStateQuery,
  orderWorkflowId,
  type OrderInput,
  type TrialTerms,
} from '../workflows/definitions';
import { orderInput, registeredCustomer, yearAfter, type RegisteredCustomer } from './helpers/fixtures';
import { linkIn, tokenHashOf } from './helpers/mailbox';
import { timeSkippingSuite } from './helpers/temporal';

const { sql, mailbox, env, start } = timeSkippingSuite();

const TERMS: TrialTerms = {
  length: '30 days',
  remindBefore: ['7 days', '1 day'],
  extension: '30 days',
  maxLength: '90 days',
};

/**
 * A customer whose anniversary (C5) is a year out on the workflows' clock: the time-skipping server's clock runs
 * far ahead of the database's, and a first order or a conversion starts the customer's renewal run (R1), which
 * would otherwise find its anniversary long past and expire the licenses (R2).
 */
const customerOf = async () =>
  registeredCustomer(sql, { customer: { anniversaryDate: yearAfter(await env().currentTimeMs()) } });

/** The trials and orders here are annual SaaS, with a PO number. */
const annualOrder = (c: RegisteredCustomer, kind: 'order' | 'trial', overrides: Partial<OrderInput> = {}) =>
  orderInput(c, kind, { poNumber: 'PO-1', subscriptionType: 'saas-annual', ...overrides });

const startTrial = (input: OrderInput) =>
  start(trialWorkflow, { workflowId: orderWorkflowId('trial', input.orderId), args: [input, TERMS] });
const startOrder = (input: OrderInput) =>
  start(orderWorkflow, { workflowId: orderWorkflowId('order', input.orderId), args: [input] });

/** The activation link's token hash, as the public page computes it. */
async function activationHash(to: string): Promise<string> {
  const mails = await mailbox.waitFor(to, 1);
  const activation = mails.find((m) => m.text.includes('/licenses/activate'));
  return tokenHashOf(linkIn(activation!));
}

const subjects = async (to: string) => (await mailbox.to(to)).map((m) => m.subject);
const licenseOf = async (orderId: string) =>
  (
    await sql<
      { status: string; serialNumber: string }[]
    >`SELECT status, serial_number FROM licenses WHERE order_id = ${orderId}`
  )[0];

describe('trials and orders on the time-skipping server', () => {
  it('O2 O6: a 30-day trial reminds 7 days and 1 day before its end, then expires and deactivates the license', async () => {
    const c = await customerOf();
    const input = annualOrder(c, 'trial');
    const handle = await startTrial(input);
    const hash = await activationHash(c.email);
    await handle.executeUpdate(activateLicenseUpdate, { args: [{ tokenHash: hash }] });
    expect((await licenseOf(input.orderId))?.status).toBe('active');

    await env().sleep('22 days');
    expect(await subjects(c.email)).toHaveLength(1);
    await env().sleep('25 hours');
    await mailbox.waitFor(c.email, 2);
    expect((await subjects(c.email))[1]).toContain('ends in 7 days');
    await env().sleep('6 days');
    await mailbox.waitFor(c.email, 3);
    expect((await subjects(c.email)).some((s) => s.includes('ends in 1 day'))).toBe(true);
    expect((await licenseOf(input.orderId))?.status).toBe('active');
    await env().sleep('1 day');
    expect(await handle.result()).toMatchObject({ status: 'expired' });
    expect((await licenseOf(input.orderId))?.status).toBe('expired');
    await mailbox.waitFor(c.email, 4);
    expect((await subjects(c.reseller.email)).some((s) => s.startsWith('PrintFactory trial ended'))).toBe(true);
  });

  it('O6: "+" extends a trial, which then expires at the new date; the total is bounded', async () => {
    const c = await customerOf();
    const input = annualOrder(c, 'trial');
    const handle = await startTrial(input);
    await activationHash(c.email);
    await env().sleep('10 days');
    const extended = await handle.executeUpdate(extendTrialUpdate, { args: [{ actor: 'user:test' }] });
    expect(
      new Date(extended.trialEndsAt!).getTime() - Date.parse((await handle.describe()).startTime.toISOString()),
    ).toBeGreaterThanOrEqual(60 * 86_400_000 - 1000);
    await handle.executeUpdate(extendTrialUpdate, { args: [{ actor: 'user:test' }] });
    await expect(handle.executeUpdate(extendTrialUpdate, { args: [{ actor: 'user:test' }] })).rejects.toThrow();
    await env().sleep('21 days');
    expect((await handle.query(orderStateQuery)).status).toBe('pending_activation');
    await env().sleep('60 days');
    expect(await handle.result()).toMatchObject({ status: 'expired' });
    const audit = await sql`SELECT action FROM audit_events WHERE entity_id = ${input.orderId} ORDER BY id`;
    expect(audit.map((a) => a.action)).toEqual(['trial.created', 'trial.extended', 'trial.extended', 'trial.expired']);
  });

  it('O6: converting at day 29 keeps the license active without a gap (B2: priced from its price list)', async () => {
    const c = await customerOf();
    const input = annualOrder(c, 'trial', { promoCode: 'WELCOME10' });
    const handle = await startTrial(input);
    await handle.executeUpdate(activateLicenseUpdate, { args: [{ tokenHash: await activationHash(c.email) }] });
    await env().sleep('29 days');
    const state = await handle.executeUpdate(convertTrialUpdate, { args: [{ actor: 'user:test' }] });
    // A converted trial is an order from now on, served by the same workflow; its license goes on as it was.
    expect(state).toMatchObject({ kind: 'order', status: 'active', trialEndsAt: null });
    expect(state.convertedAt).not.toBeNull();
    await env().sleep('5 days');
    expect(await handle.query(orderStateQuery)).toMatchObject({ kind: 'order', status: 'active' });
    expect((await licenseOf(input.orderId))?.status).toBe('active');
    const [o] =
      await sql`SELECT kind, subtotal_minor, discount_minor, total_minor, currency FROM orders WHERE id = ${input.orderId}`;
    // EUR annual: HP Latex (tier 2) 890.00 + Summa (tier 1) 490.00 + Production 990.00 = 2370.00, less 10%.
    expect(o).toMatchObject({
      kind: 'order',
      currency: 'EUR',
      subtotalMinor: 237000,
      discountMinor: 23700,
      totalMinor: 213300,
    });
  });

  it('O5: an order is deleted before activation (the customer stays); after activation deletion is refused', async () => {
    const c = await customerOf();
    const first = annualOrder(c, 'order');
    const h1 = await startOrder(first);
    await mailbox.waitFor(c.email, 1);
    expect((await h1.executeUpdate(deleteOrderUpdate, { args: [{ actor: 'user:test' }] })).status).toBe('deleted');
    expect(await sql`SELECT 1 FROM orders WHERE id = ${first.orderId}`).toHaveLength(0);
    expect(await sql`SELECT 1 FROM customers WHERE id = ${c.customerId}`).toHaveLength(1);

    const second = annualOrder(c, 'order');
    const h2 = await startOrder(second);
    const mails = await mailbox.waitFor(c.email, 2);
    await h2.executeUpdate(activateLicenseUpdate, { args: [{ tokenHash: tokenHashOf(linkIn(mails[1]!)) }] });
    // An activated order's workflow stays, to serve driver swaps (O6): its state says it is active.
    expect(await h2.query(orderStateQuery)).toMatchObject({ status: 'active' });
    await expect(h2.executeUpdate(deleteOrderUpdate, { args: [{ actor: 'user:test' }] })).rejects.toThrow();
    expect(await sql`SELECT 1 FROM orders WHERE id = ${second.orderId}`).toHaveLength(1);
  });

  it("O4: the activation email carries the serial number (O8: one per license) (B2: prices from the currency's list)", async () => {
    const c = await customerOf();
    const eur = annualOrder(c, 'order');
    const usd = annualOrder(c, 'order', { currency: 'USD' });
    for (const input of [eur, usd]) await startOrder(input);
    const mails = await mailbox.waitFor(c.email, 2);
    const serials = await Promise.all([eur, usd].map(async (i) => (await licenseOf(i.orderId))!.serialNumber));
    for (const s of serials) expect(s).toMatch(/^PF-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    expect(new Set(serials).size).toBe(2);
    expect(mails.some((m) => m.text.includes(serials[0]!))).toBe(true);
    const totals = await sql<
      { currency: string; totalMinor: number }[]
    >`SELECT currency, total_minor FROM orders WHERE id IN ${sql([eur.orderId, usd.orderId])} ORDER BY currency`;
    expect(totals).toEqual([
      { currency: 'EUR', totalMinor: 237000 },
      { currency: 'USD', totalMinor: 260700 },
    ]);
  });
});
