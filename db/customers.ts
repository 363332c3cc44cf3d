import { inTransaction, type Sql, type Tx } from '.';
import type { CustomerDetails } from '../workflows/definitions';
import { auditCustomer, fieldChange } from './audit';
import { revokeInvitationLinks, type RevokedReason } from './access-tokens';
import { type RenewalOrderRow, renewalOrderColumns } from './renewals';

/** The customer's details as stored (C1), under the contract's names. */
type StoredDetails = Omit<CustomerDetails, 'marketSegment' | 'type' | 'contact'>;

export interface CustomerRow extends StoredDetails {
  id: string;
  resellerId: string;
  vipId: string;
  marketSegment: string;
  customerType: string;
  contactFirstName: string;
  contactLastName: string;
  contactEmail: string;
  invitationStatus: 'pending' | 'accepted';
  invitedAt: Date;
  acceptedAt: Date | null;
  /** D1/D7: the reseller's team member assigned to the customer. */
  managedBy: { id: string; name: string; email: string } | null;
  createdAt: Date;
  cursorAt: string;
}

const columns = (sql: Sql | Tx) => sql`
  id, reseller_id, vip_id, organization_name, organization_name_ascii, market_segment, customer_type, country,
  address_line1, address_line2, city, postal_code, tax_id, contact_first_name, contact_last_name, contact_email,
  invitation_status, invited_at, accepted_at, to_char(anniversary_date, 'YYYY-MM-DD') AS anniversary_date, created_at,
  (SELECT json_build_object('id', u.id, 'name', u.name, 'email', u.email) FROM reseller_users u
   WHERE u.id = customers.managed_by AND u.reseller_id = customers.reseller_id) AS managed_by,
  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_at`;

/** A customer of this reseller only (T1): another tenant's id finds nothing. */
export async function findCustomer(sql: Sql | Tx, resellerId: string, customerId: string): Promise<CustomerRow | null> {
  const [row] = await sql<
    CustomerRow[]
  >`SELECT ${columns(sql)} FROM customers WHERE id = ${customerId} AND reseller_id = ${resellerId}`;
  return row ?? null;
}

export const CUSTOMER_FILTERS = [
  'all',
  'no-products',
  'pending-requests',
  'overdue-requests',
  'upcoming-renewals',
  'ready-for-renewal',
] as const;
export type CustomerFilter = (typeof CUSTOMER_FILTERS)[number];

/** R1/R2 in whole days, from configuration (see renewalWindowDays in api/renewal-lifecycle.ts). */
export interface RenewalWindowDays {
  /** R1: notices start this many days before the renewal date. */
  noticeBefore: number;
  /** R2: renewal orders from this many days before the renewal date… */
  earlyFrom: number;
  /** …until this many days after it. */
  lateUntil: number;
}

export interface CustomerListQuery {
  status?: 'pending' | 'accepted';
  q?: string;
  email?: string;
  /** D1: one of the portal's list filters; 'all' (or none) filters nothing. */
  filter?: CustomerFilter;
  /** D1 "managed by me": only the customers assigned to this user. */
  managedBy?: string;
  /** Required by the renewal filters (R1, R2). */
  windows?: RenewalWindowDays;
  limit: number;
  after?: { createdAt: string; id: string };
}

/**
 * The date the customer's current term ends, as currentRenewalDate (db/renewals.ts) computes it: the end of
 * the last renewed term, else the anniversary (C5), moved by an extended prepaid term (C6).
 */
export const customerRenewalDate = (sql: Sql) => sql`
  COALESCE((SELECT max(r.term_ends_on) FROM renewal_orders r WHERE r.customer_id = customers.id),
           CASE WHEN extended_term_months IS NOT NULL
                THEN (anniversary_date + make_interval(months => extended_term_months - 12))::date
                ELSE anniversary_date END)`;

/** D1: the SQL condition of a list filter (P1, P2, R1, R2, C8). */
function filterCondition(
  sql: Sql,
  resellerId: string,
  filter: CustomerFilter | undefined,
  windows: RenewalWindowDays | undefined,
) {
  const w = () => {
    if (!windows) throw new Error(`the customer filter "${filter}" needs the renewal windows`);
    return windows;
  };
  switch (filter) {
    case 'no-products':
      return sql`AND NOT EXISTS (SELECT 1 FROM licenses l WHERE l.customer_id = customers.id)`;
    // A PA moves with its customer (X2), so the tenant's PAs of that status name exactly its customers.
    case 'pending-requests':
      return sql`AND customers.id IN (SELECT pa.customer_id FROM purchase_authorizations pa
        WHERE pa.reseller_id = ${resellerId} AND pa.status = 'pending')`;
    case 'overdue-requests':
      return sql`AND customers.id IN (SELECT pa.customer_id FROM purchase_authorizations pa
        WHERE pa.reseller_id = ${resellerId} AND pa.status = 'overdue')`;
    case 'upcoming-renewals':
      return sql`AND ${customerRenewalDate(sql)} BETWEEN current_date AND current_date + ${w().noticeBefore}::int`;
    case 'ready-for-renewal':
      return sql`AND ${customerRenewalDate(sql)} BETWEEN current_date - ${w().lateUntil}::int AND current_date + ${w().earlyFrom}::int`;
    case 'all':
    case undefined:
      return sql``;
  }
}

/** D1: the WHERE clause of the tenant's customers that the list's filters keep (the list, its export, the map). */
function customerConditions(sql: Sql, resellerId: string, query: Omit<CustomerListQuery, 'limit' | 'after'>) {
  const like = query.q ? `%${query.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null;
  return sql`
    WHERE reseller_id = ${resellerId}
      ${query.status ? sql`AND invitation_status = ${query.status}` : sql``}
      ${query.email ? sql`AND lower(contact_email) = lower(${query.email})` : sql``}
      ${like ? sql`AND (search_name ILIKE ${like} OR contact_email ILIKE ${like} OR vip_id ILIKE ${like})` : sql``}
      ${query.managedBy ? sql`AND managed_by = ${query.managedBy}` : sql``}
      ${filterCondition(sql, resellerId, query.filter, query.windows)}`;
}

/** The reseller's customers, newest first, by keyset pagination (stable and fast at any depth). */
export async function listCustomers(sql: Sql, resellerId: string, query: CustomerListQuery): Promise<CustomerRow[]> {
  return sql<CustomerRow[]>`
    SELECT ${columns(sql)} FROM customers
    ${customerConditions(sql, resellerId, query)}
      ${query.after ? sql`AND (created_at, id) < (${query.after.createdAt}::text::timestamptz, ${query.after.id}::uuid)` : sql``}
    ORDER BY created_at DESC, id DESC
    LIMIT ${query.limit}`;
}

export interface CountryCount {
  /** ISO 3166-1 alpha-2, as stored (C1). */
  country: string;
  invitationStatus: 'pending' | 'accepted';
  customers: number;
}

/**
 * D4: how many of the tenant's customers (with the list's filters) are in each country, by invitation status: one
 * GROUP BY over the tenant's rows, read through customers_by_reseller.
 */
export async function countCustomersByCountry(
  sql: Sql,
  resellerId: string,
  query: Omit<CustomerListQuery, 'limit' | 'after'>,
): Promise<CountryCount[]> {
  return sql<CountryCount[]>`
    SELECT trim(country) AS country, invitation_status, count(*)::int AS customers FROM customers
    ${customerConditions(sql, resellerId, query)}
    GROUP BY 1, 2 ORDER BY 1, 2`;
}

export interface PostalCodeCount extends CountryCount {
  postalCode: string;
}

/**
 * D4: the same counts per postal code, for the countries whose codes the bundled postal data resolves (`countries`);
 * the API groups them by the area each code resolves to.
 */
export async function countCustomersByPostalCode(
  sql: Sql,
  resellerId: string,
  query: Omit<CustomerListQuery, 'limit' | 'after'>,
  countries: string[],
): Promise<PostalCodeCount[]> {
  return sql<PostalCodeCount[]>`
    SELECT trim(country) AS country, postal_code, invitation_status, count(*)::int AS customers FROM customers
    ${customerConditions(sql, resellerId, query)} AND trim(country) = ANY(${countries})
    GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`;
}

/**
 * D1/D7: assigns the customer to a team member of the same reseller (or to nobody), with its audit event, in
 * one transaction. Null when the customer is not this reseller's; 'unknown-user' when the user is not.
 */
export async function setManagedBy(
  sql: Sql,
  resellerId: string,
  customerId: string,
  userId: string | null,
  actor: string,
): Promise<'updated' | 'not-found' | 'unknown-user'> {
  return sql.begin(async (tx) => {
    const [customer] = await tx<{ managedBy: string | null }[]>`
      SELECT managed_by FROM customers WHERE id = ${customerId} AND reseller_id = ${resellerId} FOR UPDATE`;
    if (!customer) return 'not-found' as const;
    if (userId !== null) {
      const [user] = await tx`SELECT 1 FROM reseller_users WHERE id = ${userId} AND reseller_id = ${resellerId}`;
      if (!user) return 'unknown-user' as const;
    }
    if (customer.managedBy === userId) return 'updated' as const;
    await tx`UPDATE customers SET managed_by = ${userId}, updated_at = now() WHERE id = ${customerId}`;
    await auditCustomer(tx, resellerId, customerId, {
      action: 'customer.managed_by_changed',
      actor,
      ...fieldChange('managedBy', customer.managedBy, userId),
    });
    return 'updated' as const;
  });
}

/**
 * D7: the sections of a customer's details page beyond the stored customer, one query each. The rows are the
 * customer's: its owner (customers.reseller_id) is the one checked (one owner per customer).
 */
export async function customerDetailSections(sql: Sql, resellerId: string, customerId: string) {
  const owned = () => sql`customer_id = ${customerId} AND EXISTS (
    SELECT 1 FROM customers o WHERE o.id = ${customerId} AND o.reseller_id = ${resellerId})`;
  const [profile, plans, orders, authorizations, renewals] = await Promise.all([
    sql<
      {
        vipSelectLevel: number | null;
        vipSelectDiscountPercent: number | null;
        threeYearCommitmentQuantity: number | null;
        threeYearCommittedAt: Date | null;
        extendedTermMonths: number | null;
        extendedTermPrepaid: boolean;
      }[]
    >`
      SELECT c.vip_select_level, v.discount_percent AS vip_select_discount_percent, c.three_year_commitment_quantity,
             c.three_year_committed_at, c.extended_term_months, c.extended_term_prepaid
      FROM customers c LEFT JOIN vip_select_levels v ON v.market_segment = c.market_segment AND v.level = c.vip_select_level
      WHERE c.id = ${customerId} AND c.reseller_id = ${resellerId}`,
    sql<{ product: string; status: string; licenses: number }[]>`
      SELECT product, status, count(*)::int AS licenses FROM licenses
      WHERE ${owned()}
      GROUP BY product, status ORDER BY product, status`,
    sql<
      { id: string; kind: string; status: string; poNumber: string | null; createdAt: Date; convertedAt: Date | null }[]
    >`
      SELECT id, kind, status, po_number, created_at, converted_at FROM orders
      WHERE ${owned()}
      ORDER BY created_at DESC, id DESC LIMIT 100`,
    sql<
      {
        id: string;
        product: string;
        quantity: number;
        status: string;
        createdAt: Date;
        orderedAt: Date | null;
        paidAt: Date | null;
        overdueAt: Date | null;
        deactivatedAt: Date | null;
        cancelledAt: Date | null;
        returnedAt: Date | null;
      }[]
    >`
      SELECT id, product, quantity, status, created_at, ordered_at, paid_at, overdue_at, deactivated_at, cancelled_at, returned_at
      FROM purchase_authorizations WHERE ${owned()}
      ORDER BY created_at DESC, id DESC LIMIT 100`,
    sql<RenewalOrderRow[]>`
      SELECT ${renewalOrderColumns(sql)} FROM renewal_orders WHERE ${owned()}
      ORDER BY renewal_date DESC LIMIT 100`,
  ]);
  return { profile: profile[0] ?? null, plans, orders, authorizations, renewals };
}

export type DeleteOutcome = 'deleted' | 'not-found' | 'has-products';

/**
 * C8: deletes a customer with no products (no license, no renewal order), with its links, and records who did it.
 * Whatever else still refers to the customer counts as a product too: a row that blocks the delete (Postgres's
 * foreign key, 23503) is answered `has-products`, not retried, which would hold the lifecycle's delete for minutes.
 */
export async function deleteCustomerWithoutProducts(
  sql: Sql,
  customerId: string,
  actor: string,
): Promise<DeleteOutcome> {
  try {
    return await deleteIfNoProducts(sql, customerId, actor);
  } catch (err) {
    if ((err as { code?: unknown }).code === '23503') return 'has-products';
    throw err;
  }
}

async function deleteIfNoProducts(sql: Sql, customerId: string, actor: string): Promise<DeleteOutcome> {
  return sql.begin(async (tx) => {
    const [customer] = await tx<
      { resellerId: string; vipId: string; organizationName: string; invitationStatus: string }[]
    >`
      SELECT reseller_id, vip_id, organization_name, invitation_status FROM customers WHERE id = ${customerId} FOR UPDATE`;
    if (!customer) return 'not-found' as const;
    const [product] = await tx`
      SELECT 1 FROM licenses WHERE customer_id = ${customerId}
      UNION ALL SELECT 1 FROM renewal_orders WHERE customer_id = ${customerId} LIMIT 1`;
    if (product) return 'has-products' as const;
    await tx`DELETE FROM customers WHERE id = ${customerId}`;
    await auditCustomer(tx, customer.resellerId, customerId, {
      action: 'customer.deleted',
      actor,
      before: customer,
    });
    return 'deleted' as const;
  });
}

/** What the acceptance page needs to know about a link (T3); null when no such link exists. */
export async function findInvitationLink(sql: Sql, tokenHash: Buffer) {
  const [row] = await sql<
    {
      customerId: string;
      usedAt: Date | null;
      expiresAt: Date;
      revokedAt: Date | null;
      revokedReason: RevokedReason | null;
      organizationName: string;
      invitationStatus: string;
      resellerName: string;
      contactFirstName: string;
    }[]
  >`
    SELECT t.customer_id, t.used_at, t.expires_at, t.revoked_at, t.revoked_reason, c.organization_name, c.invitation_status, c.contact_first_name, r.name AS reseller_name
    FROM access_tokens t JOIN customers c ON c.id = t.customer_id JOIN resellers r ON r.id = c.reseller_id
    WHERE t.token_hash = ${tokenHash} AND t.purpose = 'invitation'`;
  return row ?? null;
}

// --- The invitation's writes (C1-C4), called by activities/customers.ts ---------------------------

/**
 * C1/C2: stores the customer and issues its VIP id, with its audit event; a repeat returns the same VIP id.
 * The reseller is the one inviting: a new customer has no other owner yet.
 */
export async function registerCustomer(
  sql: Sql | Tx,
  input: {
    customerId: string;
    resellerId: string;
    invitedBy: string;
    customer: CustomerDetails;
    /** Issued by the API's create; a run started before VIP ids came with the input draws one here. */
    vipId?: string | null;
  },
): Promise<{ vipId: string }> {
  const c = input.customer;
  return inTransaction(sql, async (tx) => {
    // No arbiter named: the API's create and the workflow's first step may race to insert the same row (same id,
    // same VIP id), and the one that comes second must do nothing, whichever unique index it meets first.
    const [inserted] = await tx<{ vipId: string }[]>`
      INSERT INTO customers (id, reseller_id, vip_id, organization_name, organization_name_ascii, market_segment,
        customer_type, country, address_line1, address_line2, city, postal_code, tax_id,
        contact_first_name, contact_last_name, contact_email, anniversary_date, created_by)
      VALUES (${input.customerId}, ${input.resellerId}, COALESCE(${input.vipId ?? null}, 'VIP' || nextval('vip_number')),
        ${c.organizationName}, ${c.organizationNameAscii}, ${c.marketSegment}, ${c.type}, ${c.country},
        ${c.addressLine1}, ${c.addressLine2}, ${c.city}, ${c.postalCode}, ${c.taxId}, ${c.contact.firstName},
        ${c.contact.lastName}, ${c.contact.email}, ${c.anniversaryDate}, ${input.invitedBy})
      ON CONFLICT DO NOTHING
      RETURNING vip_id`;
    if (inserted) {
      await auditCustomer(tx, input.resellerId, input.customerId, {
        action: 'customer.invited',
        actor: `user:${input.invitedBy}`,
        after: { vipId: inserted.vipId, ...c },
      });
      return { vipId: inserted.vipId };
    }
    const [existing] = await tx<{ vipId: string }[]>`SELECT vip_id FROM customers WHERE id = ${input.customerId}`;
    if (!existing) throw new Error(`customer ${input.customerId} neither inserted nor found`);
    return { vipId: existing.vipId };
  });
}

/**
 * C3: the contact's email changes (a reminder to a corrected address), audited under the customer's owner; the
 * invitation links sent before, to the address being corrected, stop working (T3) in the same transaction.
 */
export async function changeContactEmail(
  sql: Sql,
  args: { customerId: string; email: string; actor: string },
): Promise<void> {
  await sql.begin(async (tx) => {
    const [before] = await tx<{ resellerId: string; contactEmail: string }[]>`
      SELECT reseller_id, contact_email FROM customers WHERE id = ${args.customerId} FOR UPDATE`;
    if (!before || before.contactEmail === args.email) return;
    await tx`UPDATE customers SET contact_email = ${args.email}, updated_at = now() WHERE id = ${args.customerId}`;
    await revokeInvitationLinks(tx, args.customerId);
    await auditCustomer(tx, before.resellerId, args.customerId, {
      action: 'customer.contact_email_changed',
      actor: args.actor,
      ...fieldChange('contactEmail', before.contactEmail, args.email),
    });
  });
}

/** C2: who the invitation goes to, and from which reseller: the customer's owner now. */
export async function findInvitationRecipient(sql: Sql, customerId: string) {
  const [row] = await sql<
    { contactFirstName: string; contactEmail: string; organizationName: string; vipId: string; resellerName: string }[]
  >`
    SELECT c.contact_first_name, c.contact_email, c.organization_name, c.vip_id, r.name AS reseller_name
    FROM customers c JOIN resellers r ON r.id = c.reseller_id WHERE c.id = ${customerId}`;
  return row ?? null;
}

export type AcceptOutcome =
  | { outcome: 'accepted' }
  | { outcome: 'link-invalid' }
  | { outcome: 'duplicate-admin'; contactEmail: string; organizationName: string };

/**
 * C2/C4/T3: marks the invitation Accepted and spends every acceptance link of the customer, in one
 * transaction; nothing changes for a spent, expired or foreign link, or when C4 forbids it.
 */
export async function acceptInvitation(
  sql: Sql,
  args: { customerId: string; tokenHash: Buffer },
): Promise<AcceptOutcome> {
  return sql.begin(async (tx): Promise<AcceptOutcome> => {
    const [token] = await tx<{ usedAt: Date | null; expiresAt: Date; revokedAt: Date | null }[]>`
      SELECT used_at, expires_at, revoked_at FROM access_tokens
      WHERE token_hash = ${args.tokenHash} AND purpose = 'invitation' AND customer_id = ${args.customerId}
      FOR UPDATE`;
    const [customer] = await tx<
      { resellerId: string; organizationName: string; contactEmail: string; invitationStatus: string }[]
    >`
      SELECT reseller_id, organization_name, contact_email, invitation_status FROM customers
      WHERE id = ${args.customerId} FOR UPDATE`;
    if (!token || !customer) return { outcome: 'link-invalid' };
    // A retry of an acceptance that committed (its worker died before reporting it): the same answer again.
    if (token.usedAt && customer.invitationStatus === 'accepted') return { outcome: 'accepted' };
    if (token.usedAt || token.revokedAt || token.expiresAt.getTime() <= Date.now()) return { outcome: 'link-invalid' };
    // C4 is also a unique index; checking first gives a clear reason without aborting the transaction.
    const [clash] = await tx`
      SELECT 1 FROM customers WHERE invitation_status = 'accepted' AND id <> ${args.customerId}
        AND lower(contact_email) = lower(${customer.contactEmail})
        AND organization_name = ${customer.organizationName}`;
    if (clash) {
      return {
        outcome: 'duplicate-admin',
        contactEmail: customer.contactEmail,
        organizationName: customer.organizationName,
      };
    }
    await tx`UPDATE customers SET invitation_status = 'accepted', accepted_at = now(), updated_at = now()
             WHERE id = ${args.customerId}`;
    await tx`UPDATE access_tokens SET used_at = now()
             WHERE customer_id = ${args.customerId} AND purpose = 'invitation' AND used_at IS NULL`;
    await auditCustomer(tx, customer.resellerId, args.customerId, {
      action: 'invitation.accepted',
      actor: `contact:${customer.contactEmail}`,
      ...fieldChange('invitationStatus', 'pending', 'accepted'),
    });
    return { outcome: 'accepted' };
  });
}
