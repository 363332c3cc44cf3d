import { randomUUID } from 'node:crypto';
import type { Sql } from '.';

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
  kind: 'invoice' | 'payment';
  invoiceId: string;
  paymentId: string | null;
  currency: string;
  amountMinor: number;
  description: string;
  createdAt: Date;
}

/** D6: what the reseller owes per currency (invoices minus payments), and its transactions, newest first. */
export async function balanceOf(sql: Sql, resellerId: string, q: { limit: number; beforeId?: string }) {
  const balances = await sql<{ currency: string; amountMinor: number }[]>`
    SELECT trim(currency) AS currency, sum(amount_minor)::int AS amount_minor FROM reseller_balance_transactions
    WHERE reseller_id = ${resellerId} GROUP BY currency ORDER BY currency`;
  const transactions = await sql<BalanceTransactionRow[]>`
    SELECT id::text, kind, invoice_id, payment_id, trim(currency) AS currency, amount_minor, description, created_at
    FROM reseller_balance_transactions
    WHERE reseller_id = ${resellerId} ${q.beforeId ? sql`AND id < ${q.beforeId}` : sql``}
    ORDER BY id DESC LIMIT ${q.limit}`;
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
