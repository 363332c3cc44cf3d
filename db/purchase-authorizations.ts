import type { Sql } from '.';

export interface PurchaseAuthorizationRow {
  id: string;
  resellerId: string;
  customerId: string;
  product: string;
  quantity: number;
  licensesAssigned: number;
  status: string;
  serialNumber: string | null;
  licenseStatus: string | null;
  createdAt: Date;
  orderedAt: Date | null;
  paidAt: Date | null;
}

const select = (sql: Sql) => sql`
  SELECT pa.id, pa.reseller_id, pa.customer_id, pa.product, pa.quantity, pa.licenses_assigned, pa.status,
         l.serial_number, l.status AS license_status, pa.created_at, pa.ordered_at, pa.paid_at
  FROM purchase_authorizations pa LEFT JOIN licenses l ON l.purchase_authorization_id = pa.id`;

/** A PA of this reseller only (T1). */
export async function findPurchaseAuthorization(
  sql: Sql,
  resellerId: string,
  id: string,
): Promise<PurchaseAuthorizationRow | null> {
  const [row] = await sql<
    PurchaseAuthorizationRow[]
  >`${select(sql)} WHERE pa.id = ${id} AND pa.reseller_id = ${resellerId}`;
  return row ?? null;
}

/** D7: a customer's authorization history, newest first. */
export async function listPurchaseAuthorizations(
  sql: Sql,
  resellerId: string,
  customerId: string,
): Promise<PurchaseAuthorizationRow[]> {
  return sql<
    PurchaseAuthorizationRow[]
  >`${select(sql)} WHERE pa.reseller_id = ${resellerId} AND pa.customer_id = ${customerId}
    ORDER BY pa.created_at DESC, pa.id DESC LIMIT 500`;
}

export interface PlanCounts {
  fulfilled: number;
  pending: number;
  assigned: number;
  unassigned: number;
}

/**
 * P5: over the PAs whose licenses are usable, licenses fulfilled (an order was placed) and pending (none
 * yet), assigned (total active) and unassigned (total available).
 */
export async function planCounts(sql: Sql, customerId: string): Promise<PlanCounts> {
  const [row] = await sql<PlanCounts[]>`
    SELECT COALESCE(sum(quantity) FILTER (WHERE ordered_at IS NOT NULL), 0)::int AS fulfilled,
           COALESCE(sum(quantity) FILTER (WHERE ordered_at IS NULL), 0)::int AS pending,
           COALESCE(sum(licenses_assigned), 0)::int AS assigned,
           COALESCE(sum(quantity - licenses_assigned), 0)::int AS unassigned
    FROM purchase_authorizations WHERE customer_id = ${customerId} AND status IN ('pending', 'ordered', 'paid', 'overdue')`;
  return row ?? { fulfilled: 0, pending: 0, assigned: 0, unassigned: 0 };
}

/** P2: an overdue (or deactivated) PA stops new ones for the customer. */
export async function hasOverduePurchaseAuthorization(sql: Sql, customerId: string): Promise<boolean> {
  const [row] =
    await sql`SELECT 1 FROM purchase_authorizations WHERE customer_id = ${customerId} AND status IN ('overdue', 'deactivated') LIMIT 1`;
  return row !== undefined;
}
