import type { Sql } from '.';
import { addMonths } from '../lib/dates';

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
    SELECT c.id AS customer_id, c.reseller_id, c.market_segment, to_char(c.anniversary_date, 'YYYY-MM-DD') AS anniversary_date,
           c.extended_term_months, c.vip_select_level, v.discount_percent AS vip_select_discount_percent, c.three_year_commitment_quantity,
           (SELECT to_char(max(term_ends_on), 'YYYY-MM-DD') FROM renewal_orders r WHERE r.customer_id = c.id) AS last_term_ends_on
    FROM customers c LEFT JOIN vip_select_levels v ON v.market_segment = c.market_segment AND v.level = c.vip_select_level
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

/** R3: processed renewal orders, newest first. */
export async function renewalHistory(sql: Sql, customerId: string) {
  return sql<
    {
      id: string;
      renewalDate: string;
      timing: string;
      quantity: number;
      termMonths: number;
      termStartsOn: string;
      termEndsOn: string;
      createdBy: string;
      createdAt: Date;
    }[]
  >`
    SELECT id, to_char(renewal_date, 'YYYY-MM-DD') AS renewal_date, timing, quantity, term_months,
           to_char(term_starts_on, 'YYYY-MM-DD') AS term_starts_on, to_char(term_ends_on, 'YYYY-MM-DD') AS term_ends_on, created_by, created_at
    FROM renewal_orders WHERE customer_id = ${customerId} ORDER BY renewal_date DESC`;
}
