import { billingWorkflow } from '../workflows';
import {
  billingStartedUpdate,
  billingStatusQuery,
  billingWorkflowId,
  reactivateUpdate,
  revokeSuspensionUpdate,
  stopUpdate,
  suspendUpdate,
  type BillingInput,
} from '../workflows/definitions';
import { activeOrder as registeredActiveOrder } from './helpers/fixtures';
import { runChain } from './helpers/history';
import { eventually, refusalReason, timeSkippingSuite } from './helpers/temporal';

const { config, sql, mailbox, mailer, env, start } = timeSkippingSuite();

// saas-monthly in EUR: HP Latex 800 (89.00) + Summa S2 (49.00) + Production (99.00) = 237.00 list.
const LIST_MINOR = 23_700;

/** An active monthly SaaS order of a fresh reseller with the given discount (B1). */
const activeOrder = (discountPercent = 20, subscriptionType = 'saas-monthly') =>
  registeredActiveOrder({ sql, mailer, config }, { discountPercent, subscriptionType });

async function startBilling(o: Awaited<ReturnType<typeof activeOrder>>, cycle: 'monthly' | 'annual' = 'monthly') {
  const input: BillingInput = {
    orderId: o.orderId,
    resellerId: o.reseller.resellerId,
    customerId: o.customerId,
    cycle,
    cycleMonths: cycle === 'annual' ? config.BILLING_ANNUAL_CYCLE_MONTHS : config.BILLING_MONTHLY_CYCLE_MONTHS,
    paymentTerms: config.INVOICE_PAYMENT_TERMS,
    startedBy: o.reseller.userId,
  };
  const handle = await start(billingWorkflow, { workflowId: billingWorkflowId(o.orderId), args: [input] });
  return { handle, started: await handle.executeUpdate(billingStartedUpdate) };
}

const actor = { actor: 'user:test' };
const licenseStatus = async (orderId: string) =>
  (await sql<{ status: string }[]>`SELECT status FROM licenses WHERE order_id = ${orderId}`)[0]?.status;
const invoicesOf = (orderId: string) =>
  sql<
    {
      number: string;
      periodStart: Date;
      periodEnd: Date;
      subtotalMinor: number;
      discountMinor: number;
      totalMinor: number;
    }[]
  >`
    SELECT number, period_start, period_end, subtotal_minor, discount_minor, total_minor FROM invoices WHERE order_id = ${orderId} ORDER BY period_start`;
const auditOf = async (orderId: string) =>
  (await sql<{ action: string }[]>`SELECT action FROM audit_events WHERE entity_id = ${orderId} ORDER BY id`).map(
    (a) => a.action,
  );

describe('billing cycles on the time-skipping server', () => {
  it('B1: an annual cycle invoices once a year, at the annual list price net of discount (B2: EUR)', async () => {
    const o = await activeOrder(10, 'saas-annual');
    const { started } = await startBilling(o, 'annual');
    // Annual EUR: HP Latex 800 (890.00) + Summa S2 (490.00) + Production (990.00) = 2370.00, less 10%.
    expect(Date.parse(started.currentPeriodEnd!) - Date.parse(started.currentPeriodStart!)).toBeGreaterThanOrEqual(
      365 * 86_400_000,
    );
    await env().sleep('200 days');
    expect(await invoicesOf(o.orderId)).toHaveLength(1);
    await env().sleep('170 days');
    await eventually(async () => expect(await invoicesOf(o.orderId)).toHaveLength(2));
    for (const inv of await invoicesOf(o.orderId))
      expect(inv).toMatchObject({ subtotalMinor: 237_000, discountMinor: 23_700, totalMinor: 213_300 });
  });

  it('S1: a suspension requested mid-cycle keeps the license active until the cycle ends, then it lapses', async () => {
    const o = await activeOrder();
    const { handle, started } = await startBilling(o);
    const end = Date.parse(started.currentPeriodEnd!);
    await env().sleep('10 days');
    const suspended = await handle.executeUpdate(suspendUpdate, { args: [actor] });
    expect(suspended).toMatchObject({ entitlement: 'active', suspendAtCycleEnd: true });
    expect(await licenseStatus(o.orderId)).toBe('active');
    await expect(handle.executeUpdate(suspendUpdate, { args: [actor] })).rejects.toThrow();

    await env().sleep(Math.max(end - (await env().currentTimeMs()) - 86_400_000, 1));
    expect(await licenseStatus(o.orderId)).toBe('active');
    await env().sleep('2 days');
    await eventually(async () => expect(await licenseStatus(o.orderId)).toBe('suspended'));
    expect(await handle.query(billingStatusQuery)).toMatchObject({
      entitlement: 'suspended',
      billing: 'paused',
      nextPaymentDate: null,
      suspendAtCycleEnd: false,
    });
    // Lapsed: no invoice for a cycle without entitlement, and revoking is too late.
    expect(await invoicesOf(o.orderId)).toHaveLength(1);
    expect(await refusalReason(handle.executeUpdate(revokeSuspensionUpdate, { args: [actor] }))).toMatch(/reactivate/);
    expect(await auditOf(o.orderId)).toEqual([
      'order.created',
      'license.suspension_scheduled',
      'license.lapsed',
      'billing.paused',
    ]);
  });

  it('S1: a suspension revoked before the cycle ends never lapses', async () => {
    const o = await activeOrder();
    const { handle } = await startBilling(o);
    await env().sleep('5 days');
    await handle.executeUpdate(suspendUpdate, { args: [actor] });
    await env().sleep('15 days');
    expect(await handle.executeUpdate(revokeSuspensionUpdate, { args: [actor] })).toMatchObject({
      suspendAtCycleEnd: false,
      entitlement: 'active',
    });
    expect(await refusalReason(handle.executeUpdate(revokeSuspensionUpdate, { args: [actor] }))).toMatch(
      /No suspension/,
    );
    await env().sleep('20 days');
    await eventually(async () => expect(await invoicesOf(o.orderId)).toHaveLength(2));
    expect(await licenseStatus(o.orderId)).toBe('active');
    expect(await handle.query(billingStatusQuery)).toMatchObject({
      entitlement: 'active',
      billing: 'active',
      cyclesBilled: 2,
    });
    expect(await auditOf(o.orderId)).not.toContain('license.lapsed');
  });

  it('S2: stop suspends the license at once; reactivate re-enables it (S1: after a lapse, billing restarts with a new cycle)', async () => {
    const o = await activeOrder();
    const { handle } = await startBilling(o);
    await env().sleep('3 days');
    expect(await handle.executeUpdate(stopUpdate, { args: [actor] })).toMatchObject({ entitlement: 'stopped' });
    expect(await licenseStatus(o.orderId)).toBe('suspended');
    expect(await refusalReason(handle.executeUpdate(stopUpdate, { args: [actor] }))).toMatch(/already stopped/);
    expect(await handle.executeUpdate(reactivateUpdate, { args: [actor] })).toMatchObject({
      entitlement: 'active',
      billing: 'active',
    });
    expect(await licenseStatus(o.orderId)).toBe('active');
    expect(await refusalReason(handle.executeUpdate(reactivateUpdate, { args: [actor] }))).toMatch(/is active/);

    // Stopped across the cycle's end: billing pauses; reactivating starts a fresh cycle with its invoice.
    await handle.executeUpdate(stopUpdate, { args: [actor] });
    await env().sleep('40 days');
    await eventually(async () =>
      expect(await handle.query(billingStatusQuery)).toMatchObject({ billing: 'paused', entitlement: 'stopped' }),
    );
    expect(await invoicesOf(o.orderId)).toHaveLength(1);
    const reactivatedAt = await env().currentTimeMs();
    await handle.executeUpdate(reactivateUpdate, { args: [actor] });
    await eventually(async () => expect(await invoicesOf(o.orderId)).toHaveLength(2));
    const [, second] = await invoicesOf(o.orderId);
    expect(Math.abs(second!.periodStart.getTime() - reactivatedAt)).toBeLessThan(60_000);
    await eventually(async () =>
      expect(await handle.query(billingStatusQuery)).toMatchObject({
        billing: 'active',
        entitlement: 'active',
        cyclesBilled: 2,
      }),
    );
    expect(await licenseStatus(o.orderId)).toBe('active');
    expect(await auditOf(o.orderId)).toEqual([
      'order.created',
      'license.stopped',
      'license.reactivated',
      'license.stopped',
      'billing.paused',
      'license.reactivated',
    ]);
  });

  it("B1: every cycle gets one invoice, priced from the order's price list (B2: EUR) net of the reseller's discount, emailed to the reseller", async () => {
    const o = await activeOrder(20);
    const { started } = await startBilling(o);
    await env().sleep('65 days');
    await eventually(async () => expect(await invoicesOf(o.orderId)).toHaveLength(3));
    const invoices = await invoicesOf(o.orderId);
    for (const i of invoices)
      expect(i).toMatchObject({ subtotalMinor: LIST_MINOR, discountMinor: 4_740, totalMinor: 18_960 });
    expect(invoices[0]!.periodStart.toISOString()).toBe(started.currentPeriodStart);
    // Contiguous calendar months.
    for (let k = 1; k < invoices.length; k++)
      expect(invoices[k]!.periodStart.getTime()).toBe(invoices[k - 1]!.periodEnd.getTime());
    const mails = await mailbox.waitFor(o.reseller.email, 3);
    for (const i of invoices)
      expect(mails.some((m) => m.subject.includes(i.number) && m.subject.includes('€189.60'))).toBe(true);
  });

  it('S1 B1: twelve monthly cycles run as twelve runs continued as new, each with a small history', async () => {
    const o = await activeOrder(0);
    const { handle } = await startBilling(o);
    await env().sleep('360 days');
    await eventually(async () => expect(await invoicesOf(o.orderId)).toHaveLength(12));
    const runs = await runChain(env().client, handle.workflowId, handle.firstExecutionRunId);
    expect(runs).toHaveLength(12);
    expect(runs.slice(0, -1).every((r) => r.continuedAsNew)).toBe(true);
    for (const r of runs) expect(r.events).toBeLessThan(1000);
    expect(Math.max(...runs.map((r) => r.events))).toBeLessThan(50);
    expect((await invoicesOf(o.orderId)).every((i) => i.totalMinor === LIST_MINOR)).toBe(true);
  });
});
