// The hand-offs between orders, trials, billing and renewals, on the time-skipping server with the real
// activities: a trial converted before activation, billing started by the activation itself, perpetual orders
// and driver swaps invoiced exactly once, invoices at the prices ordered, to the customer's current reseller.
import { createBillingActivities } from '../activities/billing';
import { findActivationLink, lifecycleKindOf } from '../db/orders';
import { sha256, sha256Hex } from '../lib/hash';
import { orderWorkflow, trialWorkflow } from '../workflows';
import {
  activateLicenseUpdate,
  billingStatusQuery,
  billingWorkflowId,
  configureOrderUpdate,
  convertTrialUpdate,
  deleteOrderUpdate,
  LifecycleKey,
  OrderFailure,
  type OrderInput,
  orderPlacedUpdate,
  orderStateQuery,
  orderWorkflowId,
  ResellerIdKey,
  renewalWorkflowId,
  stopUpdate,
  type TrialTerms,
} from '../workflows/definitions';
import { newReseller, orderInput, registeredCustomer, yearAfter, type RegisteredCustomer } from './helpers/fixtures';
import { linkIn, tokenOf } from './helpers/mailbox';
import { eventually, refusalType, timeSkippingSuite } from './helpers/temporal';

const { config, sql, mailbox, mailer, env, start } = timeSkippingSuite();
const billing = createBillingActivities({ sql, mailer, config });

const TERMS: TrialTerms = { length: '30 days', remindBefore: ['7 days'], extension: '30 days', maxLength: '90 days' };

/**
 * A fresh customer of a fresh reseller. Unless `setByFirstOrder`, its anniversary (C5) is picked a year out on
 * the workflows' clock, which runs ahead of the database's: the renewal run a first order starts (R1) would
 * otherwise find an anniversary set from the database's clock long past, and expire the licenses (R2).
 */
const customerOf = async (discountPercent = 0, setByFirstOrder = false) =>
  registeredCustomer(sql, {
    discountPercent,
    customer: { anniversaryDate: setByFirstOrder ? null : yearAfter(await env().currentTimeMs()) },
  });

/** The customer's order (or trial): its workflow started, and the order stored. */
async function place(c: RegisteredCustomer, kind: 'order' | 'trial', overrides: Partial<OrderInput> = {}) {
  const input = orderInput(c, kind, overrides);
  const workflowId = orderWorkflowId(kind, input.orderId);
  const handle =
    kind === 'trial'
      ? await start(trialWorkflow, { workflowId, args: [input, TERMS] })
      : await start(orderWorkflow, { workflowId, args: [input] });
  await handle.executeUpdate(orderPlacedUpdate);
  return { input, handle };
}

/** The emailed activation link's token, as the customer's page receives it. */
async function activationToken(to: string, nth = 1): Promise<string> {
  const mails = (await mailbox.waitFor(to, nth)).filter((m) => m.text.includes('/licenses/activate'));
  return tokenOf(linkIn(mails[nth - 1]!));
}

/** The customer activates the license through the emailed link (O4). */
const activate = async (handle: Awaited<ReturnType<typeof place>>['handle'], email: string) =>
  handle.executeUpdate(activateLicenseUpdate, { args: [{ tokenHash: sha256Hex(await activationToken(email)) }] });

const user = (c: RegisteredCustomer) => `user:${c.reseller.userId}`;
const invoicesOf = (orderId: string) =>
  sql<
    {
      id: string;
      number: string;
      resellerId: string;
      purpose: string;
      subtotalMinor: number;
      discountMinor: number;
      promoDiscountMinor: number;
      totalMinor: number;
    }[]
  >`SELECT id, number, reseller_id, purpose, subtotal_minor, discount_minor, promo_discount_minor, total_minor
    FROM invoices WHERE order_id = ${orderId} ORDER BY issued_at, number`;
const linesOf = (invoiceId: string) =>
  sql<{ item: string; unitPriceMinor: number }[]>`
    SELECT item, unit_price_minor FROM invoice_lines WHERE invoice_id = ${invoiceId} ORDER BY position`;

describe('orders, trials, billing and renewals hand over to each other', () => {
  // First, while the workflows' clock is still close to the database's (the anniversary comes from the latter).
  it('C5 R1: placing a first order, or converting a trial, sets the anniversary and starts the renewal run once', async () => {
    const c = await customerOf(0, true);
    const { handle: placed } = await place(c, 'order');
    const anniversary = async (customerId: string) =>
      (
        await sql<{ d: string | null }[]>`
          SELECT to_char(anniversary_date, 'YYYY-MM-DD') AS d FROM customers WHERE id = ${customerId}`
      )[0]!.d;
    const date = await anniversary(c.customerId);
    expect(date).not.toBeNull();
    const renewal = env().client.workflow.getHandle(renewalWorkflowId(c.customerId, date!));
    await eventually(async () =>
      expect((await renewal.describe()).typedSearchAttributes.get(LifecycleKey)).toBe('renewal'),
    );
    // A second order of the same customer finds the same run.
    await place(c, 'order');
    expect((await renewal.describe()).status.name).toBe('RUNNING');
    expect(await placed.query(orderStateQuery)).toMatchObject({ status: 'pending_activation' });

    const c2 = await customerOf(0, true);
    const { handle: trial } = await place(c2, 'trial');
    expect(await anniversary(c2.customerId)).toBeNull();
    await trial.executeUpdate(convertTrialUpdate, { args: [{ actor: user(c2) }] });
    await eventually(async () => expect(await anniversary(c2.customerId)).not.toBeNull());
    const date2 = (await anniversary(c2.customerId))!;
    await eventually(async () =>
      expect(
        (await env().client.workflow.getHandle(renewalWorkflowId(c2.customerId, date2)).describe()).status.name,
      ).toBe('RUNNING'),
    );
  });

  it('O5 O6: a trial converted before activation stays activatable through the same emailed link, and deletable until then', async () => {
    const c = await customerOf();
    const { handle: kept } = await place(c, 'trial');
    const token = await activationToken(c.email);
    const converted = await kept.executeUpdate(convertTrialUpdate, { args: [{ actor: user(c) }] });
    expect(converted).toMatchObject({ kind: 'order', status: 'pending_activation' });

    // The page finds the workflow through lifecycleKindOf: a converted trial keeps its trial workflow.
    const link = await findActivationLink(sql, sha256(token));
    expect(link).toMatchObject({ kind: 'order', usedAt: null });
    expect(orderWorkflowId(lifecycleKindOf(link!), link!.orderId)).toBe(kept.workflowId);

    await env().sleep('40 days');
    // Past the trial's old end: nothing expired, the link still works.
    expect(await kept.query(orderStateQuery)).toMatchObject({ status: 'pending_activation', kind: 'order' });
    const activated = await kept.executeUpdate(activateLicenseUpdate, { args: [{ tokenHash: sha256Hex(token) }] });
    expect(activated).toMatchObject({ status: 'active', kind: 'order' });
    const [license] = await sql`SELECT status FROM licenses WHERE order_id = ${converted.orderId}`;
    expect(license).toMatchObject({ status: 'active' });
    expect(await refusalType(kept.executeUpdate(deleteOrderUpdate, { args: [{ actor: user(c) }] }))).toBe(
      OrderFailure.AlreadyActivated,
    );

    const c2 = await customerOf();
    const { handle: dropped } = await place(c2, 'trial');
    await activationToken(c2.email);
    const { orderId } = await dropped.executeUpdate(convertTrialUpdate, { args: [{ actor: user(c2) }] });
    expect(await dropped.executeUpdate(deleteOrderUpdate, { args: [{ actor: user(c2) }] })).toMatchObject({
      status: 'deleted',
    });
    expect(await dropped.result()).toMatchObject({ status: 'deleted', kind: 'order' });
    expect(await sql`SELECT 1 FROM orders WHERE id = ${orderId}`).toHaveLength(0);
  });

  it('B1 S1: an activated SaaS order starts its billing by itself (one run, tagged for operators), invoiced to the reseller', async () => {
    const c = await customerOf();
    const { input, handle } = await place(c, 'order');
    await activate(handle, c.email);
    const billingHandle = env().client.workflow.getHandle(billingWorkflowId(input.orderId));
    await eventually(async () => expect(await invoicesOf(input.orderId)).toHaveLength(1));
    const described = await billingHandle.describe();
    expect(described.typedSearchAttributes.get(LifecycleKey)).toBe('billing');
    expect(described.typedSearchAttributes.get(ResellerIdKey)).toBe(c.reseller.resellerId);
    expect(await billingHandle.query(billingStatusQuery)).toMatchObject({ cycle: 'monthly', cyclesBilled: 1 });
    const [first] = await invoicesOf(input.orderId);
    const mails = await mailbox.waitFor(c.reseller.email, 1);
    expect(mails.some((m) => m.subject.includes(first!.number))).toBe(true);

    await env().sleep('32 days');
    await eventually(async () => expect(await invoicesOf(input.orderId)).toHaveLength(2));
    // The order's workflow still serves it: its billing is a separate run that outlives nothing it needs.
    expect(await handle.query(orderStateQuery)).toMatchObject({ status: 'active' });
  });

  it('B1 S1: a converted SaaS trial starts its billing once activated, at once when it already was', async () => {
    const c = await customerOf();
    const { input: pending, handle: h1 } = await place(c, 'trial');
    const token = await activationToken(c.email);
    await h1.executeUpdate(convertTrialUpdate, { args: [{ actor: user(c) }] });
    await env().sleep('2 days');
    expect(await invoicesOf(pending.orderId)).toHaveLength(0);
    await h1.executeUpdate(activateLicenseUpdate, { args: [{ tokenHash: sha256Hex(token) }] });
    await eventually(async () => expect(await invoicesOf(pending.orderId)).toHaveLength(1));

    const c2 = await customerOf();
    const { input: active, handle: h2 } = await place(c2, 'trial', { subscriptionType: 'saas-annual' });
    await activate(h2, c2.email);
    await env().sleep('3 days');
    expect(await invoicesOf(active.orderId)).toHaveLength(0);
    await h2.executeUpdate(convertTrialUpdate, { args: [{ actor: user(c2) }] });
    await eventually(async () => expect(await invoicesOf(active.orderId)).toHaveLength(1));
    expect(
      await env().client.workflow.getHandle(billingWorkflowId(active.orderId)).query(billingStatusQuery),
    ).toMatchObject({ cycle: 'annual' });
  });

  it('B1: a perpetual order is invoiced once at activation, a retry never invoices twice, and it has no billing run', async () => {
    const c = await customerOf(10);
    const { input, handle } = await place(c, 'order', { subscriptionType: 'perpetual' });
    await activate(handle, c.email);
    await eventually(async () => expect(await invoicesOf(input.orderId)).toHaveLength(1));
    // Perpetual EUR: HP Latex (tier 2) 2690.00 + Summa (tier 1) 1490.00 + Production 2990.00 = 7170.00, less 10%.
    const [sale] = await invoicesOf(input.orderId);
    expect(sale).toMatchObject({ purpose: 'perpetual', subtotalMinor: 717_000, discountMinor: 71_700 });
    // The activity repeated (a retry after a lost answer) finds the same invoice.
    expect((await billing.invoicePerpetualOrder({ orderId: input.orderId }))?.invoiceId).toBe(sale!.id);
    await env().sleep('40 days');
    expect(await invoicesOf(input.orderId)).toHaveLength(1);
    await expect(env().client.workflow.getHandle(billingWorkflowId(input.orderId)).describe()).rejects.toThrow();
    const mails = await mailbox.waitFor(c.reseller.email, 1);
    expect(mails.some((m) => m.subject.includes(sale!.number))).toBe(true);

    // A perpetual trial activated, then converted: invoiced at the conversion.
    const c2 = await customerOf();
    const { input: trial, handle: h2 } = await place(c2, 'trial', { subscriptionType: 'perpetual' });
    await activate(h2, c2.email);
    expect(await invoicesOf(trial.orderId)).toHaveLength(0);
    await h2.executeUpdate(convertTrialUpdate, { args: [{ actor: user(c2) }] });
    await eventually(async () =>
      expect((await invoicesOf(trial.orderId)).map((i) => i.purpose)).toEqual(['perpetual']),
    );
  });

  it('O6: a driver swap goes through the order workflow; its adjustment is invoiced exactly once (SaaS: next cycle; perpetual: at once)', async () => {
    const c = await customerOf();
    const { input: saas, handle } = await place(c, 'order', { drivers: ['epson-surecolor-s80600'] });
    await activate(handle, c.email);
    await eventually(async () => expect(await invoicesOf(saas.orderId)).toHaveLength(1));
    await env().sleep('10 days');
    // Typed refusals: an unknown driver, a swap not made by a reseller user.
    expect(
      await refusalType(handle.executeUpdate(configureOrderUpdate, { args: [{ drivers: ['nope'], actor: user(c) }] })),
    ).toBe(OrderFailure.Invalid);
    expect(
      await refusalType(
        handle.executeUpdate(configureOrderUpdate, { args: [{ drivers: ['durst-p5-250'], actor: 'system' }] }),
      ),
    ).toBe(OrderFailure.Invalid);
    // Tier 1 → tier 3 (49.00 → 149.00 a month), about two thirds of the month left.
    const up = await handle.executeUpdate(configureOrderUpdate, {
      args: [{ drivers: ['durst-p5-250'], actor: user(c) }],
    });
    expect(up.adjustment.currency).toBe('EUR');
    expect(up.adjustment.amountMinor).toBeGreaterThan(5_000);
    expect(up.adjustment.amountMinor).toBeLessThan(10_000);
    expect(await invoicesOf(saas.orderId)).toHaveLength(1);

    await env().sleep('25 days');
    await eventually(async () => expect(await invoicesOf(saas.orderId)).toHaveLength(2));
    const [, second] = await invoicesOf(saas.orderId);
    // The new driver at its full monthly price, plus the adjustment for the rest of the previous month.
    expect(await linesOf(second!.id)).toEqual([
      { item: 'production', unitPriceMinor: 9_900 },
      { item: 'durst-p5-250', unitPriceMinor: 14_900 },
      { item: 'adjustment', unitPriceMinor: up.adjustment.amountMinor },
    ]);
    expect(second!.totalMinor).toBe(9_900 + 14_900 + up.adjustment.amountMinor);
    await env().sleep('31 days');
    await eventually(async () => expect(await invoicesOf(saas.orderId)).toHaveLength(3));
    const [, , third] = await invoicesOf(saas.orderId);
    expect((await linesOf(third!.id)).map((l) => l.item)).toEqual(['production', 'durst-p5-250']);

    // Perpetual: the swap's full difference is invoiced at once, on an invoice of its own, once.
    const c2 = await customerOf();
    const { input: perpetual, handle: h2 } = await place(c2, 'order', {
      subscriptionType: 'perpetual',
      drivers: ['summa-s2'],
    });
    await activate(h2, c2.email);
    await eventually(async () => expect(await invoicesOf(perpetual.orderId)).toHaveLength(1));
    const swapped = await h2.executeUpdate(configureOrderUpdate, { args: [{ drivers: ['zund-g3'], actor: user(c2) }] });
    // Tier 1 → tier 2 perpetual: 1490.00 → 2690.00.
    expect(swapped.adjustment.amountMinor).toBe(120_000);
    await eventually(async () =>
      expect((await invoicesOf(perpetual.orderId)).map((i) => [i.purpose, i.totalMinor])).toEqual([
        ['perpetual', 299_000 + 149_000],
        ['adjustment', 120_000],
      ]),
    );
    const [, adjustmentInvoice] = await invoicesOf(perpetual.orderId);
    const [adjustment] = await sql<
      { id: string }[]
    >`SELECT id::text FROM order_adjustments WHERE order_id = ${perpetual.orderId}`;
    expect(
      (await billing.invoiceDriverChange({ orderId: perpetual.orderId, adjustmentId: adjustment!.id }))?.invoiceId,
    ).toBe(adjustmentInvoice!.id);
    await env().sleep('5 days');
    expect(await invoicesOf(perpetual.orderId)).toHaveLength(2);
  });

  it("B1 B2: invoices keep the order's prices and promo as ordered, never today's list, net of the reseller's discount", async () => {
    const c = await customerOf(20);
    const { input, handle } = await place(c, 'order', { promoCode: 'WELCOME10' });
    // As if the list had changed since the order: the order's own prices are what it bills.
    await sql`UPDATE order_lines SET unit_price_minor = unit_price_minor - 1000 WHERE order_id = ${input.orderId}`;
    await sql`UPDATE orders SET plan_price_minor = 9000 WHERE id = ${input.orderId}`;
    await activate(handle, c.email);
    await eventually(async () => expect(await invoicesOf(input.orderId)).toHaveLength(1));
    await env().sleep('32 days');
    await eventually(async () => expect(await invoicesOf(input.orderId)).toHaveLength(2));
    // Ordered: HP Latex 79.00 + Summa 39.00 + Production 90.00 = 208.00; promo 10% = 20.80;
    // reseller 20% of 187.20 = 37.44; total 149.76.
    for (const i of await invoicesOf(input.orderId))
      expect(i).toMatchObject({
        subtotalMinor: 20_800,
        promoDiscountMinor: 2_080,
        discountMinor: 5_824,
        totalMinor: 14_976,
      });
  });

  it("B1: billing invoices the customer's current reseller at each cycle; issued invoices stay; audit goes to the owner", async () => {
    const c = await customerOf();
    const { input, handle } = await place(c, 'order');
    await activate(handle, c.email);
    await eventually(async () => expect(await invoicesOf(input.orderId)).toHaveLength(1));
    // A reseller change (L3's lifecycle) moves the customer and its live rows in one transaction.
    const next = await newReseller(sql);
    await sql.begin(async (tx) => {
      await tx`UPDATE customers SET reseller_id = ${next.resellerId} WHERE id = ${c.customerId}`;
      await tx`UPDATE orders SET reseller_id = ${next.resellerId} WHERE customer_id = ${c.customerId}`;
      await tx`UPDATE licenses SET reseller_id = ${next.resellerId} WHERE customer_id = ${c.customerId}`;
      await tx`UPDATE billing_subscriptions SET reseller_id = ${next.resellerId} WHERE customer_id = ${c.customerId}`;
    });
    await env().sleep('32 days');
    await eventually(async () => expect(await invoicesOf(input.orderId)).toHaveLength(2));
    expect((await invoicesOf(input.orderId)).map((i) => i.resellerId)).toEqual([
      c.reseller.resellerId,
      next.resellerId,
    ]);
    const billingHandle = env().client.workflow.getHandle(billingWorkflowId(input.orderId));
    await billingHandle.executeUpdate(stopUpdate, { args: [{ actor: `user:${next.userId}` }] });
    const [stopped] = await sql<{ resellerId: string }[]>`
      SELECT reseller_id FROM audit_events WHERE entity_id = ${input.orderId} AND action = 'license.stopped'`;
    expect(stopped?.resellerId).toBe(next.resellerId);
    const [, second] = await invoicesOf(input.orderId);
    const mails = await mailbox.waitFor(next.email, 1);
    expect(mails.some((m) => m.subject.includes(second!.number))).toBe(true);
  });
});
