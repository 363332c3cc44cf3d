import { randomUUID } from 'node:crypto';
import type { BillingState, Entitlement } from '../workflows/contracts/billing';
import { auditOrder } from './audit';
import type { Sql, Tx } from '.';

export interface BillingSubscriptionRow {
  orderId: string;
  resellerId: string;
  customerId: string;
  cycle: 'monthly' | 'annual';
  currentPeriodStart: Date;
  currentPeriodEnd: Date;
  nextPaymentDate: Date | null;
  billingState: 'active' | 'paused';
  entitlement: 'active' | 'suspended' | 'stopped';
  suspendAtCycleEnd: boolean;
}

/** A billing subscription of this reseller only (T1). */
export async function findBillingSubscription(
  sql: Sql,
  resellerId: string,
  orderId: string,
): Promise<BillingSubscriptionRow | null> {
  const [row] = await sql<BillingSubscriptionRow[]>`
    SELECT order_id, reseller_id, customer_id, cycle, current_period_start, current_period_end, next_payment_date,
           billing_state, entitlement, suspend_at_cycle_end
    FROM billing_subscriptions WHERE order_id = ${orderId} AND reseller_id = ${resellerId}`;
  return row ?? null;
}

export interface InvoiceRow {
  id: string;
  number: string;
  resellerId: string;
  customerId: string;
  orderId: string;
  currency: string;
  periodStart: Date;
  periodEnd: Date;
  status: 'open' | 'paid';
  subtotalMinor: number;
  discountPercent: number;
  discountMinor: number;
  totalMinor: number;
  issuedAt: Date;
  dueAt: Date;
  paidAt: Date | null;
  resellerName: string;
  organizationName: string;
  serialNumber: string;
  cursorAt: string;
}

const selectInvoice = (sql: Sql) => sql`
  SELECT i.id, i.number, i.reseller_id, i.customer_id, i.order_id, trim(i.currency) AS currency, i.period_start, i.period_end, i.status,
         i.subtotal_minor, i.discount_percent, i.discount_minor, i.total_minor, i.issued_at, i.due_at, i.paid_at,
         r.name AS reseller_name, c.organization_name, l.serial_number,
         to_char(i.issued_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_at
  FROM invoices i JOIN resellers r ON r.id = i.reseller_id JOIN customers c ON c.id = i.customer_id JOIN licenses l ON l.order_id = i.order_id`;

/** B1: the reseller's invoices, newest first. */
export async function listInvoices(
  sql: Sql,
  resellerId: string,
  q: { status?: string; orderId?: string; limit: number; after?: { createdAt: string; id: string } },
) {
  return sql<InvoiceRow[]>`${selectInvoice(sql)}
    WHERE i.reseller_id = ${resellerId}
      ${q.status ? sql`AND i.status = ${q.status}` : sql``}
      ${q.orderId ? sql`AND i.order_id = ${q.orderId}` : sql``}
      ${q.after ? sql`AND (i.issued_at, i.id) < (${q.after.createdAt}::text::timestamptz, ${q.after.id}::uuid)` : sql``}
    ORDER BY i.issued_at DESC, i.id DESC LIMIT ${q.limit}`;
}

export async function findInvoice(sql: Sql, resellerId: string, id: string): Promise<InvoiceRow | null> {
  const [row] = await sql<InvoiceRow[]>`${selectInvoice(sql)} WHERE i.id = ${id} AND i.reseller_id = ${resellerId}`;
  return row ?? null;
}

export interface InvoiceLineRow {
  position: number;
  item: string;
  description: string;
  unitPriceMinor: number;
}

export async function invoiceLines(sql: Sql, invoiceId: string): Promise<InvoiceLineRow[]> {
  return sql<
    InvoiceLineRow[]
  >`SELECT position, item, description, unit_price_minor FROM invoice_lines WHERE invoice_id = ${invoiceId} ORDER BY position`;
}

export interface BalanceTransactionRow {
  id: string;
  kind: 'invoice' | 'purchase_authorization' | 'payment';
  invoiceId: string | null;
  purchaseAuthorizationId: string | null;
  paymentId: string | null;
  currency: string;
  amountMinor: number;
  description: string;
  createdAt: Date;
}

/** D6: what the reseller owes per currency (invoices and paid purchase authorizations minus payments), and its transactions, newest first. */
export async function balanceOf(sql: Sql, resellerId: string, q: { limit: number; beforeId?: string }) {
  // Kept by triggers on the transactions (migration 00012); float8 is exact for minor units below 2^53.
  const balances = await sql<{ currency: string; amountMinor: number }[]>`
    SELECT trim(currency) AS currency, amount_minor::float8 AS amount_minor FROM reseller_balances
    WHERE reseller_id = ${resellerId} ORDER BY currency`;
  // Ordered by the table's id, not the text column of the same name (number order); reseller_id first so the
  // planner takes the tenant's index, not the primary key backwards past other tenants' rows.
  const transactions = await sql<BalanceTransactionRow[]>`
    SELECT id::text, kind, invoice_id, purchase_authorization_id, payment_id, trim(currency) AS currency, amount_minor,
           description, created_at
    FROM reseller_balance_transactions
    WHERE reseller_id = ${resellerId} ${q.beforeId ? sql`AND id < ${q.beforeId}` : sql``}
    ORDER BY reseller_id, reseller_balance_transactions.id DESC LIMIT ${q.limit}`;
  return { balances, transactions };
}

export type PaymentOutcome =
  | { outcome: 'applied'; paymentId: string }
  | { outcome: 'duplicate'; paymentId: string }
  | { outcome: 'unknown_invoice' }
  | { outcome: 'mismatch'; message: string };

/**
 * B1 "paid online": records the provider's payment once per event id, marks the invoice paid and
 * settles the reseller's balance (D6), all in one transaction.
 */
export async function recordPayment(
  sql: Sql,
  p: { eventId: string; invoiceId: string; amountMinor: number; currency: string },
): Promise<PaymentOutcome> {
  return sql.begin(async (tx) => {
    // The invoice's lock serializes deliveries of one event, so a replay always finds the first one.
    const [invoice] = await tx<
      { resellerId: string; number: string; currency: string; totalMinor: number; status: string }[]
    >`
      SELECT reseller_id, number, trim(currency) AS currency, total_minor, status FROM invoices WHERE id = ${p.invoiceId} FOR UPDATE`;
    const [seen] = await tx<{ id: string }[]>`SELECT id FROM payments WHERE provider_event_id = ${p.eventId}`;
    if (seen) return { outcome: 'duplicate', paymentId: seen.id };
    if (!invoice) return { outcome: 'unknown_invoice' };
    if (invoice.status === 'paid')
      return { outcome: 'mismatch', message: `Invoice ${invoice.number} is already paid.` };
    if (invoice.currency !== p.currency || invoice.totalMinor !== p.amountMinor) {
      return {
        outcome: 'mismatch',
        message: `Invoice ${invoice.number} is ${invoice.totalMinor} ${invoice.currency} (minor units); the payment was ${p.amountMinor} ${p.currency}.`,
      };
    }
    const id = randomUUID();
    // The same event id for another invoice loses here.
    const inserted = await tx`
      INSERT INTO payments (id, provider_event_id, invoice_id, reseller_id, amount_minor, currency)
      VALUES (${id}, ${p.eventId}, ${p.invoiceId}, ${invoice.resellerId}, ${p.amountMinor}, ${p.currency})
      ON CONFLICT (provider_event_id) DO NOTHING RETURNING id`;
    if (inserted.length === 0) return { outcome: 'duplicate', paymentId: '' };
    await tx`UPDATE invoices SET status = 'paid', paid_at = now() WHERE id = ${p.invoiceId}`;
    await tx`INSERT INTO reseller_balance_transactions (reseller_id, kind, invoice_id, payment_id, currency, amount_minor, description)
             VALUES (${invoice.resellerId}, 'payment', ${p.invoiceId}, ${id}, ${p.currency}, ${-p.amountMinor}, ${`Payment of invoice ${invoice.number}`})`;
    return { outcome: 'applied', paymentId: id };
  });
}

// --- Invoicing (activities/billing.ts) ------------------------------------------------------------------
// An invoice bills the customer's CURRENT reseller (read through the customer when it is issued) at the
// order's prices as ordered: its lines, its plan price and its promo percentage, never today's list.

export interface InvoiceItem {
  item: string;
  description: string;
  unitPriceMinor: number;
}

export interface InvoiceAmounts {
  subtotalMinor: number;
  promoDiscountMinor: number;
  discountMinor: number;
  totalMinor: number;
}

/**
 * B1/O6 arithmetic in integer minor units: the promo (as ordered) applies to the ordered items, the
 * reseller's discount to what is left plus the adjustments (a credit is discounted alike, rounded toward
 * zero, so no cent is created either way). total = subtotal - discount.
 */
export function priceInvoice(a: {
  itemsMinor: number;
  percentOff: number;
  adjustmentsMinor: number;
  resellerPercent: number;
}): InvoiceAmounts {
  const promoDiscountMinor = Math.floor((a.itemsMinor * a.percentOff) / 100);
  const base = a.itemsMinor - promoDiscountMinor + a.adjustmentsMinor;
  const resellerMinor = Math.sign(base) * Math.floor((Math.abs(base) * a.resellerPercent) / 100);
  const subtotalMinor = a.itemsMinor + a.adjustmentsMinor;
  const discountMinor = promoDiscountMinor + resellerMinor;
  return { subtotalMinor, promoDiscountMinor, discountMinor, totalMinor: subtotalMinor - discountMinor };
}

/** The order as it is billed now: its current owner and discount, its items at the prices ordered. */
async function billedOrder(tx: Tx, orderId: string) {
  const [o] = await tx<
    {
      resellerId: string;
      customerId: string;
      currency: string;
      planPriceMinor: number;
      percentOff: number;
      resellerPercent: number;
      plan: string;
      planName: string;
    }[]
  >`
    SELECT c.reseller_id, o.customer_id, o.currency, o.plan, o.plan_price_minor, o.percent_off,
           r.discount_percent AS reseller_percent, 'PrintFactory ' || p.name AS plan_name
    FROM orders o JOIN customers c ON c.id = o.customer_id JOIN resellers r ON r.id = c.reseller_id
    JOIN plans p ON p.code = o.plan
    WHERE o.id = ${orderId}`;
  if (!o) return null;
  const lines = await tx<InvoiceItem[]>`
    SELECT ol.driver_code AS item, d.name AS description, ol.unit_price_minor
    FROM order_lines ol JOIN drivers d ON d.code = ol.driver_code WHERE ol.order_id = ${orderId} ORDER BY d.name`;
  const items: InvoiceItem[] = [{ item: o.plan, description: o.planName, unitPriceMinor: o.planPriceMinor }, ...lines];
  return { ...o, items };
}

/** O6: the adjustments of an order not invoiced yet, locked until this transaction has invoiced them. */
async function takeAdjustments(tx: Tx, orderId: string, only?: string) {
  return tx<{ id: string; amountMinor: number; reason: string }[]>`
    SELECT id::text, amount_minor, reason FROM order_adjustments
    WHERE order_id = ${orderId} AND invoice_id IS NULL ${only ? tx`AND id = ${only}` : tx``}
    ORDER BY id FOR UPDATE`;
}

/** Whether the order has no invoice yet: nothing has been billed at its earlier drivers. */
async function firstInvoice(tx: Tx, orderId: string): Promise<boolean> {
  const [row] = await tx`SELECT 1 FROM invoices WHERE order_id = ${orderId} LIMIT 1`;
  return row === undefined;
}

/**
 * O6: driver swaps made before the order's first invoice were never billed at the old drivers: that invoice
 * bills the new lines in full, so it settles those adjustments without charging them a second time.
 */
async function absorb(tx: Tx, adjustments: { id: string }[], invoiceId: string): Promise<void> {
  if (adjustments.length === 0) return;
  await tx`UPDATE order_adjustments SET invoice_id = ${invoiceId} WHERE id IN ${tx(adjustments.map((x) => x.id))}`;
}

export interface IssuedInvoice {
  invoiceId: string;
  number: string;
  totalMinor: number;
}

/** Writes an invoice, its lines and the charge on the reseller's balance (D6); marks its adjustments invoiced. */
async function issueInvoice(
  tx: Tx,
  o: NonNullable<Awaited<ReturnType<typeof billedOrder>>>,
  a: {
    orderId: string;
    purpose: 'cycle' | 'perpetual' | 'adjustment';
    periodStart: string;
    periodEnd: string;
    dueAt: string;
    items: InvoiceItem[];
    adjustments: { id: string; amountMinor: number; reason: string }[];
  },
): Promise<IssuedInvoice> {
  const amounts = priceInvoice({
    itemsMinor: a.items.reduce((sum, i) => sum + i.unitPriceMinor, 0),
    percentOff: a.purpose === 'adjustment' ? 0 : o.percentOff,
    adjustmentsMinor: a.adjustments.reduce((sum, x) => sum + x.amountMinor, 0),
    resellerPercent: o.resellerPercent,
  });
  const id = randomUUID();
  const [inv] = await tx<{ number: string }[]>`
    INSERT INTO invoices (id, number, reseller_id, customer_id, order_id, currency, period_start, period_end,
                          subtotal_minor, discount_percent, discount_minor, promo_discount_minor, total_minor, due_at,
                          purpose)
    VALUES (${id}, 'INV-' || nextval('invoice_number'), ${o.resellerId}, ${o.customerId}, ${a.orderId}, ${o.currency},
            ${a.periodStart}, ${a.periodEnd}, ${amounts.subtotalMinor}, ${o.resellerPercent}, ${amounts.discountMinor},
            ${amounts.promoDiscountMinor}, ${amounts.totalMinor}, ${a.dueAt}, ${a.purpose})
    RETURNING number`;
  const lines: InvoiceItem[] = [
    ...a.items,
    ...a.adjustments.map((x) => ({
      item: 'adjustment',
      description: `Driver change: ${x.reason}`,
      unitPriceMinor: x.amountMinor,
    })),
  ];
  for (const [k, l] of lines.entries()) {
    await tx`INSERT INTO invoice_lines (invoice_id, position, item, description, unit_price_minor)
             VALUES (${id}, ${k + 1}, ${l.item}, ${l.description}, ${l.unitPriceMinor})`;
  }
  if (a.adjustments.length) {
    await tx`UPDATE order_adjustments SET invoice_id = ${id} WHERE id IN ${tx(a.adjustments.map((x) => x.id))}`;
  }
  await tx`INSERT INTO reseller_balance_transactions (reseller_id, kind, invoice_id, currency, amount_minor, description)
           VALUES (${o.resellerId}, 'invoice', ${id}, ${o.currency}, ${amounts.totalMinor}, ${`Invoice ${inv!.number}`})`;
  return { invoiceId: id, number: inv!.number, totalMinor: amounts.totalMinor };
}

/**
 * B1/B2/O6: opens a billing period and issues its invoice: the order's items as ordered, plus every driver-swap
 * adjustment not invoiced yet. Keyed by (order, period start): a repeat finds the invoice already issued.
 */
export async function openBillingCycle(
  sql: Sql,
  a: { orderId: string; cycle: 'monthly' | 'annual'; periodStart: string; periodEnd: string; dueAt: string },
): Promise<IssuedInvoice | null> {
  return sql.begin(async (tx) => {
    const o = await billedOrder(tx, a.orderId);
    if (!o) return null;
    await tx`
      INSERT INTO billing_subscriptions (order_id, reseller_id, customer_id, cycle, current_period_start,
                                         current_period_end, next_payment_date, billing_state)
      VALUES (${a.orderId}, ${o.resellerId}, ${o.customerId}, ${a.cycle}, ${a.periodStart}, ${a.periodEnd},
              ${a.periodEnd}, 'active')
      ON CONFLICT (order_id) DO UPDATE SET current_period_start = EXCLUDED.current_period_start,
        current_period_end = EXCLUDED.current_period_end, next_payment_date = EXCLUDED.next_payment_date,
        billing_state = 'active', updated_at = now()`;
    const [existing] = await tx<IssuedInvoice[]>`
      SELECT id AS invoice_id, number, total_minor FROM invoices
      WHERE order_id = ${a.orderId} AND period_start = ${a.periodStart} AND purpose = 'cycle'`;
    if (existing) return existing;
    const adjustments = await takeAdjustments(tx, a.orderId);
    if (await firstInvoice(tx, a.orderId)) {
      const invoice = await issueInvoice(tx, o, { ...a, purpose: 'cycle', items: o.items, adjustments: [] });
      await absorb(tx, adjustments, invoice.invoiceId);
      return invoice;
    }
    return issueInvoice(tx, o, { ...a, purpose: 'cycle', items: o.items, adjustments });
  });
}

/** B1/O6: a perpetual order's one invoice, for its sale; a repeat finds it. */
export async function invoicePerpetualSale(
  sql: Sql,
  a: { orderId: string; at: string; dueAt: string },
): Promise<IssuedInvoice | null> {
  return sql.begin(async (tx) => {
    const o = await billedOrder(tx, a.orderId);
    if (!o) return null;
    // Serializes two attempts on the order: the second finds the first's invoice.
    await tx`SELECT 1 FROM orders WHERE id = ${a.orderId} FOR UPDATE`;
    const [existing] = await tx<IssuedInvoice[]>`
      SELECT id AS invoice_id, number, total_minor FROM invoices WHERE order_id = ${a.orderId} AND purpose = 'perpetual'`;
    if (existing) return existing;
    const invoice = await issueInvoice(tx, o, {
      orderId: a.orderId,
      purpose: 'perpetual',
      periodStart: a.at,
      periodEnd: a.at,
      dueAt: a.dueAt,
      items: o.items,
      adjustments: [],
    });
    await absorb(tx, await takeAdjustments(tx, a.orderId), invoice.invoiceId);
    return invoice;
  });
}

/**
 * O6: one driver-swap adjustment of a perpetual order already invoiced, invoiced at once; a repeat finds its
 * invoice. Null for an adjustment that another invoice carries (the next cycle's, or the order's first).
 */
export async function invoiceAdjustment(
  sql: Sql,
  a: { orderId: string; adjustmentId: string; at: string; dueAt: string },
): Promise<IssuedInvoice | null> {
  return sql.begin(async (tx) => {
    const o = await billedOrder(tx, a.orderId);
    if (!o) return null;
    const [sold] = await tx`
      SELECT 1 FROM orders o JOIN invoices i ON i.order_id = o.id AND i.purpose = 'perpetual'
      WHERE o.id = ${a.orderId} AND o.subscription_type = 'perpetual' FOR UPDATE OF o`;
    const taken = await takeAdjustments(tx, a.orderId, a.adjustmentId);
    if (!sold || taken.length === 0) {
      const [existing] = await tx<IssuedInvoice[]>`
        SELECT i.id AS invoice_id, i.number, i.total_minor FROM order_adjustments x JOIN invoices i ON i.id = x.invoice_id
        WHERE x.id = ${a.adjustmentId}`;
      return existing ?? null;
    }
    return issueInvoice(tx, o, {
      orderId: a.orderId,
      purpose: 'adjustment',
      periodStart: a.at,
      periodEnd: a.at,
      dueAt: a.dueAt,
      items: [],
      adjustments: taken,
    });
  });
}

export interface BillingChange {
  entitlement?: Entitlement;
  suspendAtCycleEnd?: boolean;
  billing?: BillingState;
}

/** The license follows the entitlement: usable only while it is active. */
const licenseStatusOf = (e: Entitlement): 'active' | 'suspended' => (e === 'active' ? 'active' : 'suspended');

/**
 * S1/S2: changes the entitlement, the pending suspension or the billing state; the license's status and the
 * audit event (to the customer's current reseller) in the same transaction. A change already made is a no-op.
 */
export async function changeBilling(
  sql: Sql,
  a: { orderId: string; set: BillingChange; action: string; actor: string },
): Promise<'changed' | 'unchanged' | 'not_found'> {
  return sql.begin(async (tx) => {
    const [b] = await tx<
      { resellerId: string; entitlement: Entitlement; suspendAtCycleEnd: boolean; billingState: BillingState }[]
    >`
      SELECT c.reseller_id, b.entitlement, b.suspend_at_cycle_end, b.billing_state
      FROM billing_subscriptions b JOIN customers c ON c.id = b.customer_id
      WHERE b.order_id = ${a.orderId} FOR UPDATE OF b`;
    if (!b) return 'not_found';
    const before = { entitlement: b.entitlement, suspendAtCycleEnd: b.suspendAtCycleEnd, billing: b.billingState };
    const after = { ...before, ...a.set };
    if (
      after.entitlement === before.entitlement &&
      after.suspendAtCycleEnd === before.suspendAtCycleEnd &&
      after.billing === before.billing
    )
      return 'unchanged';
    await tx`UPDATE billing_subscriptions SET entitlement = ${after.entitlement},
               suspend_at_cycle_end = ${after.suspendAtCycleEnd}, billing_state = ${after.billing},
               next_payment_date = ${after.billing === 'paused' ? null : tx`next_payment_date`}, updated_at = now()
             WHERE order_id = ${a.orderId}`;
    if (after.entitlement !== before.entitlement) {
      await tx`UPDATE licenses SET status = ${licenseStatusOf(after.entitlement)} WHERE order_id = ${a.orderId}`;
    }
    await auditOrder(tx, b.resellerId, a.orderId, {
      action: a.action,
      actor: a.actor,
      before,
      after,
    });
    return 'changed';
  });
}

/** B1: what the invoice email says; the invoice stays with the reseller it was issued to. */
export interface InvoiceEmailFacts {
  number: string;
  currency: string;
  periodStart: Date;
  periodEnd: Date;
  subtotalMinor: number;
  discountPercent: number;
  discountMinor: number;
  totalMinor: number;
  dueAt: Date;
  resellerId: string;
  resellerName: string;
  organizationName: string;
  serialNumber: string;
  /** The order's creator: the recipient when the reseller has no billing users. */
  createdBy: string;
}

export async function invoiceEmailData(sql: Sql, invoiceId: string): Promise<InvoiceEmailFacts | null> {
  const [row] = await sql<InvoiceEmailFacts[]>`
    SELECT i.number, trim(i.currency) AS currency, i.period_start, i.period_end, i.subtotal_minor,
           i.discount_percent, i.discount_minor, i.total_minor, i.due_at, i.reseller_id, r.name AS reseller_name,
           c.organization_name, l.serial_number, o.created_by
    FROM invoices i JOIN resellers r ON r.id = i.reseller_id JOIN customers c ON c.id = i.customer_id
    JOIN orders o ON o.id = i.order_id JOIN licenses l ON l.order_id = i.order_id
    WHERE i.id = ${invoiceId}`;
  return row ?? null;
}

/** B1/T2: who receives a reseller's invoices: its billing users, or else the given fallback user. */
export async function billingRecipients(sql: Sql, resellerId: string, fallbackUserId: string) {
  const users = await sql<{ id: string; email: string; name: string }[]>`
    SELECT id, email, name FROM reseller_users WHERE reseller_id = ${resellerId} AND 'billing' = ANY (permissions) AND status = 'active'
    ORDER BY created_at, id`;
  if (users.length) return users;
  return sql<{ id: string; email: string; name: string }[]>`
    SELECT id, email, name FROM reseller_users WHERE id = ${fallbackUserId} AND reseller_id = ${resellerId}`;
}
