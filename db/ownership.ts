// One owner per customer: customers.reseller_id is the one source of truth for everything live of a customer.
// A reseller change (X2) moves the customer and all its live rows to the new reseller in one transaction;
// documents already issued stay with the reseller they were issued to.
import type { Sql, Tx } from '.';
import type { CustomerLifecycleKeys } from '../workflows/definitions';
import { lifecycleKindOf } from './orders';
import { currentRenewalDate, findRenewalProfile } from './renewals';

/**
 * Every table with a reseller_id (db/migrations/*.sql), and what a reseller change does to its rows of the
 * customer. test/ownership.db.test.ts checks this list against the schema, so a new table cannot be forgotten.
 */
export const OWNERSHIP = {
  moves: {
    /** The customer itself; its team member (managed_by) was the old reseller's, so it is cleared. */
    customers: 'the customer',
    /** Products the customer holds (C8, O8, P5); activation links hang off them. */
    licenses: 'live products',
    /** Orders and trials, with order_lines and order_adjustments (no reseller_id: they hang off the order). */
    orders: 'the order history the new owner manages (O6, D7)',
    /** P1-P4: pending, ordered, overdue ones are live; the closed ones are the customer's D7 history. */
    purchase_authorizations: 'live access and its history',
    /** S1/S2: the billing cycles to come are the new owner's to invoice, suspend or stop. */
    billing_subscriptions: 'cycles still to be billed',
    /** E1-E3: per-user subscriptions linked to the customer (subscriptions.customer_id). */
    subscriptions: 'linked per-user subscriptions',
    /**
     * R3: processed renewal orders: the customer's renewal history and its current term (they carry no
     * amounts; the money is on invoices), which the owner's renewal view (D7) shows and the next renewal uses.
     */
    renewal_orders: 'renewal history and current term',
  },
  stays: {
    /** B1: issued to the old reseller, who owes or was paid them (invoice_lines hang off them). */
    invoices: 'issued documents',
    payments: 'issued documents',
    /** E3: a per-user subscription's monthly invoices, issued to the reseller of the time. */
    subscription_invoices: 'issued documents',
    /** D6: the old reseller's balance is the sum of its own transactions. */
    reseller_balance_transactions: 'issued documents',
    /** D6: the running total of those transactions, per reseller and currency (kept by their triggers). */
    reseller_balances: 'issued documents',
    /** Who changed what, written under the tenant of the time; the move itself is one more event. */
    audit_events: 'history',
    /** The key answered a request of the old reseller; replayed there, its resource now answers 404. */
    idempotency_keys: 'requests of the reseller that sent them',
    /** The reseller's own people (and, through reseller_users, its API keys). */
    reseller_users: 'not customer data',
    /** Issue 12: where the reseller's portal receives lifecycle events (deliveries hang off them). */
    webhook_endpoints: 'not customer data',
  },
} as const;

/** How many rows of each moving table a change moved (camelCase, as every row and JSON value is read back). */
export interface MovedCounts {
  customers: number;
  licenses: number;
  orders: number;
  purchaseAuthorizations: number;
  billingSubscriptions: number;
  subscriptions: number;
  renewalOrders: number;
}

/**
 * X2: moves the customer and all its live rows from `from` to `to`, inside the caller's transaction (the
 * redemption), and answers how many rows of each table moved. Rows of another reseller are left alone (a row
 * that already drifted is not silently taken over). Columns naming who created a row (created_by) keep the old
 * reseller's user: that is history.
 */
export async function moveCustomer(tx: Tx, m: { customerId: string; from: string; to: string }): Promise<MovedCounts> {
  const { customerId, from, to } = m;
  const customers = await tx`
    UPDATE customers SET reseller_id = ${to}, managed_by = NULL, updated_at = now()
    WHERE id = ${customerId} AND reseller_id = ${from}`;
  const licenses =
    await tx`UPDATE licenses SET reseller_id = ${to} WHERE customer_id = ${customerId} AND reseller_id = ${from}`;
  const orders =
    await tx`UPDATE orders SET reseller_id = ${to} WHERE customer_id = ${customerId} AND reseller_id = ${from}`;
  const purchaseAuthorizations = await tx`
    UPDATE purchase_authorizations SET reseller_id = ${to} WHERE customer_id = ${customerId} AND reseller_id = ${from}`;
  const billingSubscriptions = await tx`
    UPDATE billing_subscriptions SET reseller_id = ${to}, updated_at = now()
    WHERE customer_id = ${customerId} AND reseller_id = ${from}`;
  const subscriptions = await tx`
    UPDATE subscriptions SET reseller_id = ${to}, updated_at = now()
    WHERE customer_id = ${customerId} AND reseller_id = ${from}`;
  const renewalOrders = await tx`
    UPDATE renewal_orders SET reseller_id = ${to} WHERE customer_id = ${customerId} AND reseller_id = ${from}`;
  return {
    customers: customers.count,
    licenses: licenses.count,
    orders: orders.count,
    purchaseAuthorizations: purchaseAuthorizations.count,
    billingSubscriptions: billingSubscriptions.count,
    subscriptions: subscriptions.count,
    renewalOrders: renewalOrders.count,
  };
}

/** X2: the business keys of the customer's lifecycles that may still run, read after a move. */
export async function customerLifecycleKeys(sql: Sql, customerId: string): Promise<CustomerLifecycleKeys> {
  // Every run of the customer, ended or not: telling an ended run fails harmlessly, and costs a signal.
  const orders = await sql<{ id: string; kind: 'order' | 'trial'; convertedAt: Date | null }[]>`
    SELECT id, kind, converted_at FROM orders WHERE customer_id = ${customerId}`;
  const pas = await sql<{ id: string }[]>`SELECT id FROM purchase_authorizations WHERE customer_id = ${customerId}`;
  const billing = await sql<
    { orderId: string }[]
  >`SELECT order_id FROM billing_subscriptions WHERE customer_id = ${customerId}`;
  const subscriptions = await sql<{ id: string }[]>`SELECT id FROM subscriptions WHERE customer_id = ${customerId}`;
  const profile = await findRenewalProfile(sql, null, customerId);
  return {
    orders: orders.map((o) => ({ id: o.id, kind: lifecycleKindOf(o) })),
    purchaseAuthorizations: pas.map((p) => p.id),
    billing: billing.map((b) => b.orderId),
    subscriptions: subscriptions.map((x) => x.id),
    renewalDate: profile ? currentRenewalDate(profile) : null,
  };
}
