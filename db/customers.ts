import type { Sql } from '.';

export interface CustomerRow {
  id: string;
  resellerId: string;
  vipId: string;
  organizationName: string;
  organizationNameAscii: string;
  marketSegment: string;
  customerType: string;
  country: string;
  addressLine1: string;
  addressLine2: string | null;
  city: string;
  postalCode: string;
  taxId: string | null;
  contactFirstName: string;
  contactLastName: string;
  contactEmail: string;
  invitationStatus: 'pending' | 'accepted';
  invitedAt: Date;
  acceptedAt: Date | null;
  anniversaryDate: string | null;
  createdAt: Date;
  cursorAt: string;
}

const columns = (sql: Sql) => sql`
  id, reseller_id, vip_id, organization_name, organization_name_ascii, market_segment, customer_type, country,
  address_line1, address_line2, city, postal_code, tax_id, contact_first_name, contact_last_name, contact_email,
  invitation_status, invited_at, accepted_at, to_char(anniversary_date, 'YYYY-MM-DD') AS anniversary_date, created_at,
  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_at`;

/** A customer of this reseller only (T1): another tenant's id finds nothing. */
export async function findCustomer(sql: Sql, resellerId: string, customerId: string): Promise<CustomerRow | null> {
  const [row] = await sql<CustomerRow[]>`SELECT ${columns(sql)} FROM customers WHERE id = ${customerId} AND reseller_id = ${resellerId}`;
  return row ?? null;
}

export interface CustomerListQuery {
  status?: 'pending' | 'accepted';
  q?: string;
  email?: string;
  limit: number;
  after?: { createdAt: string; id: string };
}

/** The reseller's customers, newest first, by keyset pagination (stable and fast at any depth). */
export async function listCustomers(sql: Sql, resellerId: string, query: CustomerListQuery): Promise<CustomerRow[]> {
  const like = query.q ? `%${query.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null;
  return sql<CustomerRow[]>`
    SELECT ${columns(sql)} FROM customers
    WHERE reseller_id = ${resellerId}
      ${query.status ? sql`AND invitation_status = ${query.status}` : sql``}
      ${query.email ? sql`AND lower(contact_email) = lower(${query.email})` : sql``}
      ${like ? sql`AND (organization_name ILIKE ${like} OR contact_email ILIKE ${like} OR vip_id ILIKE ${like})` : sql``}
      ${query.after ? sql`AND (created_at, id) < (${query.after.createdAt}::timestamptz, ${query.after.id}::uuid)` : sql``}
    ORDER BY created_at DESC, id DESC
    LIMIT ${query.limit}`;
}

export type DeleteOutcome = 'deleted' | 'not-found' | 'has-products';

/** C8: deletes a customer with no products, with its links, and records who did it. */
export async function deleteCustomerWithoutProducts(sql: Sql, customerId: string, actor: string): Promise<DeleteOutcome> {
  return sql.begin(async (tx) => {
    const [customer] = await tx<{ resellerId: string; vipId: string; organizationName: string; invitationStatus: string }[]>`
      SELECT reseller_id, vip_id, organization_name, invitation_status FROM customers WHERE id = ${customerId} FOR UPDATE`;
    if (!customer) return 'not-found' as const;
    const [product] = await tx`SELECT 1 FROM licenses WHERE customer_id = ${customerId} LIMIT 1`;
    if (product) return 'has-products' as const;
    await tx`DELETE FROM customers WHERE id = ${customerId}`;
    await tx`INSERT INTO audit_events (reseller_id, entity_type, entity_id, action, actor, before)
             VALUES (${customer.resellerId}, 'customer', ${customerId}, 'customer.deleted', ${actor}, ${tx.json(customer)})`;
    return 'deleted' as const;
  });
}

/** What the acceptance page needs to know about a link (T3); null when no such link exists. */
export async function findInvitationLink(sql: Sql, tokenHash: Buffer) {
  const [row] = await sql<
    { customerId: string; usedAt: Date | null; expiresAt: Date; organizationName: string; invitationStatus: string; resellerName: string; contactFirstName: string }[]
  >`
    SELECT t.customer_id, t.used_at, t.expires_at, c.organization_name, c.invitation_status, c.contact_first_name, r.name AS reseller_name
    FROM access_tokens t JOIN customers c ON c.id = t.customer_id JOIN resellers r ON r.id = c.reseller_id
    WHERE t.token_hash = ${tokenHash} AND t.purpose = 'invitation'`;
  return row ?? null;
}
