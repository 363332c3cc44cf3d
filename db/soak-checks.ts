// Read-only queries of the chaos soak (soak/check.ts): the state each driven lifecycle left in the database, the
// email log, and rows that were written twice or lost their lifecycle.
import type { Sql } from '.';

export interface SoakRows {
  customers: Map<string, { invitationStatus: string; resellerId: string }>;
  orders: Map<string, { kind: string; status: string; trialEndsAt: Date | null; createdAt: Date }>;
  billing: Map<string, { entitlement: string; suspendAtCycleEnd: boolean }>;
  purchaseAuthorizations: Map<string, { status: string; overdueAt: Date | null }>;
  resellerChanges: Map<string, { status: string; customerId: string | null; newResellerId: string }>;
}

/** Every row of the lifecycles' own tables, by id: the soak's database holds nothing else. */
export async function soakRows(sql: Sql): Promise<SoakRows> {
  const [customers, orders, billing, pas, changes] = await Promise.all([
    sql<{ id: string; invitationStatus: string; resellerId: string }[]>`
      SELECT id, invitation_status, reseller_id FROM customers`,
    sql<{ id: string; kind: string; status: string; trialEndsAt: Date | null; createdAt: Date }[]>`
      SELECT id, kind, status, trial_ends_at, created_at FROM orders`,
    sql<{ orderId: string; entitlement: string; suspendAtCycleEnd: boolean }[]>`
      SELECT order_id, entitlement, suspend_at_cycle_end FROM billing_subscriptions`,
    sql<{ id: string; status: string; overdueAt: Date | null }[]>`
      SELECT id, status, overdue_at FROM purchase_authorizations`,
    sql<{ id: string; status: string; customerId: string | null; newResellerId: string }[]>`
      SELECT id, status, customer_id, new_reseller_id FROM reseller_change_requests`,
  ]);
  return {
    customers: new Map(customers.map(({ id, ...r }) => [id, r])),
    orders: new Map(orders.map(({ id, ...r }) => [id, r])),
    billing: new Map(billing.map(({ orderId, ...r }) => [orderId, r])),
    purchaseAuthorizations: new Map(pas.map(({ id, ...r }) => [id, r])),
    resellerChanges: new Map(changes.map(({ id, ...r }) => [id, r])),
  };
}

/** The email log: each idempotency key and whether the engine recorded it sent. */
export async function emailLogKeys(sql: Sql): Promise<{ key: string; status: 'sending' | 'sent' }[]> {
  return sql<{ key: string; status: 'sending' | 'sent' }[]>`
    SELECT idempotency_key AS key, status FROM email_log`;
}

/**
 * Rows written twice where the soak drove one: customers per contact email and orders per PO number (the soak
 * gives each a unique one), purchase authorizations per customer and reseller-change requests per customer and
 * new reseller (it drives one of each), licenses per order, invoices per order and period, balance transactions
 * per invoice or purchase authorization and kind, and per payment. Each line names the table and how many extra rows it holds.
 */
export async function duplicatedRows(sql: Sql): Promise<{ what: string; extra: number }[]> {
  const rows = await sql<{ what: string; extra: number }[]>`
    SELECT 'customers per contact email' AS what, coalesce(sum(n - 1), 0)::int AS extra
      FROM (SELECT count(*) AS n FROM customers GROUP BY lower(contact_email) HAVING count(*) > 1) d
    UNION ALL
    SELECT 'orders per PO number', coalesce(sum(n - 1), 0)::int
      FROM (SELECT count(*) AS n FROM orders WHERE po_number IS NOT NULL GROUP BY po_number HAVING count(*) > 1) d
    UNION ALL
    SELECT 'purchase authorizations per customer', coalesce(sum(n - 1), 0)::int
      FROM (SELECT count(*) AS n FROM purchase_authorizations GROUP BY customer_id HAVING count(*) > 1) d
    UNION ALL
    SELECT 'reseller-change requests per customer and reseller', coalesce(sum(n - 1), 0)::int
      FROM (SELECT count(*) AS n FROM reseller_change_requests WHERE resent_from IS NULL
            GROUP BY vip_id, new_reseller_id HAVING count(*) > 1) d
    UNION ALL
    SELECT 'licenses per order', coalesce(sum(n - 1), 0)::int
      FROM (SELECT count(*) AS n FROM licenses WHERE order_id IS NOT NULL GROUP BY order_id HAVING count(*) > 1) d
    UNION ALL
    SELECT 'invoices per order and period', coalesce(sum(n - 1), 0)::int
      FROM (SELECT count(*) AS n FROM invoices GROUP BY order_id, period_start HAVING count(*) > 1) d
    UNION ALL
    SELECT 'balance transactions per invoice or PA and kind', coalesce(sum(n - 1), 0)::int
      FROM (SELECT count(*) AS n FROM reseller_balance_transactions WHERE kind <> 'payment'
            GROUP BY kind, coalesce(invoice_id, purchase_authorization_id) HAVING count(*) > 1) d
    UNION ALL
    SELECT 'balance transactions per payment', coalesce(sum(n - 1), 0)::int
      FROM (SELECT count(*) AS n FROM reseller_balance_transactions WHERE kind = 'payment'
            GROUP BY payment_id HAVING count(*) > 1) d`;
  return rows;
}
