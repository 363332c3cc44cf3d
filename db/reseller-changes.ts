import type { Sql } from '.';

export interface ResellerChangeRow {
  id: string;
  newResellerId: string;
  vipId: string;
  adminEmail: string;
  customerId: string | null;
  status: 'pending' | 'redeemed' | 'expired' | 'locked';
  expiresAt: Date;
  redeemedAt: Date | null;
  resentFrom: string | null;
  createdAt: Date;
}

export type Reservation = { reserved: true } | { reserved: false; retryAfterSeconds: number };

/**
 * X4: records a new request (one code) unless the reseller already sent `limit` codes in the last
 * 24 hours. A per-reseller lock makes concurrent requests count one after another.
 */
export async function reserveResellerChange(
  sql: Sql,
  r: {
    id: string;
    resellerId: string;
    userId: string;
    vipId: string;
    adminEmail: string;
    ttlMs: number;
    limit: number;
    resentFrom?: string;
  },
): Promise<Reservation> {
  return sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(hashtext('reseller-change:' || ${r.resellerId}))`;
    const [existing] = await tx`SELECT 1 FROM reseller_change_requests WHERE id = ${r.id}`;
    if (existing) return { reserved: true } as const; // an idempotent repeat: already counted
    const recent = await tx<{ createdAt: Date }[]>`
      SELECT created_at FROM reseller_change_requests
      WHERE new_reseller_id = ${r.resellerId} AND created_at > now() - interval '24 hours'
      ORDER BY created_at`;
    if (recent.length >= r.limit) {
      const oldest = recent[recent.length - r.limit]!.createdAt.getTime();
      return {
        reserved: false,
        retryAfterSeconds: Math.max(Math.ceil((oldest + 86_400_000 - Date.now()) / 1000), 1),
      } as const;
    }
    await tx`INSERT INTO reseller_change_requests (id, new_reseller_id, requested_by, vip_id, admin_email, expires_at, resent_from)
             VALUES (${r.id}, ${r.resellerId}, ${r.userId}, ${r.vipId}, ${r.adminEmail}, now() + ${`${r.ttlMs} milliseconds`}::interval, ${r.resentFrom ?? null})`;
    return { reserved: true } as const;
  });
}

/** Undoes a reservation whose workflow could not be started, so nothing is half-written. */
export async function releaseResellerChange(sql: Sql, id: string): Promise<void> {
  await sql`DELETE FROM reseller_change_requests WHERE id = ${id} AND status = 'pending' AND code_hash IS NULL`;
}

/** A request of this reseller only (T1). */
export async function findResellerChange(sql: Sql, resellerId: string, id: string): Promise<ResellerChangeRow | null> {
  const [row] = await sql<ResellerChangeRow[]>`
    SELECT id, new_reseller_id, vip_id, admin_email, customer_id, status, expires_at, redeemed_at, resent_from, created_at
    FROM reseller_change_requests WHERE id = ${id} AND new_reseller_id = ${resellerId}`;
  return row ?? null;
}

/** What the admin's confirmation page shows: only for a request whose code matches. */
export async function findResellerChangeByCode(sql: Sql, id: string, codeHashHex: string) {
  const [row] = await sql<{ status: string; organizationName: string; newResellerName: string; expiresAt: Date }[]>`
    SELECT q.status, c.organization_name, r.name AS new_reseller_name, q.expires_at
    FROM reseller_change_requests q JOIN customers c ON c.id = q.customer_id JOIN resellers r ON r.id = q.new_reseller_id
    WHERE q.id = ${id} AND q.code_hash = ${Buffer.from(codeHashHex, 'hex')}`;
  return row ?? null;
}

export async function ownsCustomerWithVipId(sql: Sql, resellerId: string, vipId: string): Promise<boolean> {
  const [row] = await sql`SELECT 1 FROM customers WHERE reseller_id = ${resellerId} AND vip_id = ${vipId}`;
  return row !== undefined;
}
