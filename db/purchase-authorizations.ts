import { inTransaction, type Sql, type Tx } from '.';
import { sha256 } from '../lib/hash';
import { extendedTermIssue } from '../lib/subscription-terms';
import type {
  MarketSegment,
  PurchaseAuthorizationAmount,
  PurchaseAuthorizationInput,
  PurchaseAuthorizationPayment,
  PurchaseAuthorizationTransition,
} from '../workflows/definitions';
import { auditPurchaseAuthorization, fieldChange } from './audit';
import { raiseVipSelect } from './renewals';

export interface PurchaseAuthorizationRow {
  id: string;
  resellerId: string;
  customerId: string;
  product: string;
  /** C7: the kind of license the product is; null for PAs stored before products came from the catalog. */
  licenseType: 'team' | 'enterprise' | null;
  quantity: number;
  licensesAssigned: number;
  status: string;
  serialNumber: string | null;
  licenseStatus: string | null;
  createdAt: Date;
  orderedAt: Date | null;
  paidAt: Date | null;
  /** P2: what the PA costs, when it was priced at creation. */
  amountMinor: number | null;
  currency: string | null;
  /** R4: the VIP Select discount of a PA priced from the catalog. */
  vipSelectDiscountPercent: number | null;
}

/** P2: what the PA costs, when it was priced. */
export const paAmount = (pa: Pick<PurchaseAuthorizationRow, 'amountMinor' | 'currency'>) =>
  pa.amountMinor !== null && pa.currency !== null ? { amountMinor: pa.amountMinor, currency: pa.currency } : null;

const select = (sql: Sql | Tx) => sql`
  SELECT pa.id, pa.reseller_id, pa.customer_id, pa.product, pa.license_type, pa.quantity, pa.licenses_assigned, pa.status,
         l.serial_number, l.status AS license_status, pa.created_at, pa.ordered_at, pa.paid_at, pa.amount_minor,
         trim(pa.currency) AS currency, pa.vip_select_discount_percent
  FROM purchase_authorizations pa LEFT JOIN licenses l ON l.purchase_authorization_id = pa.id`;

/** A PA of this reseller only (T1). */
export async function findPurchaseAuthorization(
  sql: Sql | Tx,
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
    FROM purchase_authorizations
    WHERE customer_id = ${customerId} AND status IN ('pending', 'ordered', 'paid', 'overdue', 'return_requested')`;
  return row ?? { fulfilled: 0, pending: 0, assigned: 0, unassigned: 0 };
}

/** P2: an overdue (or deactivated) PA stops new ones for the customer. */
export async function hasOverduePurchaseAuthorization(sql: Sql, customerId: string): Promise<boolean> {
  const [row] = await sql`SELECT 1 FROM purchase_authorizations
              WHERE customer_id = ${customerId} AND status IN ('overdue', 'deactivated') LIMIT 1`;
  return row !== undefined;
}

// --- The lifecycle's writes (P1-P5): each in one transaction with its audit event, each safe to repeat ----------

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** O8 for PA licenses: derived from the PA id, so a retried activity finds the same one. */
export function paSerialNumberFor(paId: string): string {
  const bytes = sha256(`pa-serial:${paId}`);
  let s = '';
  for (let i = 0; i < 12; i++) s += ALPHABET[(bytes[i] as number) & 31];
  return `PA-${s.slice(0, 4)}-${s.slice(4, 8)}-${s.slice(8)}`;
}

export type StoreOutcome =
  | { createdAt: string; refused: null; amount: PurchaseAuthorizationAmount | null }
  | { createdAt: null; refused: string; amount: null };
const refused = (reason: string): StoreOutcome => ({ createdAt: null, refused: reason, amount: null });

/**
 * P1: stores the PA with an active license (immediate access), for the reseller that owns the customer.
 * Refused when the requesting tenant no longer owns the customer (T1), while the customer has an overdue or
 * deactivated PA (P2), or for an extended term out of its segment's bounds or not at signup (C6).
 * A repeat returns the stored PA.
 */
export async function storePurchaseAuthorization(
  sql: Sql | Tx,
  input: PurchaseAuthorizationInput,
): Promise<StoreOutcome> {
  return inTransaction(sql, async (tx): Promise<StoreOutcome> => {
    const [existing] = await tx<{ createdAt: Date; amountMinor: number | null; currency: string | null }[]>`
      SELECT created_at, amount_minor, trim(currency) AS currency FROM purchase_authorizations WHERE id = ${input.paId}`;
    if (existing) return { createdAt: existing.createdAt.toISOString(), refused: null, amount: paAmount(existing) };
    const [customer] = await tx<{ marketSegment: MarketSegment; resellerId: string }[]>`
      SELECT market_segment, reseller_id FROM customers WHERE id = ${input.customerId} FOR UPDATE`;
    if (!customer || customer.resellerId !== input.resellerId)
      return refused('The customer no longer exists or has moved to another reseller.');
    const [late] = await tx`
      SELECT 1 FROM purchase_authorizations
      WHERE customer_id = ${input.customerId} AND status IN ('overdue', 'deactivated') LIMIT 1`;
    if (late) return refused('The customer has an overdue purchase authorization; no new one until it is paid (P2).');
    if (input.extendedTermMonths !== null) {
      const issue = extendedTermIssue(customer.marketSegment, input.extendedTermMonths);
      if (issue) return refused(`extendedTermMonths: ${issue} (C6).`);
      const [earlier] = await tx`
        SELECT 1 FROM purchase_authorizations WHERE customer_id = ${input.customerId}
        UNION ALL SELECT 1 FROM orders WHERE customer_id = ${input.customerId} AND kind = 'order' LIMIT 1`;
      if (earlier)
        return refused('extendedTermMonths: an extended term is prepaid at signup, with the first purchase (C6).');
      await tx`UPDATE customers SET extended_term_months = ${input.extendedTermMonths}, extended_term_prepaid = true
               WHERE id = ${input.customerId}`;
    }
    const owner = customer.resellerId;
    const [pa] = await tx<{ createdAt: Date }[]>`
      INSERT INTO purchase_authorizations (id, reseller_id, customer_id, product, license_type, quantity, created_by,
                                           amount_minor, currency)
      VALUES (${input.paId}, ${owner}, ${input.customerId}, ${input.product},
              (SELECT license_type FROM vip_products WHERE name = ${input.product}), ${input.quantity}, ${input.createdBy},
              ${input.amount?.amountMinor ?? null}, ${input.amount?.currency ?? null})
      RETURNING created_at`;
    await tx`
      INSERT INTO licenses (id, reseller_id, customer_id, serial_number, product, status, purchase_authorization_id,
                            activated_at)
      VALUES (${input.paId}, ${owner}, ${input.customerId}, ${paSerialNumberFor(input.paId)}, ${input.product},
              'active', ${input.paId}, now())`;
    // R4: the licenses bought in the current term, standing: since the term began (the anniversary, which this
    // purchase may just have set, less the term's length: 12 months, or the extended prepaid term, C6).
    const [bought] = await tx<{ n: number }[]>`
      SELECT COALESCE(sum(pa.quantity), 0)::int AS n FROM purchase_authorizations pa JOIN customers c ON c.id = pa.customer_id
      WHERE pa.customer_id = ${input.customerId} AND pa.status NOT IN ('cancelled', 'returned', 'return_requested')
        AND pa.created_at >= c.anniversary_date - make_interval(months => COALESCE(c.extended_term_months, 12))`;
    await raiseVipSelect(tx, input.customerId, bought?.n ?? 0);
    // R4: priced from the catalog, the VIP Select level just reached included, rounded down (no cent created).
    let amount = input.amount ?? null;
    if (input.priceList) {
      const [priced] = await tx<{ amountMinor: number; currency: string; discountPercent: number }[]>`
        UPDATE purchase_authorizations pa
        SET amount_minor = p.amount_minor * pa.quantity * (100 - COALESCE(v.discount_percent, 0)) / 100,
            currency = p.currency, vip_select_discount_percent = COALESCE(v.discount_percent, 0)
        FROM vip_product_prices p, customers c
          LEFT JOIN vip_select_levels v ON v.market_segment = c.market_segment AND v.level = c.vip_select_level
        WHERE pa.id = ${input.paId} AND p.product = pa.product AND p.currency = ${input.priceList} AND c.id = pa.customer_id
        RETURNING pa.amount_minor, trim(pa.currency) AS currency, pa.vip_select_discount_percent AS discount_percent`;
      if (!priced) throw new Error(`no price for ${input.product} in ${input.priceList}`);
      amount = { amountMinor: Number(priced.amountMinor), currency: priced.currency };
    }
    const { terms: _t, ...after } = input;
    await auditPurchaseAuthorization(tx, owner, input.paId, {
      action: 'purchase_authorization.created',
      actor: `user:${input.createdBy}`,
      after,
    });
    return { createdAt: (pa as { createdAt: Date }).createdAt.toISOString(), refused: null, amount };
  });
}

/** The PA locked for a change, with the reseller that owns its customer now (the one owner). */
async function lockPa(tx: Tx, paId: string) {
  const [pa] = await tx<
    {
      resellerId: string;
      status: string;
      orderedAt: Date | null;
      licensesAssigned: number;
      amountMinor: number | null;
      currency: string | null;
      serialNumber: string;
    }[]
  >`
    SELECT c.reseller_id, pa.status, pa.ordered_at, pa.licenses_assigned, pa.amount_minor,
           trim(pa.currency) AS currency, COALESCE(l.serial_number, pa.id::text) AS serial_number
    FROM purchase_authorizations pa JOIN customers c ON c.id = pa.customer_id
    LEFT JOIN licenses l ON l.purchase_authorization_id = pa.id
    WHERE pa.id = ${paId} FOR UPDATE OF pa`;
  return pa ?? null;
}

/** P1/P2: an order placed under the PA; a pending PA becomes ordered, an overdue one stays overdue. */
export async function recordPurchaseAuthorizationOrder(sql: Sql, args: { paId: string; actor: string }): Promise<void> {
  await sql.begin(async (tx) => {
    const pa = await lockPa(tx, args.paId);
    if (!pa || pa.orderedAt) return;
    await tx`UPDATE purchase_authorizations
             SET ordered_at = now(), status = CASE WHEN status = 'pending' THEN 'ordered' ELSE status END
             WHERE id = ${args.paId}`;
    await auditPurchaseAuthorization(tx, pa.resellerId, args.paId, {
      action: 'purchase_authorization.ordered',
      actor: args.actor,
      before: { status: pa.status },
    });
  });
}

/** What each status writes: its timestamp column, and what becomes of the PA's license. */
/** Each transition's timestamp column, and its license's status (null: the license is left as it is). */
const TRANSITIONS: Record<PurchaseAuthorizationTransition, { column: string; license: string | null }> = {
  paid: { column: 'paid_at', license: 'active' },
  overdue: { column: 'overdue_at', license: 'active' },
  deactivated: { column: 'deactivated_at', license: 'deactivated' },
  cancelled: { column: 'cancelled_at', license: 'cancelled' },
  // P4: the licenses stay usable until the return is processed.
  return_requested: { column: 'return_requested_at', license: null },
  returned: { column: 'returned_at', license: 'returned' },
};

/**
 * P2-P4: moves the PA to a status and its license with it (paid restores it; deactivated, cancelled, returned end
 * access). A repeat changes nothing. Paid with a payment (P2, D6): the payment is recorded and enters the balance
 * (the PA's charge and the payment that settles it) in the same transaction; `reference_used` when its reference
 * or provider event already recorded another payment, and nothing is changed.
 */
export async function changePurchaseAuthorizationStatus(
  sql: Sql,
  args: { paId: string; to: PurchaseAuthorizationTransition; actor: string; payment?: PurchaseAuthorizationPayment },
): Promise<'changed' | 'unchanged' | 'reference_used'> {
  const t = TRANSITIONS[args.to];
  return sql.begin(async (tx) => {
    const pa = await lockPa(tx, args.paId);
    if (!pa || pa.status === args.to) return 'unchanged';
    if (args.to === 'paid' && args.payment) {
      const recorded = await recordPurchaseAuthorizationPayment(tx, args.paId, pa, args.payment, args.actor);
      if (!recorded) return 'reference_used';
    }
    await tx`UPDATE purchase_authorizations SET status = ${args.to}, ${tx(t.column)} = now(),
               ordered_at = CASE WHEN ${args.to}::text = 'paid' THEN COALESCE(ordered_at, now()) ELSE ordered_at END
             WHERE id = ${args.paId}`;
    if (t.license) await tx`UPDATE licenses SET status = ${t.license} WHERE purchase_authorization_id = ${args.paId}`;
    const payment = args.to === 'paid' && args.payment ? paymentAudit(args.payment) : undefined;
    await auditPurchaseAuthorization(tx, pa.resellerId, args.paId, {
      action: `purchase_authorization.${args.to}`,
      actor: args.actor,
      before: { status: pa.status },
      after: { status: args.to, ...(payment ? { payment } : {}) },
    });
    return 'changed';
  });
}

const paymentAudit = (p: PurchaseAuthorizationPayment) => ({
  id: p.paymentId,
  source: p.source,
  amountMinor: p.amountMinor,
  currency: p.currency,
  reference: p.reference,
  providerEventId: p.providerEventId,
});

/**
 * P2/D6: the payment row and the balance's two transactions: the PA's charge (its price, else what was paid) and
 * the payment. False when the reference (per reseller) or the provider's event already recorded another payment.
 */
async function recordPurchaseAuthorizationPayment(
  tx: Tx,
  paId: string,
  pa: { resellerId: string; amountMinor: number | null; currency: string | null; serialNumber: string },
  p: PurchaseAuthorizationPayment,
  actor: string,
): Promise<boolean> {
  const [same] = await tx`SELECT 1 FROM payments WHERE id = ${p.paymentId}`;
  if (same) return true;
  const [taken] = await tx`
    SELECT 1 FROM payments
    WHERE purchase_authorization_id = ${paId}
       OR (${p.reference}::text IS NOT NULL AND reseller_id = ${pa.resellerId} AND reference = ${p.reference})
       OR (${p.providerEventId}::text IS NOT NULL AND provider_event_id = ${p.providerEventId})
    LIMIT 1`;
  if (taken) return false;
  await tx`
    INSERT INTO payments (id, provider_event_id, purchase_authorization_id, reseller_id, amount_minor, currency,
                          reference, recorded_by)
    VALUES (${p.paymentId}, ${p.providerEventId}, ${paId}, ${pa.resellerId}, ${p.amountMinor}, ${p.currency},
            ${p.reference}, ${actor})`;
  const charge = pa.currency === p.currency && pa.amountMinor !== null ? pa.amountMinor : p.amountMinor;
  const evidence = p.reference ? `reference ${p.reference}` : `provider event ${p.providerEventId}`;
  await tx`
    INSERT INTO reseller_balance_transactions (reseller_id, kind, purchase_authorization_id, payment_id, currency,
                                               amount_minor, description)
    VALUES (${pa.resellerId}, 'purchase_authorization', ${paId}, NULL, ${p.currency}, ${charge},
            ${`Purchase authorization ${pa.serialNumber}`}),
           (${pa.resellerId}, 'payment', ${paId}, ${p.paymentId}, ${p.currency}, ${-p.amountMinor},
            ${`Payment of purchase authorization ${pa.serialNumber} (${evidence})`})`;
  return true;
}

export interface PurchaseAuthorizationPaymentRow {
  id: string;
  purchaseAuthorizationId: string | null;
  amountMinor: number;
  currency: string;
  reference: string | null;
  providerEventId: string | null;
}

/** P2: the payment a reseller recorded under a reference, or the provider's event recorded; null when none. */
export async function findPaymentByEvidence(
  sql: Sql,
  evidence: { resellerId: string; reference: string } | { providerEventId: string },
): Promise<PurchaseAuthorizationPaymentRow | null> {
  const where =
    'reference' in evidence
      ? sql`reseller_id = ${evidence.resellerId} AND reference = ${evidence.reference}`
      : sql`provider_event_id = ${evidence.providerEventId}`;
  const [row] = await sql<PurchaseAuthorizationPaymentRow[]>`
    SELECT id, purchase_authorization_id, amount_minor, trim(currency) AS currency, reference, provider_event_id
    FROM payments WHERE ${where}`;
  return row ?? null;
}

/** P2: a PA for the payment provider's webhook, whoever owns it (the provider names it by id). */
export async function findPurchaseAuthorizationForPayment(
  sql: Sql,
  id: string,
): Promise<PurchaseAuthorizationRow | null> {
  const [row] = await sql<PurchaseAuthorizationRow[]>`${select(sql)} WHERE pa.id = ${id}`;
  return row ?? null;
}

/** P5: how many of the PA's licenses are assigned to users. */
export async function assignPurchaseAuthorizationLicenses(
  sql: Sql,
  args: { paId: string; assigned: number; actor: string },
): Promise<void> {
  await sql.begin(async (tx) => {
    const pa = await lockPa(tx, args.paId);
    if (!pa || pa.licensesAssigned === args.assigned) return;
    await tx`UPDATE purchase_authorizations SET licenses_assigned = ${args.assigned} WHERE id = ${args.paId}`;
    await auditPurchaseAuthorization(tx, pa.resellerId, args.paId, {
      action: 'purchase_authorization.assigned',
      actor: args.actor,
      ...fieldChange('assigned', pa.licensesAssigned, args.assigned),
    });
  });
}

/** P2: what a PA notice says about the PA; its recipients come from db/reseller-users.ts. */
export async function purchaseAuthorizationSummary(
  sql: Sql,
  paId: string,
): Promise<{ customerId: string; product: string; quantity: number; status: string } | null> {
  const [pa] = await sql<{ customerId: string; product: string; quantity: number; status: string }[]>`
    SELECT customer_id, product, quantity, status FROM purchase_authorizations WHERE id = ${paId}`;
  return pa ?? null;
}
