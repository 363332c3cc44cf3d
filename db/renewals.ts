import { randomUUID } from 'node:crypto';
import type { Sql, Tx } from '.';
import { addMonths } from '../lib/dates';
import { RENEWAL_TERM_MONTHS } from '../lib/subscription-terms';
import type { RenewalTiming } from '../workflows/definitions';
import { auditCustomer } from './audit';

export interface RenewalProfile {
  customerId: string;
  resellerId: string;
  marketSegment: string;
  anniversaryDate: string | null;
  extendedTermMonths: number | null;
  vipSelectLevel: number | null;
  vipSelectDiscountPercent: number | null;
  threeYearCommitmentQuantity: number | null;
  lastTermEndsOn: string | null;
}

/** D7: the renewal fields of a customer of this reseller (T1); without a reseller, of whichever owns it now. */
export async function findRenewalProfile(
  sql: Sql,
  resellerId: string | null,
  customerId: string,
): Promise<RenewalProfile | null> {
  const [row] = await sql<RenewalProfile[]>`
    SELECT c.id AS customer_id, c.reseller_id, c.market_segment,
           to_char(c.anniversary_date, 'YYYY-MM-DD') AS anniversary_date, c.extended_term_months, c.vip_select_level,
           v.discount_percent AS vip_select_discount_percent, c.three_year_commitment_quantity,
           (SELECT to_char(max(term_ends_on), 'YYYY-MM-DD') FROM renewal_orders r
            WHERE r.customer_id = c.id) AS last_term_ends_on
    FROM customers c
    LEFT JOIN vip_select_levels v ON v.market_segment = c.market_segment AND v.level = c.vip_select_level
    WHERE c.id = ${customerId} AND (${resellerId}::uuid IS NULL OR c.reseller_id = ${resellerId})`;
  return row ?? null;
}

/**
 * The date the current term ends: after a renewal, the end of the renewed term; before the first one, the
 * anniversary (C5), or the end of an extended prepaid term counted from the same start (C6).
 */
export function currentRenewalDate(p: RenewalProfile): string | null {
  if (p.lastTermEndsOn) return p.lastTermEndsOn;
  if (!p.anniversaryDate) return null;
  return p.extendedTermMonths ? addMonths(p.anniversaryDate, p.extendedTermMonths - 12) : p.anniversaryDate;
}

/** R3: a processed renewal order, its dates as YYYY-MM-DD. */
export interface RenewalOrderRow {
  id: string;
  renewalDate: string;
  timing: string;
  quantity: number;
  termMonths: number;
  termStartsOn: string;
  termEndsOn: string;
  createdAt: Date;
}

/** The columns of a RenewalOrderRow, selected from renewal_orders. */
export const renewalOrderColumns = (sql: Sql) => sql`
  id, to_char(renewal_date, 'YYYY-MM-DD') AS renewal_date, timing, quantity, term_months,
  to_char(term_starts_on, 'YYYY-MM-DD') AS term_starts_on, to_char(term_ends_on, 'YYYY-MM-DD') AS term_ends_on,
  created_at`;

/** R3: processed renewal orders, newest first, with who placed them. */
export async function renewalHistory(sql: Sql, customerId: string) {
  return sql<(RenewalOrderRow & { createdBy: string })[]>`
    SELECT ${renewalOrderColumns(sql)}, created_by
    FROM renewal_orders WHERE customer_id = ${customerId} ORDER BY renewal_date DESC`;
}

/** R4: raises the customer's VIP Select level to the highest its segment grants for `licenses` in a term. */
export async function raiseVipSelect(tx: Sql | Tx, customerId: string, licenses: number): Promise<void> {
  await tx`
    UPDATE customers c SET vip_select_level = l.level
    FROM (SELECT v.market_segment, max(v.level) AS level FROM vip_select_levels v
          WHERE v.min_licenses <= ${licenses} GROUP BY v.market_segment) l
    WHERE c.id = ${customerId} AND l.market_segment = c.market_segment AND l.level > COALESCE(c.vip_select_level, 0)`;
}

/** The customer's current reseller (the one owner), locked against a reseller change until the transaction ends. */
async function ownerOf(tx: Tx, customerId: string): Promise<string | null> {
  const [c] = await tx<{ resellerId: string }[]>`SELECT reseller_id FROM customers WHERE id = ${customerId} FOR UPDATE`;
  return c?.resellerId ?? null;
}

/**
 * R2/R3: records the renewal order in the renewal history for the reseller that owns the customer now, and
 * starts the next 12-month term (C6: after an extended term, renewals are 12 months); R4: the renewed quantity
 * counts for VIP Select. A repeat for the same anniversary changes nothing. Null when the customer is gone.
 */
export async function recordRenewalOrder(
  sql: Sql,
  args: { customerId: string; renewalDate: string; timing: RenewalTiming; quantity: number; actor: string },
): Promise<{ termEndsOn: string } | null> {
  const termEndsOn = addMonths(args.renewalDate, RENEWAL_TERM_MONTHS);
  return sql.begin(async (tx) => {
    const resellerId = await ownerOf(tx, args.customerId);
    if (!resellerId) return null;
    const inserted = await tx`
      INSERT INTO renewal_orders (id, reseller_id, customer_id, renewal_date, timing, quantity, term_months,
                                  term_starts_on, term_ends_on, created_by)
      VALUES (${randomUUID()}, ${resellerId}, ${args.customerId}, ${args.renewalDate}, ${args.timing}, ${args.quantity},
              ${RENEWAL_TERM_MONTHS}, ${args.renewalDate}, ${termEndsOn}, ${args.actor})
      ON CONFLICT (customer_id, renewal_date) DO NOTHING RETURNING id`;
    if (inserted.length === 0) return { termEndsOn }; // a retry after it was recorded
    await raiseVipSelect(tx, args.customerId, args.quantity);
    await auditCustomer(tx, resellerId, args.customerId, {
      action: 'renewal.processed',
      actor: args.actor,
      after: { ...args, termEndsOn },
    });
    return { termEndsOn };
  });
}

/**
 * R2: no renewal inside the window: the licenses the renewal covers expire, the customer's VIP licenses (those
 * of its purchase authorizations). Licenses of orders and trials (PrintFactory) have their own lifecycles and
 * stay as they are. Returns how many expired; a repeat expires none and records nothing.
 */
export async function expireRenewalLicenses(
  sql: Sql,
  args: { customerId: string; renewalDate: string },
): Promise<number> {
  return sql.begin(async (tx) => {
    const resellerId = await ownerOf(tx, args.customerId);
    if (!resellerId) return 0;
    const expired = await tx`
      UPDATE licenses SET status = 'expired', expires_at = COALESCE(expires_at, now())
      WHERE customer_id = ${args.customerId} AND status = 'active'
        AND purchase_authorization_id IS NOT NULL AND order_id IS NULL
      RETURNING id`;
    if (expired.length === 0) return 0;
    await auditCustomer(tx, resellerId, args.customerId, {
      action: 'renewal.expired',
      actor: 'system',
      after: { renewalDate: args.renewalDate, licenses: expired.length },
    });
    return expired.length;
  });
}

export type CommitmentOutcome = 'committed' | 'already-committed' | 'no-customer' | 'extended-term' | 'no-vip-select';

/** R5: a 3-year commitment, only after VIP Select and never on an extended prepaid term; a repeat changes nothing. */
export async function commitThreeYears(
  sql: Sql,
  args: { customerId: string; quantity: number; actor: string },
): Promise<CommitmentOutcome> {
  return sql.begin(async (tx) => {
    const [c] = await tx<
      {
        resellerId: string;
        vipSelectLevel: number | null;
        extendedTermMonths: number | null;
        threeYearCommitmentQuantity: number | null;
      }[]
    >`
      SELECT reseller_id, vip_select_level, extended_term_months, three_year_commitment_quantity
      FROM customers WHERE id = ${args.customerId} FOR UPDATE`;
    if (!c) return 'no-customer';
    if (c.threeYearCommitmentQuantity !== null) return 'already-committed';
    if (c.extendedTermMonths !== null) return 'extended-term';
    if (c.vipSelectLevel === null) return 'no-vip-select';
    await tx`UPDATE customers SET three_year_commitment_quantity = ${args.quantity}, three_year_committed_at = now()
             WHERE id = ${args.customerId}`;
    await auditCustomer(tx, c.resellerId, args.customerId, {
      action: 'renewal.three_year_commitment',
      actor: args.actor,
      after: { quantity: args.quantity },
    });
    return 'committed';
  });
}
