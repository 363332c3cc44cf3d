// C6: the lengths of a customer's terms, a rule of the domain shared by the API (validating a request) and
// db/ (refusing to store a purchase authorization): an extended term prepaid at signup, then 12-month terms.
import type { MarketSegment } from '../workflows/contracts/invitation';

/** C6: the extended prepaid term's bounds per segment. */
export const EXTENDED_TERM_MONTHS: Record<MarketSegment, { min: number; max: number }> = {
  commercial: { min: 13, max: 36 },
  education: { min: 13, max: 48 },
  government: { min: 13, max: 48 },
};

/** C6: after the first (possibly extended) term, a subscription renews with terms of this many months. */
export const RENEWAL_TERM_MONTHS = 12;

/** C6: why an extended term is not allowed for the segment, or null when it is. */
export function extendedTermIssue(segment: MarketSegment, months: number): string | null {
  const { min, max } = EXTENDED_TERM_MONTHS[segment];
  if (!Number.isInteger(months) || months < min || months > max)
    return `must be a whole number of months from ${min} to ${max} for ${segment} customers`;
  return null;
}
