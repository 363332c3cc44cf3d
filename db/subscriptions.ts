import { randomUUID } from 'node:crypto';
import { inTransaction, type Sql, type Tx } from '.';
import type { SubscriptionInput, SubscriptionProduct } from '../workflows/definitions';
import { type AuditChange, auditSubscription, fieldChange } from './audit';
import type { RevokedReason } from './access-tokens';

export const PRODUCT_NAMES: Record<SubscriptionProduct, string> = {
  'signatures-microsoft-365': 'Exclaimer Signatures for Microsoft 365',
  'signatures-google-workspace': 'Exclaimer Signatures for Google Workspace',
};

export interface SubscriptionRow {
  id: string;
  resellerId: string;
  customerId: string | null;
  product: SubscriptionProduct;
  companyName: string;
  users: number;
  status: 'active' | 'inactive';
  customerCanEditSignatures: boolean;
  contactName: string | null;
  contactEmail: string | null;
  contactSetupAt: Date | null;
  /** E3: YYYY-MM-DD, or null when inactive. */
  nextPaymentDate: string | null;
  createdAt: Date;
  cursorAt: string;
}

/**
 * E3: billing is monthly from creation (billing cycles come later): the next monthly date after now, as a UTC
 * timestamp (without time zone), of the subscription `s`. D5's report lists it too.
 */
export const subscriptionNextPayment = (sql: Sql) => sql`
  ((s.created_at AT TIME ZONE 'UTC') + make_interval(months => 1 + (
    extract(year FROM age(now() AT TIME ZONE 'UTC', s.created_at AT TIME ZONE 'UTC')) * 12 +
    extract(month FROM age(now() AT TIME ZONE 'UTC', s.created_at AT TIME ZONE 'UTC')))::int))`;

const columns = (sql: Sql) => sql`
  s.id, s.reseller_id, s.customer_id, s.product, s.company_name, s.users, s.status, s.customer_can_edit_signatures,
  c.name AS contact_name, c.email AS contact_email, c.setup_at AS contact_setup_at, s.created_at,
  to_char(s.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_at,
  CASE WHEN s.status = 'active' THEN to_char(${subscriptionNextPayment(sql)}, 'YYYY-MM-DD') END AS next_payment_date`;
const from = (sql: Sql) => sql`subscriptions s LEFT JOIN subscription_contacts c ON c.subscription_id = s.id`;

/** A subscription of this reseller only (T1): another tenant's id finds nothing. */
export async function findSubscription(sql: Sql, resellerId: string, id: string): Promise<SubscriptionRow | null> {
  const [row] = await sql<
    SubscriptionRow[]
  >`SELECT ${columns(sql)} FROM ${from(sql)} WHERE s.id = ${id} AND s.reseller_id = ${resellerId}`;
  return row ?? null;
}

export interface SubscriptionListQuery {
  status?: 'active' | 'inactive';
  limit: number;
  after?: { createdAt: string; id: string };
}

/** E3: the reseller's subscriptions, newest first, by keyset pagination. */
export async function listSubscriptions(
  sql: Sql,
  resellerId: string,
  query: SubscriptionListQuery,
): Promise<SubscriptionRow[]> {
  return sql<SubscriptionRow[]>`
    SELECT ${columns(sql)} FROM ${from(sql)}
    WHERE s.reseller_id = ${resellerId}
      ${query.status ? sql`AND s.status = ${query.status}` : sql``}
      ${query.after ? sql`AND (s.created_at, s.id) < (${query.after.createdAt}::text::timestamptz, ${query.after.id}::uuid)` : sql``}
    ORDER BY s.created_at DESC, s.id DESC
    LIMIT ${query.limit}`;
}

/** What the account-setup page needs to know about a link (T3); null when no such link exists. */
export async function findContactLink(sql: Sql, tokenHash: Buffer) {
  const [row] = await sql<
    {
      subscriptionId: string;
      email: string;
      usedAt: Date | null;
      expiresAt: Date;
      revokedAt: Date | null;
      revokedReason: RevokedReason | null;
      companyName: string;
      product: SubscriptionProduct;
      contactName: string;
      resellerName: string;
    }[]
  >`
    SELECT t.subscription_id, t.email, t.used_at, t.expires_at, t.revoked_at, t.revoked_reason, s.company_name, s.product, c.name AS contact_name, r.name AS reseller_name
    FROM access_tokens t
    JOIN subscriptions s ON s.id = t.subscription_id
    JOIN subscription_contacts c ON c.subscription_id = s.id AND lower(c.email) = lower(t.email)
    JOIN resellers r ON r.id = s.reseller_id
    WHERE t.token_hash = ${tokenHash} AND t.purpose = 'subscription_contact'`;
  return row ?? null;
}

// --- Contacts' sign-in (E2, T3) -----------------------------------------------------------------

/** The set-up contacts of active subscriptions with this username (an email may serve several). */
export async function findContactCredentials(sql: Sql, email: string) {
  return sql<{ contactId: string; subscriptionId: string; passwordHash: string }[]>`
    SELECT c.id AS contact_id, c.subscription_id, c.password_hash
    FROM subscription_contacts c JOIN subscriptions s ON s.id = c.subscription_id
    WHERE lower(c.email) = lower(${email}) AND c.setup_at IS NOT NULL AND s.status = 'active'
    ORDER BY c.setup_at DESC`;
}

/**
 * E2: the password's hash is stored by the API before the workflow completes the setup, so it never
 * travels through workflow history; it counts only once the setup is completed (setup_at), and a
 * completed contact's password is not overwritten this way.
 */
export async function storeContactPassword(
  sql: Sql,
  args: { subscriptionId: string; email: string; passwordHash: string },
): Promise<void> {
  await sql`UPDATE subscription_contacts SET password_hash = ${args.passwordHash}
            WHERE subscription_id = ${args.subscriptionId} AND lower(email) = lower(${args.email}) AND setup_at IS NULL`;
}

export async function createContactSession(
  sql: Sql,
  args: { tokenHash: Buffer; contactId: string; expiresAt: Date },
): Promise<void> {
  await sql`INSERT INTO contact_sessions (token_hash, contact_id, expires_at) VALUES (${args.tokenHash}, ${args.contactId}, ${args.expiresAt})`;
}

export interface ContactPrincipal {
  contactId: string;
  email: string;
  subscriptionId: string;
  resellerId: string;
}

/** A live session of a contact whose subscription is still active; anything else finds nothing. */
export async function findContactBySession(sql: Sql, tokenHash: Buffer): Promise<ContactPrincipal | null> {
  const [row] = await sql<ContactPrincipal[]>`
    SELECT c.id AS contact_id, c.email, c.subscription_id, s.reseller_id
    FROM contact_sessions cs
    JOIN subscription_contacts c ON c.id = cs.contact_id
    JOIN subscriptions s ON s.id = c.subscription_id
    WHERE cs.token_hash = ${tokenHash} AND cs.expires_at > now() AND s.status = 'active'`;
  return row ?? null;
}

export interface SignatureSettings {
  subscriptionId: string;
  product: SubscriptionProduct;
  companyName: string;
  signatureTemplate: string;
}

/** E2: the product settings a contact sees; nothing about users, prices or payments. */
export async function findSignatureSettings(sql: Sql, subscriptionId: string): Promise<SignatureSettings | null> {
  const [row] = await sql<SignatureSettings[]>`
    SELECT id AS subscription_id, product, company_name, signature_template FROM subscriptions WHERE id = ${subscriptionId}`;
  return row ?? null;
}

/**
 * E2: the contact changes the signature template. A product setting, not a step of the subscription's
 * lifecycle, so it is written here (audited) rather than through the workflow.
 */
export async function updateSignatureTemplate(
  sql: Sql,
  contact: ContactPrincipal,
  signatureTemplate: string,
): Promise<SignatureSettings> {
  return sql.begin(async (tx) => {
    const [before] = await tx<{ signatureTemplate: string }[]>`
      SELECT signature_template FROM subscriptions WHERE id = ${contact.subscriptionId} FOR UPDATE`;
    const [after] = await tx<SignatureSettings[]>`
      UPDATE subscriptions SET signature_template = ${signatureTemplate}, updated_at = now() WHERE id = ${contact.subscriptionId}
      RETURNING id AS subscription_id, product, company_name, signature_template`;
    await auditUnderOwner(tx, contact.subscriptionId, contact.resellerId, {
      action: 'subscription.signature_template_changed',
      actor: `contact:${contact.email}`,
      ...fieldChange('signatureTemplate', before?.signatureTemplate ?? null, signatureTemplate),
    });
    return after as SignatureSettings;
  });
}

/**
 * E2: the reseller edits the signatures of a subscription whose customer may not ("Let the customer edit
 * signatures?" off); audited. 'customer-edits' when the customer's contact edits them instead.
 */
export async function updateSignatureTemplateAsReseller(
  sql: Sql,
  a: { resellerId: string; subscriptionId: string; signatureTemplate: string; actor: string },
): Promise<SignatureSettings | 'customer-edits'> {
  return sql.begin(async (tx) => {
    const [before] = await tx<{ signatureTemplate: string; customerCanEditSignatures: boolean }[]>`
      SELECT signature_template, customer_can_edit_signatures FROM subscriptions
      WHERE id = ${a.subscriptionId} AND reseller_id = ${a.resellerId} FOR UPDATE`;
    if (before?.customerCanEditSignatures) return 'customer-edits' as const;
    const [after] = await tx<SignatureSettings[]>`
      UPDATE subscriptions SET signature_template = ${a.signatureTemplate}, updated_at = now()
      WHERE id = ${a.subscriptionId} AND reseller_id = ${a.resellerId}
      RETURNING id AS subscription_id, product, company_name, signature_template`;
    await auditUnderOwner(tx, a.subscriptionId, a.resellerId, {
      action: 'subscription.signature_template_changed',
      actor: a.actor,
      ...fieldChange('signatureTemplate', before?.signatureTemplate ?? null, a.signatureTemplate),
    });
    return after as SignatureSettings;
  }) as Promise<SignatureSettings | 'customer-edits'>;
}

// --- The lifecycle's writes (E1-E3), called by activities/subscriptions.ts --------------------------

export interface SubscriptionInvoiceRow {
  id: string;
  periodStart: Date;
  periodEnd: Date;
  users: number;
  unitPriceMinor: number;
  totalMinor: number;
  currency: string;
  issuedAt: Date;
}

/**
 * E3: the month from `periodStart` invoiced at the users the subscription has now and its product's price, to its
 * reseller now, audited; once per month (a repeat finds it). Nothing for an inactive subscription.
 */
export async function invoiceSubscriptionMonth(
  sql: Sql,
  a: { subscriptionId: string; periodStart: string; periodEnd: string },
): Promise<void> {
  await sql.begin(async (tx) => {
    const [made] = await tx<{ resellerId: string; users: number; totalMinor: number }[]>`
      INSERT INTO subscription_invoices (subscription_id, reseller_id, period_start, period_end, users,
                                         unit_price_minor, total_minor, currency)
      SELECT s.id, s.reseller_id, ${a.periodStart}, ${a.periodEnd}, s.users, p.amount_minor, p.amount_minor * s.users,
             p.currency
      FROM subscriptions s JOIN subscription_prices p ON p.product = s.product
      WHERE s.id = ${a.subscriptionId} AND s.status = 'active'
      ON CONFLICT (subscription_id, period_start) DO NOTHING
      RETURNING reseller_id, users, total_minor::float8 AS total_minor`;
    if (made)
      await auditUnderOwner(tx, a.subscriptionId, made.resellerId, {
        action: 'subscription.invoiced',
        actor: 'system',
        after: { periodStart: a.periodStart, users: made.users, totalMinor: made.totalMinor },
      });
  });
}

export function listSubscriptionInvoices(sql: Sql, subscriptionId: string): Promise<SubscriptionInvoiceRow[]> {
  return sql<SubscriptionInvoiceRow[]>`
    SELECT id, period_start, period_end, users, unit_price_minor::float8 AS unit_price_minor,
           total_minor::float8 AS total_minor, trim(currency) AS currency, issued_at
    FROM subscription_invoices WHERE subscription_id = ${subscriptionId} ORDER BY period_start DESC`;
}

/**
 * The subscription's audit event, filed under its owner now: its customer's reseller when it is linked to one
 * (one owner per customer), else the reseller that created it.
 */
async function auditUnderOwner(tx: Tx, subscriptionId: string, creator: string, change: AuditChange): Promise<void> {
  const [row] = await tx<{ resellerId: string }[]>`
    SELECT COALESCE(cu.reseller_id, s.reseller_id) AS reseller_id
    FROM subscriptions s LEFT JOIN customers cu ON cu.id = s.customer_id WHERE s.id = ${subscriptionId}`;
  await auditSubscription(tx, row?.resellerId ?? creator, subscriptionId, change);
}

/**
 * E1/E2: stores the subscription and its contact, audited; a repeat finds them stored and changes nothing.
 * The creating reseller owns it; a customer is linked only when it is that reseller's (T1).
 */
export async function storeSubscription(sql: Sql | Tx, input: SubscriptionInput): Promise<void> {
  await inTransaction(sql, async (tx) => {
    const [inserted] = await tx<{ customerId: string | null }[]>`
      INSERT INTO subscriptions (id, reseller_id, customer_id, product, company_name, users, customer_can_edit_signatures,
        created_by)
      VALUES (${input.subscriptionId}, ${input.resellerId},
        (SELECT id FROM customers WHERE id = ${input.customerId} AND reseller_id = ${input.resellerId}),
        ${input.product}, ${input.companyName}, ${input.users}, ${input.contact !== null}, ${input.createdBy})
      ON CONFLICT (id) DO NOTHING
      RETURNING customer_id`;
    if (!inserted) return;
    if (input.contact) {
      await tx`INSERT INTO subscription_contacts (id, subscription_id, email, name)
               VALUES (${randomUUID()}, ${input.subscriptionId}, ${input.contact.email}, ${input.contact.name})`;
    }
    const { subscriptionId, product, companyName, users, contact } = input;
    await auditSubscription(tx, input.resellerId, subscriptionId, {
      action: 'subscription.created',
      actor: `user:${input.createdBy}`,
      after: { customerId: inserted.customerId, product, companyName, users, contact },
    });
  });
}

/** E2: what the contact's invitation email needs, from the subscription's owner now. */
export async function findContactInvitation(sql: Sql, subscriptionId: string) {
  const [row] = await sql<
    {
      contactName: string;
      contactEmail: string;
      companyName: string;
      product: SubscriptionProduct;
      resellerName: string;
    }[]
  >`
    SELECT c.name AS contact_name, c.email AS contact_email, s.company_name, s.product, r.name AS reseller_name
    FROM subscriptions s JOIN subscription_contacts c ON c.subscription_id = s.id
    LEFT JOIN customers cu ON cu.id = s.customer_id
    JOIN resellers r ON r.id = COALESCE(cu.reseller_id, s.reseller_id)
    WHERE s.id = ${subscriptionId}`;
  return row ?? null;
}

/**
 * E2/T3: the contact's details, stored as the link is spent, in one transaction; 'link-invalid' (nothing
 * changed) for a spent, expired or foreign link, or when no password was stored beforehand.
 */
export async function completeContactSetup(
  sql: Sql,
  args: { subscriptionId: string; tokenHash: Buffer; name: string; phone: string | null },
): Promise<'completed' | 'link-invalid'> {
  return sql.begin(async (tx) => {
    const [token] = await tx<{ email: string; usedAt: Date | null; expiresAt: Date; revokedAt: Date | null }[]>`
      SELECT email, used_at, expires_at, revoked_at FROM access_tokens
      WHERE token_hash = ${args.tokenHash} AND purpose = 'subscription_contact' AND subscription_id = ${args.subscriptionId}
      FOR UPDATE`;
    if (!token) return 'link-invalid' as const;
    if (token.usedAt) {
      // A retry of a setup that committed (its worker died before reporting it): the same answer again.
      const [done] = await tx`
        SELECT 1 FROM subscription_contacts WHERE subscription_id = ${args.subscriptionId}
          AND lower(email) = lower(${token.email}) AND setup_at IS NOT NULL`;
      return done ? ('completed' as const) : ('link-invalid' as const);
    }
    if (token.revokedAt || token.expiresAt.getTime() <= Date.now()) return 'link-invalid' as const;
    const [contact] = await tx<{ id: string; resellerId: string }[]>`
      UPDATE subscription_contacts c SET name = ${args.name}, phone = ${args.phone}, setup_at = now()
      FROM subscriptions s
      WHERE c.subscription_id = ${args.subscriptionId} AND lower(c.email) = lower(${token.email})
        AND s.id = c.subscription_id AND c.password_hash IS NOT NULL
      RETURNING c.id, s.reseller_id`;
    if (!contact) return 'link-invalid' as const;
    await tx`UPDATE access_tokens SET used_at = now()
             WHERE subscription_id = ${args.subscriptionId} AND purpose = 'subscription_contact' AND used_at IS NULL`;
    await auditUnderOwner(tx, args.subscriptionId, contact.resellerId, {
      action: 'subscription.contact_setup',
      actor: `contact:${token.email}`,
      after: { contactName: args.name, contactPhone: args.phone },
    });
    return 'completed' as const;
  });
}

/** E2: the link ran out in workflow time; the stored one stops working now, whatever its stored expiry. */
export async function expireContactLinks(sql: Sql, subscriptionId: string): Promise<void> {
  await sql`UPDATE access_tokens SET expires_at = LEAST(expires_at, now())
            WHERE subscription_id = ${subscriptionId} AND purpose = 'subscription_contact' AND used_at IS NULL`;
}

/**
 * E3: the number of users changes, audited with before and after; a repeat finds it changed and writes no
 * second audit row. Answers the status that refused it when the subscription is not active.
 */
export async function changeSubscriptionUsers(
  sql: Sql,
  args: { subscriptionId: string; users: number; actor: string },
): Promise<{ outcome: 'changed' } | { outcome: 'not-active'; status: string }> {
  return sql.begin(async (tx) => {
    const [before] = await tx<{ resellerId: string; users: number; status: string }[]>`
      SELECT reseller_id, users, status FROM subscriptions WHERE id = ${args.subscriptionId} FOR UPDATE`;
    if (!before) return { outcome: 'not-active' as const, status: 'not found' };
    if (before.status !== 'active') return { outcome: 'not-active' as const, status: before.status };
    if (before.users === args.users) return { outcome: 'changed' as const };
    await tx`UPDATE subscriptions SET users = ${args.users}, updated_at = now() WHERE id = ${args.subscriptionId}`;
    await auditUnderOwner(tx, args.subscriptionId, before.resellerId, {
      action: 'subscription.users_changed',
      actor: args.actor,
      ...fieldChange('users', before.users, args.users),
    });
    return { outcome: 'changed' as const };
  });
}

/** Ends the subscription: inactive, and its contact's link stops working (sessions end with it), audited. */
export async function cancelSubscription(sql: Sql, args: { subscriptionId: string; actor: string }): Promise<void> {
  await sql.begin(async (tx) => {
    const [before] = await tx<{ resellerId: string; status: string }[]>`
      SELECT reseller_id, status FROM subscriptions WHERE id = ${args.subscriptionId} FOR UPDATE`;
    if (!before || before.status === 'inactive') return;
    await tx`UPDATE subscriptions SET status = 'inactive', updated_at = now() WHERE id = ${args.subscriptionId}`;
    await tx`UPDATE access_tokens SET expires_at = LEAST(expires_at, now())
             WHERE subscription_id = ${args.subscriptionId} AND purpose = 'subscription_contact' AND used_at IS NULL`;
    await auditUnderOwner(tx, args.subscriptionId, before.resellerId, {
      action: 'subscription.cancelled',
      actor: args.actor,
      ...fieldChange('status', 'active', 'inactive'),
    });
  });
}
