import type { Sql } from '.';

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

const select = (sql: Sql) => sql`
  SELECT o.id, o.reseller_id, o.customer_id, o.kind, o.status, o.currency, o.po_number, o.promo_code, o.subscription_type, o.plan,
         o.subtotal_minor, o.discount_minor, o.total_minor, o.trial_ends_at, o.created_at, o.converted_at,
         to_char(o.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_at,
         l.serial_number, l.status AS license_status, l.activated_at
  FROM orders o JOIN licenses l ON l.order_id = o.id`;

/** The workflow that runs it: a converted trial keeps its trial workflow. */
export const lifecycleKindOf = (o: Pick<OrderRow, 'kind' | 'convertedAt'>): 'order' | 'trial' =>
  o.kind === 'trial' || o.convertedAt ? 'trial' : 'order';

/** An order or trial of this reseller only (T1). */
export async function findOrder(sql: Sql, resellerId: string, id: string): Promise<OrderRow | null> {
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

/** What the activation page needs: the license behind a link (T3). */
export async function findActivationLink(sql: Sql, tokenHash: Buffer) {
  const [row] = await sql<
    {
      orderId: string;
      kind: 'order' | 'trial';
      usedAt: Date | null;
      expiresAt: Date;
      serialNumber: string;
      licenseStatus: string;
      organizationName: string;
      plan: string;
    }[]
  >`
    SELECT o.id AS order_id, o.kind, t.used_at, t.expires_at, l.serial_number, l.status AS license_status, c.organization_name, p.name AS plan
    FROM license_activation_tokens t JOIN licenses l ON l.id = t.license_id JOIN orders o ON o.id = l.order_id
    JOIN customers c ON c.id = o.customer_id JOIN plans p ON p.code = o.plan
    WHERE t.token_hash = ${tokenHash}`;
  return row ?? null;
}
