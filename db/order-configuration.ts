import { addCalendarMonths } from '../lib/dates';
import { auditOrder } from './audit';
import type { Sql } from '.';

/** Months in a subscription type's billing period; perpetual licenses have none (no proration). */
const PERIOD_MONTHS: Record<string, number | undefined> = {
  'saas-monthly': 1,
  'saas-annual': 12,
  perpetual: undefined,
};

/** The share of the current billing period still to run, as an exact fraction (numerator, denominator in ms). */
export function remainingShare(
  subscriptionType: string,
  periodAnchor: Date,
  now: Date,
): { remaining: number; period: number } {
  const months = PERIOD_MONTHS[subscriptionType];
  if (!months) return { remaining: 1, period: 1 };
  // Periods counted from the anchor, so month ends do not drift (Jan 31 → Feb 28 → Mar 31).
  let k = 0;
  while (addCalendarMonths(periodAnchor, (k + 1) * months) <= now) k++;
  const start = addCalendarMonths(periodAnchor, k * months);
  const end = addCalendarMonths(periodAnchor, (k + 1) * months);
  return { remaining: end.getTime() - now.getTime(), period: end.getTime() - start.getTime() };
}

/** The share of a billing cycle still to run at `now`, never more than the whole cycle. */
export function cycleShare(start: Date, end: Date, now: Date): { remaining: number; period: number } {
  const period = end.getTime() - start.getTime();
  return { remaining: Math.min(Math.max(end.getTime() - now.getTime(), 0), period), period };
}

/**
 * O6 arithmetic, in integer minor units: a higher tier charges the difference for the rest of the
 * period (rounded down: never a cent more than the list price); a lower tier credits the prorated
 * difference, never more than was paid for the order so far.
 */
export function prorate(deltaMinor: number, share: { remaining: number; period: number }, paidMinor: number): number {
  const prorated = Math.floor((Math.abs(deltaMinor) * share.remaining) / share.period);
  return deltaMinor >= 0 ? prorated : -Math.min(prorated, Math.max(paidMinor, 0));
}

export type ConfigureOutcome =
  | { ok: true; adjustmentMinor: number; adjustmentId: string | null; currency: string }
  | { ok: false; status: number; field?: string; message: string };

/**
 * Swaps an order's drivers, prices the change and records it with the audit trail, in one transaction.
 * The API's direct route (until it goes through the order workflow's configureOrder update) passes its
 * reseller for T1; the workflow's activity passes none. The audit goes to the customer's current reseller.
 */
export async function configureOrder(
  sql: Sql,
  a: { orderId: string; resellerId?: string; userId: string; drivers: string[]; now: Date },
): Promise<ConfigureOutcome> {
  return sql.begin(async (tx) => {
    const [o] = await tx<
      {
        resellerId: string;
        kind: string;
        status: string;
        currency: string;
        subscriptionType: string;
        createdAt: Date;
        activatedAt: Date | null;
        totalMinor: number;
        periodStart: Date | null;
        periodEnd: Date | null;
      }[]
    >`
      SELECT c.reseller_id, o.kind, o.status, o.currency, o.subscription_type, o.created_at, l.activated_at,
             o.total_minor, b.current_period_start AS period_start, b.current_period_end AS period_end
      FROM orders o JOIN customers c ON c.id = o.customer_id JOIN licenses l ON l.order_id = o.id
      LEFT JOIN billing_subscriptions b ON b.order_id = o.id
      WHERE o.id = ${a.orderId} ${a.resellerId ? tx`AND o.reseller_id = ${a.resellerId}` : tx``} FOR UPDATE OF o`;
    if (!o) return { ok: false, status: 404, message: 'Order not found.' };
    if (o.status === 'expired')
      return { ok: false, status: 409, message: 'The order has expired; its drivers can no longer change.' };
    const known = await tx<{ code: string }[]>`SELECT code FROM drivers WHERE code IN ${tx(a.drivers)}`;
    const unknown = a.drivers.filter((d) => !known.some((k) => k.code === d));
    if (unknown.length)
      return { ok: false, status: 400, field: 'drivers', message: `unknown driver(s): ${unknown.join(', ')}` };

    const before = await tx<
      { driverCode: string; unitPriceMinor: number }[]
    >`SELECT driver_code, unit_price_minor FROM order_lines WHERE order_id = ${a.orderId} ORDER BY driver_code`;
    // Both configurations at today's list prices, so only the change of drivers is charged.
    const oldCodes = before.map((b) => b.driverCode);
    const prices = await tx<{ item: string; amountMinor: number }[]>`
      SELECT item, amount_minor FROM prices
      WHERE currency = ${o.currency} AND subscription_type = ${o.subscriptionType} AND item IN ${tx([...a.drivers, ...oldCodes])}`;
    const priceOf = (code: string) => prices.find((p) => p.item === code)?.amountMinor;
    const missing = a.drivers.filter((d) => priceOf(d) === undefined);
    if (missing.length)
      return { ok: false, status: 400, field: 'drivers', message: `no ${o.currency} price for ${missing.join(', ')}` };
    const listOf = (codes: string[]) => codes.reduce((sum, c) => sum + (priceOf(c) ?? 0), 0);
    const delta = listOf(a.drivers) - listOf(oldCodes);
    const trial = o.kind === 'trial';
    const [paid] = await tx<
      { sum: number }[]
    >`SELECT (${o.totalMinor} + coalesce(sum(amount_minor), 0))::int AS sum FROM order_adjustments WHERE order_id = ${a.orderId}`;
    // A billed order's rest of period is its billing cycle's; otherwise counted from activation (or the order).
    const share =
      o.periodStart && o.periodEnd && o.periodEnd > a.now
        ? cycleShare(o.periodStart, o.periodEnd, a.now)
        : remainingShare(o.subscriptionType, o.activatedAt ?? o.createdAt, a.now);
    const adjustment = trial ? 0 : prorate(delta, share, paid?.sum ?? 0);

    await tx`DELETE FROM order_lines WHERE order_id = ${a.orderId}`;
    for (const d of a.drivers) {
      await tx`INSERT INTO order_lines (order_id, driver_code, unit_price_minor) VALUES (${a.orderId}, ${d}, ${trial ? 0 : (priceOf(d) ?? 0)})`;
    }
    let adjustmentId: string | null = null;
    if (adjustment !== 0) {
      const [row] = await tx<{ id: string }[]>`
        INSERT INTO order_adjustments (order_id, amount_minor, reason, created_by)
        VALUES (${a.orderId}, ${adjustment}, ${adjustment > 0 ? 'higher-tier driver, prorated' : 'lower-tier driver, prorated credit'}, ${a.userId})
        RETURNING id::text`;
      adjustmentId = row!.id;
    }
    await auditOrder(tx, o.resellerId, a.orderId, {
      action: 'order.configured',
      actor: `user:${a.userId}`,
      before: { drivers: before.map((b) => b.driverCode) },
      after: { drivers: a.drivers, adjustmentMinor: adjustment },
    });
    return { ok: true, adjustmentMinor: adjustment, adjustmentId, currency: o.currency.trim() };
  });
}
