// R5: the 3-year commitment's rows (migration 00025), written by the API's request and the lifecycle's steps
// (workflows/three-year-commitment.ts).
import type { Sql, Tx } from '.';
import { auditCustomer } from './audit';

export type CommitmentStatus = 'requested' | 'committed' | 'declined' | 'cancelled' | 'expired';

export interface CommitmentPaymentRow {
  year: number;
  amountMinor: number;
  currency: string;
  dueAt: Date;
  invoicedAt: Date;
}

export interface CommitmentRow {
  id: string;
  customerId: string;
  status: CommitmentStatus;
  product: string;
  currency: string;
  quantity: number;
  listPriceMinor: number | null;
  discountPercent: number | null;
  unitPriceMinor: number | null;
  requestedBy: string;
  requestedAt: Date;
  acceptBy: Date;
  committedAt: Date | null;
  endsAt: Date | null;
  closedAt: Date | null;
  payments: CommitmentPaymentRow[];
}

const columns = (sql: Sql | Tx) =>
  sql`t.id, t.customer_id, t.status, t.product, trim(t.currency) AS currency, t.quantity,
      t.list_price_minor::float8 AS list_price_minor, t.discount_percent, t.unit_price_minor::float8 AS unit_price_minor,
      t.requested_by, t.requested_at, t.accept_by, t.committed_at, t.ends_at, t.closed_at,
      COALESCE((SELECT json_agg(json_build_object('year', p.year, 'amountMinor', p.amount_minor,
                  'currency', trim(p.currency), 'dueAt', p.due_at, 'invoicedAt', p.invoiced_at) ORDER BY p.year)
                FROM three_year_commitment_payments p WHERE p.commitment_id = t.id), '[]') AS payments`;

/** The rows' JSON dates arrive as strings; the row's as Dates. */
function withDates(row: CommitmentRow): CommitmentRow {
  return {
    ...row,
    payments: row.payments.map((p) => ({ ...p, dueAt: new Date(p.dueAt), invoicedAt: new Date(p.invoicedAt) })),
  };
}

export type CommitmentRequestOutcome =
  | { outcome: 'requested'; commitment: CommitmentRow }
  | { outcome: 'no-customer' | 'no-vip-select' | 'extended-term' | 'open' | 'no-price' };

/**
 * R5: a request, refused without VIP Select, on an extended prepaid term, while another is open, or for a product
 * the price list has no price for. A repeat under the same id (an Idempotency-Key) finds the request made first.
 * In the API's transaction that starts its lifecycle (createLifecycle).
 */
export async function requestThreeYearCommitment(
  tx: Tx,
  r: {
    id: string;
    resellerId: string;
    customerId: string;
    product: string;
    currency: string;
    quantity: number;
    acceptBy: Date;
    actor: string;
  },
): Promise<CommitmentRequestOutcome> {
  // The customer locked first: a concurrent repeat of this request waits here, then finds it made.
  const [c] = await tx<{ vipSelectLevel: number | null; extendedTermMonths: number | null }[]>`
    SELECT vip_select_level, extended_term_months FROM customers
    WHERE id = ${r.customerId} AND reseller_id = ${r.resellerId} FOR UPDATE`;
  if (!c) return { outcome: 'no-customer' };
  const [again] = await tx<CommitmentRow[]>`SELECT ${columns(tx)} FROM three_year_commitments t WHERE t.id = ${r.id}`;
  if (again) return { outcome: 'requested', commitment: withDates(again) };
  if (c.extendedTermMonths !== null) return { outcome: 'extended-term' };
  if (c.vipSelectLevel === null) return { outcome: 'no-vip-select' };
  const [price] = await tx`
    SELECT 1 FROM vip_product_prices WHERE product = ${r.product} AND currency = ${r.currency}`;
  if (!price) return { outcome: 'no-price' };
  const [open] = await tx`
    SELECT 1 FROM three_year_commitments WHERE customer_id = ${r.customerId} AND status IN ('requested', 'committed')`;
  if (open) return { outcome: 'open' };
  await tx`
    INSERT INTO three_year_commitments (id, customer_id, product, currency, quantity, requested_by, accept_by)
    VALUES (${r.id}, ${r.customerId}, ${r.product}, ${r.currency}, ${r.quantity}, ${r.actor}, ${r.acceptBy})`;
  await auditCustomer(tx, r.resellerId, r.customerId, {
    action: 'three_year_commitment.requested',
    actor: r.actor,
    after: { commitmentId: r.id, product: r.product, quantity: r.quantity, acceptBy: r.acceptBy.toISOString() },
  });
  const [made] = await tx<CommitmentRow[]>`SELECT ${columns(tx)} FROM three_year_commitments t WHERE t.id = ${r.id}`;
  return { outcome: 'requested', commitment: withDates(made as CommitmentRow) };
}

/** The customer's latest commitment (open or not), if it is the reseller's customer. */
export async function latestThreeYearCommitment(
  sql: Sql,
  resellerId: string,
  customerId: string,
): Promise<CommitmentRow | null> {
  const [row] = await sql<CommitmentRow[]>`
    SELECT ${columns(sql)} FROM three_year_commitments t JOIN customers c ON c.id = t.customer_id
    WHERE t.customer_id = ${customerId} AND c.reseller_id = ${resellerId}
    ORDER BY t.requested_at DESC, t.id LIMIT 1`;
  return row ? withDates(row) : null;
}

export async function findThreeYearCommitment(sql: Sql, id: string): Promise<CommitmentRow | null> {
  const [row] = await sql<CommitmentRow[]>`SELECT ${columns(sql)} FROM three_year_commitments t WHERE t.id = ${id}`;
  return row ? withDates(row) : null;
}

/**
 * R5: accepted: the unit price locked (the list price less the customer's VIP Select discount now), three years from
 * now, the customer's committed quantity set. A repeat answers what the first did.
 */
export async function acceptThreeYearCommitment(
  sql: Sql,
  a: { commitmentId: string; actor: string },
): Promise<{ committedAt: string } | 'not-requested'> {
  return sql.begin(async (tx) => {
    const [t] = await tx<{ status: CommitmentStatus; committedAt: Date | null; customerId: string }[]>`
      SELECT status, committed_at, customer_id FROM three_year_commitments WHERE id = ${a.commitmentId} FOR UPDATE`;
    if (t?.status === 'committed' && t.committedAt) return { committedAt: t.committedAt.toISOString() };
    if (t?.status !== 'requested') return 'not-requested' as const;
    const [locked] = await tx<{ committedAt: Date; resellerId: string; quantity: number; unitPriceMinor: number }[]>`
      UPDATE three_year_commitments t
      SET status = 'committed', committed_at = now(), ends_at = now() + interval '3 years',
          list_price_minor = p.amount_minor, discount_percent = COALESCE(v.discount_percent, 0),
          unit_price_minor = p.amount_minor * (100 - COALESCE(v.discount_percent, 0)) / 100
      FROM customers c
      JOIN vip_product_prices p ON true
      LEFT JOIN vip_select_levels v ON v.market_segment = c.market_segment AND v.level = c.vip_select_level
      WHERE t.id = ${a.commitmentId} AND c.id = t.customer_id AND p.product = t.product AND p.currency = t.currency
      RETURNING t.committed_at, c.reseller_id, t.quantity, t.unit_price_minor::float8 AS unit_price_minor`;
    if (!locked) return 'not-requested' as const;
    await tx`UPDATE customers SET three_year_commitment_quantity = ${locked.quantity},
               three_year_committed_at = ${locked.committedAt}, updated_at = now()
             WHERE id = ${t.customerId}`;
    await auditCustomer(tx, locked.resellerId, t.customerId, {
      action: 'three_year_commitment.committed',
      actor: a.actor,
      after: { commitmentId: a.commitmentId, quantity: locked.quantity, unitPriceMinor: locked.unitPriceMinor },
    });
    return { committedAt: locked.committedAt.toISOString() };
  }) as Promise<{ committedAt: string } | 'not-requested'>;
}

/** R5: the payment of commitment year `year` (1-3), due `dueAt`: the locked unit price × the quantity; once. */
export async function invoiceThreeYearCommitmentYear(
  sql: Sql,
  a: { commitmentId: string; year: number; dueAt: string },
): Promise<void> {
  await sql.begin(async (tx) => {
    const [made] = await tx<{ amountMinor: number; customerId: string; resellerId: string }[]>`
      INSERT INTO three_year_commitment_payments (commitment_id, year, amount_minor, currency, due_at)
      SELECT t.id, ${a.year}, t.unit_price_minor * t.quantity, t.currency, ${a.dueAt}
      FROM three_year_commitments t WHERE t.id = ${a.commitmentId} AND t.unit_price_minor IS NOT NULL
      ON CONFLICT (commitment_id, year) DO NOTHING
      RETURNING amount_minor::float8 AS amount_minor,
        (SELECT customer_id FROM three_year_commitments WHERE id = ${a.commitmentId}) AS customer_id,
        (SELECT reseller_id FROM customers WHERE id = (SELECT customer_id FROM three_year_commitments
          WHERE id = ${a.commitmentId})) AS reseller_id`;
    if (made)
      await auditCustomer(tx, made.resellerId, made.customerId, {
        action: 'three_year_commitment.payment_invoiced',
        actor: 'system',
        after: { commitmentId: a.commitmentId, year: a.year, amountMinor: made.amountMinor, dueAt: a.dueAt },
      });
  });
}

/**
 * R5: the commitment ends: `declined` (the window closed unaccepted), `cancelled` (the reseller withdrew the
 * request), `expired` (its three years are over: the customer's committed quantity is cleared). Only from the status
 * it ends from; a repeat changes nothing.
 */
export async function closeThreeYearCommitment(
  sql: Sql,
  a: { commitmentId: string; status: 'declined' | 'cancelled' | 'expired'; actor: string },
): Promise<void> {
  const from = a.status === 'expired' ? 'committed' : 'requested';
  await sql.begin(async (tx) => {
    const [closed] = await tx<{ customerId: string }[]>`
      UPDATE three_year_commitments SET status = ${a.status}, closed_at = now()
      WHERE id = ${a.commitmentId} AND status = ${from} RETURNING customer_id`;
    if (!closed) return;
    const [c] =
      a.status === 'expired'
        ? await tx<{ resellerId: string }[]>`
            UPDATE customers SET three_year_commitment_quantity = NULL, three_year_committed_at = NULL,
              updated_at = now()
            WHERE id = ${closed.customerId} RETURNING reseller_id`
        : await tx<{ resellerId: string }[]>`SELECT reseller_id FROM customers WHERE id = ${closed.customerId}`;
    if (c)
      await auditCustomer(tx, c.resellerId, closed.customerId, {
        action: `three_year_commitment.${a.status}`,
        actor: a.actor,
        after: { commitmentId: a.commitmentId },
      });
  });
}
