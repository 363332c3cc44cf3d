import type postgres from 'postgres';
import type { Sql } from '.';
import { customerRenewalDate } from './customers';
import { subscriptionNextPayment } from './subscriptions';

// D5: the reports of expiring licenses and expiring subscriptions. Each row is a license or a subscription with
// the reason it is listed and the moment it lapses (or renews, or lapsed), read from the state the lifecycles keep
// in the database; the rows whose moment falls in the window, soonest first, by keyset pagination on
// (moment, id). Every branch reads the tenant's own rows, and the customer is joined under the same tenant (T1).

/** A window of whole days: from `from` 00:00 UTC to the end of `to` (both YYYY-MM-DD). */
export interface ReportWindow {
  from: string;
  to: string;
}

export interface ReportPage {
  limit: number;
  /** The row the previous page ended with: its moment (microseconds, UTC) and id. */
  after?: { createdAt: string; id: string };
}

/** Why a license is in the report of expiring licenses. */
export const LICENSE_EXPIRY_REASONS = ['trial_end', 'suspension', 'pa_deactivation', 'renewal'] as const;
export type LicenseExpiryReason = (typeof LICENSE_EXPIRY_REASONS)[number];

export interface ExpiringLicenseRow {
  reason: LicenseExpiryReason;
  at: Date;
  licenseId: string;
  serialNumber: string;
  product: string;
  licenseStatus: string;
  customerId: string;
  vipId: string;
  organizationName: string;
  orderId: string | null;
  purchaseAuthorizationId: string | null;
  /** The keyset: `at` to the microsecond, and the license's id. */
  cursorAt: string;
  id: string;
}

const CURSOR_AT = 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"';

/** The window's bounds as timestamps: [from 00:00 UTC, the day after `to` 00:00 UTC). */
const bounds = (sql: Sql, w: ReportWindow) => ({
  start: sql`(${w.from}::date::timestamp AT TIME ZONE 'UTC')`,
  end: sql`((${w.to}::date + 1)::timestamp AT TIME ZONE 'UTC')`,
});

const afterCursor = (sql: Sql, page: ReportPage) =>
  page.after ? sql`AND (x.at, x.id) > (${page.after.createdAt}::text::timestamptz, ${page.after.id}::uuid)` : sql``;

/**
 * D5: the tenant's licenses that lapse in the window (or lapsed, for a window in the past):
 * - trial_end (O2, O6): a trial's end, `trial_ends_at` (the trial lifecycle's timer; a converted trial has none);
 * - suspension (S1): a SaaS order's license suspended at the end of its billing cycle, `current_period_end` of a
 *   pending suspension (or of one that has taken effect);
 * - pa_deactivation (P2): the licenses of an unpaid purchase authorization (pending, ordered or overdue), deactivated
 *   `deactivateAfterMs` after it was created (the PA lifecycle's timer), or deactivated already (`deactivated_at`);
 * - renewal (R1, R2): the active licenses of purchase authorizations (the ones a renewal covers) of a customer whose
 *   renewal date falls in the window; they expire unless renewed.
 * A license may be listed for more than one reason. (moment, license id) orders the rows: two reasons of one
 * license at the same microsecond would share a cursor, which their distinct timers make impossible in practice.
 */
export async function listExpiringLicenses(
  sql: Sql,
  resellerId: string,
  w: ReportWindow,
  opts: { deactivateAfterMs: number } & ReportPage,
): Promise<ExpiringLicenseRow[]> {
  const { start, end } = bounds(sql, w);
  const inWindow = (at: postgres.PendingQuery<postgres.Row[]>) => sql`${at} >= ${start} AND ${at} < ${end}`;
  const paDeactivation = sql`CASE WHEN pa.status = 'deactivated' THEN pa.deactivated_at
    ELSE pa.created_at + ${opts.deactivateAfterMs}::bigint * interval '1 millisecond' END`;
  return sql<ExpiringLicenseRow[]>`
    WITH x AS (
      SELECT 'trial_end' AS reason, o.trial_ends_at AS at, l.id, o.customer_id
      FROM orders o JOIN licenses l ON l.order_id = o.id
      WHERE o.reseller_id = ${resellerId} AND o.kind = 'trial' AND ${inWindow(sql`o.trial_ends_at`)}
      UNION ALL
      SELECT 'suspension', b.current_period_end, l.id, b.customer_id
      FROM billing_subscriptions b JOIN licenses l ON l.order_id = b.order_id
      WHERE b.reseller_id = ${resellerId}
        AND ((b.suspend_at_cycle_end AND b.entitlement = 'active') OR b.entitlement = 'suspended')
        AND ${inWindow(sql`b.current_period_end`)}
      UNION ALL
      SELECT 'pa_deactivation', ${paDeactivation}, l.id, pa.customer_id
      FROM purchase_authorizations pa JOIN licenses l ON l.purchase_authorization_id = pa.id
      WHERE pa.reseller_id = ${resellerId} AND pa.status IN ('pending', 'ordered', 'overdue', 'deactivated')
        AND ${inWindow(paDeactivation)}
      UNION ALL
      SELECT 'renewal', (${customerRenewalDate(sql)})::timestamp AT TIME ZONE 'UTC', l.id, customers.id
      FROM customers JOIN licenses l ON l.customer_id = customers.id
      WHERE customers.reseller_id = ${resellerId} AND l.reseller_id = ${resellerId} AND l.status = 'active'
        AND l.purchase_authorization_id IS NOT NULL AND l.order_id IS NULL
        AND ${customerRenewalDate(sql)} BETWEEN ${w.from}::date AND ${w.to}::date
    )
    SELECT x.reason, x.at, x.id AS license_id, l.serial_number, l.product, l.status AS license_status,
           c.id AS customer_id, c.vip_id, c.organization_name, l.order_id, l.purchase_authorization_id,
           to_char(x.at AT TIME ZONE 'UTC', ${CURSOR_AT}) AS cursor_at, x.id
    FROM x JOIN licenses l ON l.id = x.id
    JOIN customers c ON c.id = x.customer_id AND c.reseller_id = ${resellerId}
    WHERE true ${afterCursor(sql, opts)}
    ORDER BY x.at, x.id
    LIMIT ${opts.limit}`;
}

/** Why a subscription is in the report of expiring subscriptions. */
export const SUBSCRIPTION_EXPIRY_REASONS = ['next_payment', 'suspension', 'cancellation'] as const;
export type SubscriptionExpiryReason = (typeof SUBSCRIPTION_EXPIRY_REASONS)[number];

export interface ExpiringSubscriptionRow {
  kind: 'billing' | 'per_user';
  /** The billed order's id (billing), or the per-user subscription's id. */
  id: string;
  reason: SubscriptionExpiryReason;
  at: Date;
  product: string;
  /** The customer; a per-user subscription may have none (E1 asks for a company name only). */
  customerId: string | null;
  vipId: string | null;
  organizationName: string | null;
  /** The customer's organization name, or the per-user subscription's company name (E1). */
  companyName: string;
  serialNumber: string | null;
  cycle: 'monthly' | 'annual' | null;
  users: number | null;
  cursorAt: string;
}

/**
 * D5: the tenant's subscriptions whose term ends, renews or ended in the window:
 * - next_payment: a billing subscription's next payment, the end of its cycle (B1: it renews and is invoiced), or
 *   a per-user subscription's next monthly payment date (E3);
 * - suspension (S1): a billing subscription suspended at the end of its cycle, `current_period_end` (pending, or
 *   taken effect);
 * - cancellation: a per-user subscription cancelled in the window (it ends at once).
 */
export async function listExpiringSubscriptions(
  sql: Sql,
  resellerId: string,
  w: ReportWindow,
  page: ReportPage,
): Promise<ExpiringSubscriptionRow[]> {
  const { start, end } = bounds(sql, w);
  return sql<ExpiringSubscriptionRow[]>`
    WITH billing AS (
      SELECT b.*, (b.suspend_at_cycle_end AND b.entitlement = 'active') OR b.entitlement = 'suspended' AS suspending
      FROM billing_subscriptions b WHERE b.reseller_id = ${resellerId}
    ), per_user AS (
      SELECT s.*, CASE WHEN s.status = 'active' THEN ${subscriptionNextPayment(sql)} AT TIME ZONE 'UTC'
        ELSE (SELECT max(a.at) FROM audit_events a
              WHERE a.entity_type = 'subscription' AND a.entity_id = s.id AND a.action = 'subscription.cancelled')
        END AS at
      FROM subscriptions s WHERE s.reseller_id = ${resellerId}
    ), x AS (
      SELECT 'billing' AS kind, b.order_id AS id,
             CASE WHEN b.suspending THEN 'suspension' ELSE 'next_payment' END AS reason,
             CASE WHEN b.suspending THEN b.current_period_end ELSE b.next_payment_date END AS at,
             l.product, b.customer_id, NULL::text AS company_name, l.serial_number, b.cycle, NULL::int AS users
      FROM billing b JOIN licenses l ON l.order_id = b.order_id
      WHERE (b.suspending OR (b.billing_state = 'active' AND b.entitlement = 'active'))
      UNION ALL
      SELECT 'per_user', s.id, CASE WHEN s.status = 'active' THEN 'next_payment' ELSE 'cancellation' END, s.at,
             s.product, s.customer_id, s.company_name, NULL, NULL, s.users
      FROM per_user s
    )
    SELECT x.kind, x.id, x.reason, x.at, x.product, c.id AS customer_id, c.vip_id, c.organization_name,
           COALESCE(x.company_name, c.organization_name) AS company_name, x.serial_number, x.cycle, x.users,
           to_char(x.at AT TIME ZONE 'UTC', ${CURSOR_AT}) AS cursor_at
    FROM x LEFT JOIN customers c ON c.id = x.customer_id AND c.reseller_id = ${resellerId}
    WHERE x.at >= ${start} AND x.at < ${end} AND (x.kind = 'per_user' OR c.id IS NOT NULL) ${afterCursor(sql, page)}
    ORDER BY x.at, x.id
    LIMIT ${page.limit}`;
}
