import type { OrderInput } from '../workflows/contracts/order';
import type { RevokedReason } from './access-tokens';
import { auditOrder, fieldChange } from './audit';
import type { PricedOrder } from './catalog';
import { sha256 } from '../lib/hash';
import { inTransaction, type Sql, type Tx } from '.';

export interface OrderRow {
  id: string;
  resellerId: string;
  customerId: string;
  kind: 'order' | 'trial';
  status: string;
  currency: string;
  poNumber: string | null;
  promoCode: string | null;
  subscriptionType: string;
  plan: string;
  subtotalMinor: number;
  discountMinor: number;
  totalMinor: number;
  trialEndsAt: Date | null;
  createdAt: Date;
  convertedAt: Date | null;
  cursorAt: string;
  serialNumber: string;
  licenseStatus: string;
  activatedAt: Date | null;
}

const select = (sql: Sql | Tx) => sql`
  SELECT o.id, o.reseller_id, o.customer_id, o.kind, o.status, o.currency, o.po_number, o.promo_code, o.subscription_type, o.plan,
         o.subtotal_minor, o.discount_minor, o.total_minor, o.trial_ends_at, o.created_at, o.converted_at,
         to_char(o.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_at,
         l.serial_number, l.status AS license_status, l.activated_at
  FROM orders o JOIN licenses l ON l.order_id = o.id`;

/** The workflow that runs it: a converted trial keeps its trial workflow. */
export const lifecycleKindOf = (o: Pick<OrderRow, 'kind' | 'convertedAt'>): 'order' | 'trial' =>
  o.kind === 'trial' || o.convertedAt ? 'trial' : 'order';

/** An order or trial of this reseller only (T1). */
export async function findOrder(sql: Sql | Tx, resellerId: string, id: string): Promise<OrderRow | null> {
  const [row] = await sql<OrderRow[]>`${select(sql)} WHERE o.id = ${id} AND o.reseller_id = ${resellerId}`;
  return row ?? null;
}

export async function orderLines(sql: Sql, orderId: string) {
  return sql<{ driverCode: string; name: string; unitPriceMinor: number }[]>`
    SELECT ol.driver_code, d.name, ol.unit_price_minor FROM order_lines ol JOIN drivers d ON d.code = ol.driver_code
    WHERE ol.order_id = ${orderId} ORDER BY d.name`;
}

/** O6: all orders in one place, newest first. */
export async function listOrders(
  sql: Sql,
  resellerId: string,
  q: { kind?: string; customerId?: string; limit: number; after?: { createdAt: string; id: string } },
) {
  return sql<OrderRow[]>`${select(sql)}
    WHERE o.reseller_id = ${resellerId}
      ${q.kind ? sql`AND o.kind = ${q.kind}` : sql``}
      ${q.customerId ? sql`AND o.customer_id = ${q.customerId}` : sql``}
      ${q.after ? sql`AND (o.created_at, o.id) < (${q.after.createdAt}::text::timestamptz, ${q.after.id}::uuid)` : sql``}
    ORDER BY o.created_at DESC, o.id DESC LIMIT ${q.limit}`;
}

export interface AuditEvent {
  id: string;
  entityType: string;
  entityId: string;
  action: string;
  actor: string;
  before: unknown;
  after: unknown;
  at: Date;
}

/** O6: who changed what and when, for one order, or for a customer and all its orders. */
export async function auditTrail(
  sql: Sql,
  resellerId: string,
  filter: { orderId: string } | { customerId: string },
): Promise<AuditEvent[]> {
  if ('orderId' in filter) {
    return sql<AuditEvent[]>`SELECT id::text, entity_type, entity_id, action, actor, before, after, at FROM audit_events
      WHERE reseller_id = ${resellerId} AND entity_type = 'order' AND entity_id = ${filter.orderId} ORDER BY id`;
  }
  return sql<AuditEvent[]>`SELECT id::text, entity_type, entity_id, action, actor, before, after, at FROM audit_events
    WHERE reseller_id = ${resellerId}
      AND (entity_id = ${filter.customerId}
           OR (entity_type = 'order' AND entity_id IN (SELECT id FROM orders WHERE customer_id = ${filter.customerId})))
    ORDER BY id`;
}

/**
 * What the activation page needs: the license behind a link (T3). convertedAt lets the page find the workflow
 * through lifecycleKindOf (a converted trial keeps its trial workflow).
 */
export async function findActivationLink(sql: Sql, tokenHash: Buffer) {
  const [row] = await sql<
    {
      orderId: string;
      kind: 'order' | 'trial';
      convertedAt: Date | null;
      usedAt: Date | null;
      expiresAt: Date;
      revokedAt: Date | null;
      revokedReason: RevokedReason | null;
      serialNumber: string;
      licenseStatus: string;
      organizationName: string;
      plan: string;
    }[]
  >`
    SELECT o.id AS order_id, o.kind, o.converted_at, t.used_at, t.expires_at, t.revoked_at, t.revoked_reason,
      l.serial_number, l.status AS license_status, c.organization_name, p.name AS plan
    FROM access_tokens t JOIN licenses l ON l.id = t.license_id JOIN orders o ON o.id = l.order_id
    JOIN customers c ON c.id = o.customer_id JOIN plans p ON p.code = o.plan
    WHERE t.token_hash = ${tokenHash} AND t.purpose = 'license_activation'`;
  return row ?? null;
}

// --- The write side of the order lifecycle (activities/orders.ts) ---------------------------------------
// Every change is audited against the customer's current reseller (read through the customer), never a
// reseller id carried by a workflow's input.

/** The owner and country of a customer, as they are now. */
export async function customerOwner(sql: Sql, customerId: string) {
  const [row] = await sql<{ resellerId: string; country: string }[]>`
    SELECT reseller_id, trim(country) AS country FROM customers WHERE id = ${customerId}`;
  return row ?? null;
}

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** O8: the license's serial number, derived from the order id so a repeated placement finds the same one. */
export function serialNumberFor(orderId: string): string {
  const bytes = sha256(`serial:${orderId}`);
  let s = '';
  for (let i = 0; i < 12; i++) s += ALPHABET[(bytes[i] as number) & 31];
  return `PF-${s.slice(0, 4)}-${s.slice(4, 8)}-${s.slice(8)}`;
}

/** An order's stored totals, when it is stored (a repeated placement finds it). */
export async function storedOrder(sql: Sql, orderId: string) {
  const [row] = await sql<{ totalMinor: number }[]>`SELECT total_minor FROM orders WHERE id = ${orderId}`;
  return row ?? null;
}

/**
 * O1/O8/B2: stores the order as priced (a trial at zero), its lines, its license awaiting activation and
 * the audit event, in one transaction; the plan's price and the promo's percentage are kept as ordered.
 * A repeat finds the stored order.
 */
export async function insertOrder(
  sql: Sql | Tx,
  a: { input: OrderInput; resellerId: string; priced: PricedOrder; serialNumber: string; trialEndsAt: string | null },
): Promise<void> {
  const { input, priced: p } = a;
  const zero = input.kind === 'trial';
  const money = (minor: number) => (zero ? 0 : minor);
  await inTransaction(sql, async (tx) => {
    const inserted = await tx`
      INSERT INTO orders (id, reseller_id, customer_id, kind, status, currency, po_number, promo_code, subscription_type,
                          plan, subtotal_minor, discount_minor, total_minor, plan_price_minor, percent_off, trial_ends_at,
                          created_by)
      VALUES (${input.orderId}, ${a.resellerId}, ${input.customerId}, ${input.kind}, 'pending_activation',
              ${input.currency}, ${input.poNumber}, ${input.promoCode}, ${input.subscriptionType}, ${input.plan},
              ${money(p.subtotalMinor)}, ${money(p.discountMinor)}, ${money(p.totalMinor)}, ${money(p.planPriceMinor)},
              ${zero ? 0 : p.percentOff}, ${a.trialEndsAt}, ${input.createdBy})
      ON CONFLICT (id) DO NOTHING RETURNING id`;
    if (inserted.length === 0) return;
    for (const line of p.lines) {
      await tx`INSERT INTO order_lines (order_id, driver_code, unit_price_minor)
               VALUES (${input.orderId}, ${line.driverCode}, ${money(line.unitPriceMinor)})`;
    }
    await tx`INSERT INTO licenses (id, reseller_id, customer_id, serial_number, product, status, order_id, expires_at)
             VALUES (${input.orderId}, ${a.resellerId}, ${input.customerId}, ${a.serialNumber},
                     ${`PrintFactory ${input.plan}`}, 'pending_activation', ${input.orderId}, ${a.trialEndsAt})`;
    const { resellerId: _carried, ...ordered } = input;
    await auditOrder(tx, a.resellerId, input.orderId, {
      action: `${input.kind}.created`,
      actor: `user:${input.createdBy}`,
      after: {
        ...ordered,
        serialNumber: a.serialNumber,
        subtotalMinor: money(p.subtotalMinor),
        discountMinor: money(p.discountMinor),
        totalMinor: money(p.totalMinor),
        trialEndsAt: a.trialEndsAt,
      },
    });
  });
}

/** The order's current owner, locked for a change in this transaction. */
async function lockOrder(tx: Tx, orderId: string) {
  const [row] = await tx<
    {
      resellerId: string;
      kind: 'order' | 'trial';
      status: string;
      customerId: string;
      totalMinor: number;
      trialEndsAt: Date | null;
      licenseStatus: string;
      serialNumber: string;
    }[]
  >`
    SELECT c.reseller_id, o.kind, o.status, o.customer_id, o.total_minor, o.trial_ends_at,
           l.status AS license_status, l.serial_number
    FROM orders o JOIN customers c ON c.id = o.customer_id JOIN licenses l ON l.order_id = o.id
    WHERE o.id = ${orderId} FOR UPDATE OF o`;
  return row ?? null;
}

/** What the activation, trial and invoice emails say about a license. */
export async function licenseEmailData(sql: Sql, orderId: string) {
  const [o] = await sql<
    {
      kind: 'order' | 'trial';
      totalMinor: number;
      currency: string;
      trialEndsAt: Date | null;
      createdBy: string;
      serialNumber: string;
      contactFirstName: string;
      contactEmail: string;
      organizationName: string;
      resellerName: string;
      planName: string;
      subscriptionTypeName: string;
    }[]
  >`
    SELECT o.kind, o.total_minor, o.currency, o.trial_ends_at, o.created_by, l.serial_number,
           c.contact_first_name, c.contact_email, c.organization_name, r.name AS reseller_name, p.name AS plan_name,
           s.name AS subscription_type_name
    FROM orders o JOIN licenses l ON l.order_id = o.id JOIN customers c ON c.id = o.customer_id
    JOIN resellers r ON r.id = c.reseller_id JOIN plans p ON p.code = o.plan
    JOIN subscription_types s ON s.code = o.subscription_type
    WHERE o.id = ${orderId}`;
  if (!o) return null;
  const drivers = await sql<{ name: string }[]>`
    SELECT d.name FROM order_lines ol JOIN drivers d ON d.code = ol.driver_code
    WHERE ol.order_id = ${orderId} ORDER BY d.name`;
  return { ...o, drivers: drivers.map((d) => d.name) };
}

/** O4/O7: activates the license with a valid link and spends the links, in one transaction. */
export async function activateLicense(
  sql: Sql,
  a: { orderId: string; tokenHash: Buffer },
): Promise<'activated' | 'link_invalid'> {
  return sql.begin(async (tx) => {
    const [token] = await tx<{ usedAt: Date | null; expiresAt: Date; revokedAt: Date | null }[]>`
      SELECT used_at, expires_at, revoked_at FROM access_tokens
      WHERE token_hash = ${a.tokenHash} AND purpose = 'license_activation' AND license_id = ${a.orderId} FOR UPDATE`;
    const o = await lockOrder(tx, a.orderId);
    if (!token || !o) return 'link_invalid';
    // A retry of an activation that committed (its worker died before reporting it): the same answer again.
    if (token.usedAt && o.licenseStatus === 'active') return 'activated';
    if (token.usedAt || token.revokedAt || token.expiresAt.getTime() <= Date.now()) return 'link_invalid';
    await tx`UPDATE licenses SET status = 'active', activated_at = now() WHERE id = ${a.orderId}`;
    await tx`UPDATE orders SET status = 'active' WHERE id = ${a.orderId}`;
    await tx`UPDATE access_tokens SET used_at = now()
             WHERE license_id = ${a.orderId} AND purpose = 'license_activation' AND used_at IS NULL`;
    await auditOrder(tx, o.resellerId, a.orderId, {
      action: 'license.activated',
      actor: 'customer',
      ...fieldChange('status', o.status, 'active'),
    });
    return 'activated';
  });
}

/** O5: deletes an order or trial whose license was never activated; the customer stays. */
export async function deleteUnactivatedOrder(
  sql: Sql,
  a: { orderId: string; actor: string },
): Promise<'deleted' | 'gone' | 'activated'> {
  return sql.begin(async (tx) => {
    const o = await lockOrder(tx, a.orderId);
    if (!o) return 'gone';
    if (o.licenseStatus !== 'pending_activation') return 'activated';
    await tx`DELETE FROM orders WHERE id = ${a.orderId}`;
    await auditOrder(tx, o.resellerId, a.orderId, {
      action: `${o.kind}.deleted`,
      actor: a.actor,
      before: {
        kind: o.kind,
        customerId: o.customerId,
        totalMinor: o.totalMinor,
        licenseStatus: o.licenseStatus,
        serialNumber: o.serialNumber,
      },
    });
    return 'deleted';
  });
}

/** O6 "+": a trial's new end date; a repeat with the same date is a no-op. */
export async function extendTrial(sql: Sql, a: { orderId: string; trialEndsAt: string; actor: string }) {
  await sql.begin(async (tx) => {
    const o = await lockOrder(tx, a.orderId);
    if (!o?.trialEndsAt || o.trialEndsAt.toISOString() === new Date(a.trialEndsAt).toISOString()) return;
    await tx`UPDATE orders SET trial_ends_at = ${a.trialEndsAt} WHERE id = ${a.orderId}`;
    await tx`UPDATE licenses SET expires_at = ${a.trialEndsAt} WHERE order_id = ${a.orderId}`;
    await auditOrder(tx, o.resellerId, a.orderId, {
      action: 'trial.extended',
      actor: a.actor,
      ...fieldChange('trialEndsAt', o.trialEndsAt, a.trialEndsAt),
    });
  });
}

/** O6: what converting a trial prices: its choices, its lines and the customer's country. */
export async function trialToConvert(sql: Sql, orderId: string) {
  const [o] = await sql<
    {
      kind: 'order' | 'trial';
      currency: string;
      poNumber: string | null;
      promoCode: string | null;
      subscriptionType: string;
      plan: string;
      totalMinor: number;
      country: string;
    }[]
  >`
    SELECT o.kind, o.currency, o.po_number, o.promo_code, o.subscription_type, o.plan, o.total_minor,
           trim(c.country) AS country
    FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.id = ${orderId}`;
  if (!o) return null;
  const lines = await sql<{ driverCode: string }[]>`SELECT driver_code FROM order_lines WHERE order_id = ${orderId}`;
  return { ...o, drivers: lines.map((l) => l.driverCode) };
}

/** O6 "+": the trial becomes an order at the given prices; its license keeps running, without a gap. */
export async function convertTrial(sql: Sql, a: { orderId: string; actor: string; priced: PricedOrder }) {
  const p = a.priced;
  await sql.begin(async (tx) => {
    const o = await lockOrder(tx, a.orderId);
    if (!o || o.kind === 'order') return;
    await tx`UPDATE orders SET kind = 'order', converted_at = now(), trial_ends_at = NULL,
               subtotal_minor = ${p.subtotalMinor}, discount_minor = ${p.discountMinor}, total_minor = ${p.totalMinor},
               plan_price_minor = ${p.planPriceMinor}, percent_off = ${p.percentOff}
             WHERE id = ${a.orderId}`;
    for (const line of p.lines) {
      await tx`UPDATE order_lines SET unit_price_minor = ${line.unitPriceMinor}
               WHERE order_id = ${a.orderId} AND driver_code = ${line.driverCode}`;
    }
    await tx`UPDATE licenses SET expires_at = NULL WHERE order_id = ${a.orderId}`;
    await auditOrder(tx, o.resellerId, a.orderId, {
      action: 'trial.converted',
      actor: a.actor,
      before: { kind: 'trial', totalMinor: 0 },
      after: {
        kind: 'order',
        subtotalMinor: p.subtotalMinor,
        discountMinor: p.discountMinor,
        totalMinor: p.totalMinor,
      },
    });
  });
}

/** O6: the trial's end: the license is deactivated. A repeat, or a trial converted meanwhile, is a no-op. */
export async function expireTrial(sql: Sql, orderId: string) {
  await sql.begin(async (tx) => {
    const o = await lockOrder(tx, orderId);
    if (o?.kind !== 'trial' || o.status === 'expired') return;
    await tx`UPDATE orders SET status = 'expired' WHERE id = ${orderId}`;
    await tx`UPDATE licenses SET status = 'expired' WHERE order_id = ${orderId}`;
    await auditOrder(tx, o.resellerId, orderId, {
      action: 'trial.expired',
      actor: 'system',
      ...fieldChange('status', o.status, 'expired'),
    });
  });
}

/** The order's creator, while it belongs to the customer's current reseller (else nobody at that reseller). */
export async function creatorAtCurrentReseller(sql: Sql, orderId: string) {
  const [row] = await sql<{ email: string; name: string }[]>`
    SELECT u.email, u.name FROM orders o JOIN customers c ON c.id = o.customer_id
    JOIN reseller_users u ON u.id = o.created_by AND u.reseller_id = c.reseller_id
    WHERE o.id = ${orderId}`;
  return row ?? null;
}

/** What billing needs to know of an order: whether it is an order yet, and its subscription type. */
export async function billingProfileOf(sql: Sql, orderId: string) {
  const [row] = await sql<
    {
      kind: 'order' | 'trial';
      subscriptionType: string;
      customerId: string;
      resellerId: string;
      licenseStatus: string;
    }[]
  >`
    SELECT o.kind, o.subscription_type, o.customer_id, c.reseller_id, l.status AS license_status
    FROM orders o JOIN customers c ON c.id = o.customer_id JOIN licenses l ON l.order_id = o.id
    WHERE o.id = ${orderId}`;
  return row ?? null;
}
