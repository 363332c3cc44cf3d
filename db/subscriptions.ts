import type { Sql } from '.';
import type { SubscriptionProduct } from '../workflows/definitions';

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

// E3: billing is monthly from creation (billing cycles come later): the next monthly date after today.
const columns = (sql: Sql) => sql`
  s.id, s.reseller_id, s.customer_id, s.product, s.company_name, s.users, s.status, s.customer_can_edit_signatures,
  c.name AS contact_name, c.email AS contact_email, c.setup_at AS contact_setup_at, s.created_at,
  to_char(s.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_at,
  CASE WHEN s.status = 'active' THEN to_char(
    (s.created_at AT TIME ZONE 'UTC') + make_interval(months => 1 + (
      extract(year FROM age(now() AT TIME ZONE 'UTC', s.created_at AT TIME ZONE 'UTC')) * 12 +
      extract(month FROM age(now() AT TIME ZONE 'UTC', s.created_at AT TIME ZONE 'UTC')))::int),
    'YYYY-MM-DD') END AS next_payment_date`;
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
      companyName: string;
      product: SubscriptionProduct;
      contactName: string;
      resellerName: string;
    }[]
  >`
    SELECT t.subscription_id, t.email, t.used_at, t.expires_at, s.company_name, s.product, c.name AS contact_name, r.name AS reseller_name
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
    await tx`INSERT INTO audit_events (reseller_id, entity_type, entity_id, action, actor, before, after)
             VALUES (${contact.resellerId}, 'subscription', ${contact.subscriptionId}, 'subscription.signature_template_changed',
                     ${`contact:${contact.email}`}, ${tx.json({ signatureTemplate: before?.signatureTemplate ?? null })},
                     ${tx.json({ signatureTemplate })})`;
    return after as SignatureSettings;
  });
}
