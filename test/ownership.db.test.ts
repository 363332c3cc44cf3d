// One owner per customer: the reseller change (X2) moves the customer and all its live rows in one transaction,
// while documents already issued stay with the reseller they were issued to (T1).
import { randomUUID } from 'node:crypto';
import { createCustomerActivities } from '../activities/customers';
import { createMailer } from '../activities/mailer';
import { codeHash, createResellerChangeActivities, newResellerChangeCode } from '../activities/reseller-change';
import { createSubscriptionActivities } from '../activities/subscriptions';
import { OWNERSHIP } from '../db/ownership';
import { issueResellerChangeCode, reserveResellerChange } from '../db/reseller-changes';
import { findSubscription } from '../db/subscriptions';
import { testContext } from './helpers/env';
import { customerDetails, newReseller } from './helpers/fixtures';

const { config, sql } = testContext();
const mailer = createMailer(config);
const customers = createCustomerActivities({ sql, mailer, config });
const changes = createResellerChangeActivities({ sql, mailer, config });
const subscriptions = createSubscriptionActivities({ sql, mailer, config });
afterAll(async () => {
  mailer.close();
  await sql.end();
});

/** A customer of `owner` with a row in every table that carries a reseller_id. */
async function customerWithEverything(owner: { resellerId: string; userId: string }) {
  const customerId = randomUUID();
  const { vipId } = await customers.registerCustomer({
    customerId,
    resellerId: owner.resellerId,
    invitedBy: owner.userId,
    customer: customerDetails(),
    reminderSchedule: [],
  });
  const r = owner.resellerId;
  const ids = {
    order: randomUUID(),
    license: randomUUID(),
    pa: randomUUID(),
    subscription: randomUUID(),
    unlinkedSubscription: randomUUID(),
    renewal: randomUUID(),
    invoice: randomUUID(),
    payment: randomUUID(),
  };
  await sql.begin(async (tx) => {
    await tx`UPDATE customers SET managed_by = ${owner.userId} WHERE id = ${customerId}`;
    await tx`INSERT INTO orders (id, reseller_id, customer_id, kind, status, currency, subscription_type, plan,
               subtotal_minor, discount_minor, total_minor, created_by)
             VALUES (${ids.order}, ${r}, ${customerId}, 'order', 'active', 'EUR', 'saas-monthly', 'production',
               14800, 0, 14800, ${owner.userId})`;
    await tx`INSERT INTO order_lines (order_id, driver_code, unit_price_minor)
             VALUES (${ids.order}, 'epson-surecolor-s80600', 4900)`;
    await tx`INSERT INTO order_adjustments (order_id, amount_minor, reason, created_by)
             VALUES (${ids.order}, 400, 'higher tier', ${owner.userId})`;
    await tx`INSERT INTO licenses (id, reseller_id, customer_id, serial_number, product, status, order_id)
             VALUES (${ids.license}, ${r}, ${customerId}, ${`SN-${randomUUID()}`}, 'production', 'active', ${ids.order})`;
    await tx`INSERT INTO purchase_authorizations (id, reseller_id, customer_id, product, quantity, created_by)
             VALUES (${ids.pa}, ${r}, ${customerId}, 'Creative Cloud', 3, ${owner.userId})`;
    await tx`INSERT INTO billing_subscriptions (order_id, reseller_id, customer_id, cycle, current_period_start,
               current_period_end, next_payment_date)
             VALUES (${ids.order}, ${r}, ${customerId}, 'monthly', now(), now() + interval '1 month',
               now() + interval '1 month')`;
    await tx`INSERT INTO subscriptions (id, reseller_id, customer_id, product, company_name, users,
               customer_can_edit_signatures, created_by)
             VALUES (${ids.subscription}, ${r}, ${customerId}, 'signatures-microsoft-365', 'Linked', 10, false,
               ${owner.userId}),
                    (${ids.unlinkedSubscription}, ${r}, NULL, 'signatures-microsoft-365', 'Unlinked', 5, false,
               ${owner.userId})`;
    await tx`INSERT INTO renewal_orders (id, reseller_id, customer_id, renewal_date, timing, quantity, term_months,
               term_starts_on, term_ends_on, created_by)
             VALUES (${ids.renewal}, ${r}, ${customerId}, current_date, 'on_time', 3, 12, current_date,
               current_date + 365, 'test')`;
    await tx`INSERT INTO invoices (id, number, reseller_id, customer_id, order_id, currency, period_start, period_end,
               subtotal_minor, discount_percent, discount_minor, total_minor, due_at)
             VALUES (${ids.invoice}, ${`INV-${randomUUID()}`}, ${r}, ${customerId}, ${ids.order}, 'EUR', now(),
               now() + interval '1 month', 14800, 0, 0, 14800, now() + interval '30 days')`;
    await tx`INSERT INTO invoice_lines (invoice_id, position, item, description, unit_price_minor)
             VALUES (${ids.invoice}, 1, 'production', 'Production plan', 14800)`;
    await tx`INSERT INTO payments (id, provider_event_id, invoice_id, reseller_id, amount_minor, currency)
             VALUES (${ids.payment}, ${`evt-${randomUUID()}`}, ${ids.invoice}, ${r}, 14800, 'EUR')`;
    await tx`INSERT INTO reseller_balance_transactions (reseller_id, kind, invoice_id, payment_id, currency,
               amount_minor, description)
             VALUES (${r}, 'invoice', ${ids.invoice}, NULL, 'EUR', 14800, 'invoice'),
                    (${r}, 'payment', ${ids.invoice}, ${ids.payment}, 'EUR', -14800, 'payment')`;
    await tx`INSERT INTO idempotency_keys (reseller_id, key, request_hash, resource_id)
             VALUES (${r}, ${`key-${randomUUID()}`}, 'h', ${ids.order})`;
  });
  return { customerId, vipId, ids };
}

/** X1: the new reseller's request for the customer, with its first admin's email. */
async function requestChange(newR: { resellerId: string; userId: string }, c: { vipId: string; customerId: string }) {
  const requestId = randomUUID();
  const [admin] = await sql<{ email: string }[]>`SELECT email FROM customer_admins WHERE customer_id = ${c.customerId}`;
  await reserveResellerChange(sql, {
    id: requestId,
    resellerId: newR.resellerId,
    userId: newR.userId,
    vipId: c.vipId,
    adminEmail: admin!.email,
    ttlMs: 72 * 3600_000,
    limit: 100,
  });
  return requestId;
}

/** X1: a code issued for the request, as its email to an admin issues it; answers the code's hash. */
async function issuedCode(requestId: string): Promise<string> {
  const hash = codeHash(config.TOKEN_SECRET, newResellerChangeCode());
  await sql.begin((tx) =>
    issueResellerChangeCode(tx, {
      requestId,
      emailKey: `test:${requestId}/code`,
      adminEmail: 'admin@customer.test',
      codeHash: Buffer.from(hash, 'hex'),
    }),
  );
  return hash;
}

/** X1/X2 at the activity level: the request, the code stored, the redemption. */
async function transfer(newR: { resellerId: string; userId: string }, c: { vipId: string; customerId: string }) {
  const requestId = await requestChange(newR, c);
  const expiresAt = new Date(Date.now() + 72 * 3600_000).toISOString();
  expect(await changes.issueResellerChangeCode({ requestId, expiresAt })).toEqual({ matched: true });
  const hash = await issuedCode(requestId);
  return { requestId, outcome: await changes.redeemResellerChangeCode({ requestId, codeHash: hash, actor: 'test' }) };
}

const resellerOf = async (table: string, column: string, id: string) =>
  (await sql<{ resellerId: string }[]>`SELECT reseller_id FROM ${sql(table)} WHERE ${sql(column)} = ${id}`)[0]
    ?.resellerId;

describe('one owner per customer: what a reseller change moves', () => {
  it('X2 T1: every table with a reseller_id is decided: moved with the customer or kept with the issuer', async () => {
    const tables = await sql<{ tableName: string }[]>`
      SELECT table_name FROM information_schema.columns
      WHERE table_schema = 'public' AND column_name = 'reseller_id' ORDER BY table_name`;
    const decided = [...Object.keys(OWNERSHIP.moves), ...Object.keys(OWNERSHIP.stays)].sort();
    expect(tables.map((t) => t.tableName)).toEqual(decided);
  });

  it('X2: redeeming moves the customer and all its live rows in one transaction; issued documents stay', async () => {
    const oldR = await newReseller(sql);
    const newR = await newReseller(sql);
    const c = await customerWithEverything(oldR);
    const { requestId, outcome } = await transfer(newR, c);
    expect(outcome).toEqual({ outcome: 'moved', customerId: c.customerId });

    // Moved: the customer (its old team member cleared).
    const [customer] = await sql`SELECT reseller_id, managed_by FROM customers WHERE id = ${c.customerId}`;
    expect(customer).toEqual({ resellerId: newR.resellerId, managedBy: null });
    // Moved: everything live. Kept: issued documents, a subscription not linked to the customer, the old
    // reseller's request keys.
    for (const [table, column, id, owner] of [
      ['licenses', 'id', c.ids.license, newR],
      ['orders', 'id', c.ids.order, newR],
      ['purchase_authorizations', 'id', c.ids.pa, newR],
      ['billing_subscriptions', 'order_id', c.ids.order, newR],
      ['subscriptions', 'id', c.ids.subscription, newR],
      ['renewal_orders', 'id', c.ids.renewal, newR],
      ['invoices', 'id', c.ids.invoice, oldR],
      ['payments', 'id', c.ids.payment, oldR],
      ['reseller_balance_transactions', 'invoice_id', c.ids.invoice, oldR],
      ['idempotency_keys', 'resource_id', c.ids.order, oldR],
      ['subscriptions', 'id', c.ids.unlinkedSubscription, oldR],
    ] as const) {
      expect([table, await resellerOf(table, column, id)]).toEqual([table, owner.resellerId]);
    }
    const balances =
      await sql`SELECT reseller_id FROM reseller_balance_transactions WHERE invoice_id = ${c.ids.invoice}`;
    expect(balances.map((b) => b.resellerId)).toEqual([oldR.resellerId, oldR.resellerId]);
    // The customer's earlier audit events stay in the old reseller's trail.
    const [invited] = await sql`
      SELECT reseller_id FROM audit_events WHERE entity_id = ${c.customerId} AND action = 'customer.invited'`;
    expect(invited?.resellerId).toBe(oldR.resellerId);

    // One audit event for the move, with the counts moved.
    const audit = await sql`
      SELECT reseller_id, before, after FROM audit_events
      WHERE entity_id = ${c.customerId} AND action = 'customer.reseller_changed'`;
    expect(audit).toEqual([
      {
        resellerId: newR.resellerId,
        before: { resellerId: oldR.resellerId },
        after: {
          resellerId: newR.resellerId,
          requestId,
          moved: {
            customers: 1,
            licenses: 1,
            orders: 1,
            purchaseAuthorizations: 1,
            billingSubscriptions: 1,
            subscriptions: 1,
            renewalOrders: 1,
          },
        },
      },
    ]);
  });

  it('X2 T1: after the move, the moved subscription is the new reseller’s, and its changes audit to it', async () => {
    const oldR = await newReseller(sql);
    const newR = await newReseller(sql);
    const c = await customerWithEverything(oldR);
    await transfer(newR, c);
    expect(await findSubscription(sql, oldR.resellerId, c.ids.subscription)).toBeNull();
    expect(await findSubscription(sql, newR.resellerId, c.ids.subscription)).toMatchObject({ users: 10 });
    await subscriptions.changeSubscriptionUsers({ subscriptionId: c.ids.subscription, users: 12, actor: 'user:new' });
    const [audit] = await sql`
      SELECT reseller_id FROM audit_events WHERE entity_id = ${c.ids.subscription} AND action = 'subscription.users_changed'`;
    expect(audit?.resellerId).toBe(newR.resellerId);
  });

  it('X2: a customer that changed hands after the code was sent is not moved by that code', async () => {
    const oldR = await newReseller(sql);
    const newR = await newReseller(sql);
    const third = await newReseller(sql);
    const c = await customerWithEverything(oldR);
    const requestId = await requestChange(newR, c);
    await changes.issueResellerChangeCode({ requestId, expiresAt: new Date(Date.now() + 3600_000).toISOString() });
    const hash = await issuedCode(requestId);
    await transfer(third, c);
    expect(await changes.redeemResellerChangeCode({ requestId, codeHash: hash, actor: 'test' })).toEqual({
      outcome: 'not-pending',
      status: 'customer-changed',
    });
    expect(await resellerOf('customers', 'id', c.customerId)).toBe(third.resellerId);
    expect(await resellerOf('orders', 'id', c.ids.order)).toBe(third.resellerId);
  });
});
