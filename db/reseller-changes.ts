import { inTransaction, type Sql, type Tx } from '.';
import { auditCustomer } from './audit';
import { moveCustomer } from './ownership';

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
  sql: Sql | Tx,
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
  return inTransaction(sql, async (tx) => {
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

/** A request of this reseller only (T1). */
export async function findResellerChange(
  sql: Sql | Tx,
  resellerId: string,
  id: string,
): Promise<ResellerChangeRow | null> {
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
    WHERE q.id = ${id}
      AND EXISTS (SELECT 1 FROM reseller_change_codes k
                  WHERE k.request_id = q.id AND k.code_hash = ${Buffer.from(codeHashHex, 'hex')})`;
  return row ?? null;
}

export async function ownsCustomerWithVipId(sql: Sql, resellerId: string, vipId: string): Promise<boolean> {
  const [row] = await sql`SELECT 1 FROM customers WHERE reseller_id = ${resellerId} AND vip_id = ${vipId}`;
  return row !== undefined;
}

// --- The lifecycle's writes and reads (X1-X4), called by activities/reseller-change.ts --------------

/**
 * X1: matches the request's VIP id and admin email to a customer of another reseller; when they match, the
 * customer is stored with its owner now, to move it from. Answers the matched customer or null.
 */
export async function matchResellerChange(
  sql: Sql,
  args: { requestId: string; expiresAt: Date },
): Promise<{ customerId: string } | null> {
  return sql.begin(async (tx) => {
    const [request] = await tx<{ newResellerId: string; vipId: string; adminEmail: string }[]>`
      SELECT new_reseller_id, vip_id, admin_email FROM reseller_change_requests WHERE id = ${args.requestId} FOR UPDATE`;
    if (!request) throw new Error(`reseller change ${args.requestId} not found`);
    const [customer] = await tx<{ id: string; resellerId: string }[]>`
      SELECT c.id, c.reseller_id FROM customers c
      WHERE c.vip_id = ${request.vipId.toUpperCase()} AND c.reseller_id <> ${request.newResellerId}
        AND EXISTS (SELECT 1 FROM customer_admins a
                    WHERE a.customer_id = c.id AND lower(a.email) = lower(${request.adminEmail}))`;
    await tx`UPDATE reseller_change_requests SET expires_at = ${args.expiresAt},
               customer_id = ${customer?.id ?? null}, previous_reseller_id = ${customer?.resellerId ?? null}
             WHERE id = ${args.requestId}`;
    return customer ? { customerId: customer.id } : null;
  });
}

/** X1: every system admin of the matched customer, with what the code email says; none when nothing matched. */
export async function findCodeRecipients(sql: Sql, requestId: string) {
  return sql<{ email: string; firstName: string; organizationName: string; vipId: string; newResellerName: string }[]>`
    SELECT a.email, a.first_name, c.organization_name, c.vip_id, r.name AS new_reseller_name
    FROM reseller_change_requests q JOIN customers c ON c.id = q.customer_id
    JOIN customer_admins a ON a.customer_id = c.id JOIN resellers r ON r.id = q.new_reseller_id
    WHERE q.id = ${requestId} AND q.customer_id IS NOT NULL
    ORDER BY a.email`;
}

/**
 * X1/X2: stores the hash of the code mailed to one admin (the email `emailKey`; call it inside claimEmailAnd),
 * replacing the code an earlier attempt of that email issued, so only the code actually sent works. Answers
 * 'spent' (issue nothing, send nothing) once the request is no longer pending.
 */
export async function issueResellerChangeCode(
  tx: Tx,
  c: { requestId: string; emailKey: string; adminEmail: string; codeHash: Buffer },
): Promise<'issued' | 'spent'> {
  const [request] = await tx<{ status: string }[]>`
    SELECT status FROM reseller_change_requests WHERE id = ${c.requestId} FOR UPDATE`;
  if (request?.status !== 'pending') return 'spent';
  await tx`INSERT INTO reseller_change_codes (email_key, request_id, admin_email, code_hash)
           VALUES (${c.emailKey}, ${c.requestId}, ${c.adminEmail}, ${c.codeHash})
           ON CONFLICT (email_key) DO UPDATE SET code_hash = EXCLUDED.code_hash, created_at = now()`;
  return 'issued';
}

/** The reseller user who asked, and what was asked: the notices to the requester need both. */
export async function findRequester(sql: Sql, requestId: string) {
  const [row] = await sql<{ email: string; name: string; vipId: string; adminEmail: string; expiresAt: Date }[]>`
    SELECT u.email, u.name, q.vip_id, q.admin_email, q.expires_at
    FROM reseller_change_requests q JOIN reseller_users u ON u.id = q.requested_by WHERE q.id = ${requestId}`;
  return row ?? null;
}

export type RedeemOutcome =
  | { outcome: 'moved'; customerId: string }
  | { outcome: 'wrong-code'; attemptsLeft: number }
  | { outcome: 'not-pending'; status: string }
  | { outcome: 'not-found' };

/**
 * X2: with the right code, moves the customer and all its live rows to the new reseller (db/ownership.ts),
 * spends the code and writes the audit event with the counts moved, all in one transaction. A wrong code is
 * counted (and committed). Repeating a redemption that already moved the customer answers 'moved' again.
 */
export async function redeemResellerChange(
  sql: Sql,
  args: { requestId: string; codeHash: Buffer; actor: string; maxAttempts: number },
): Promise<RedeemOutcome> {
  return sql.begin(async (tx): Promise<RedeemOutcome> => {
    const [r] = await tx<
      {
        id: string;
        newResellerId: string;
        customerId: string | null;
        previousResellerId: string | null;
        status: string;
        expiresAt: Date;
      }[]
    >`
      SELECT id, new_reseller_id, customer_id, previous_reseller_id, status, expires_at
      FROM reseller_change_requests WHERE id = ${args.requestId} FOR UPDATE`;
    if (!r) return { outcome: 'not-found' };
    // Any admin's code redeems the request (X2); the request's status makes it one use for all of them.
    const [code] = await tx`
      SELECT 1 FROM reseller_change_codes WHERE request_id = ${r.id} AND code_hash = ${args.codeHash}`;
    const matches = code !== undefined;
    if (r.status === 'redeemed' && matches && r.customerId) return { outcome: 'moved', customerId: r.customerId };
    if (r.status !== 'pending' || r.expiresAt.getTime() <= Date.now())
      return { outcome: 'not-pending', status: r.status === 'pending' ? 'expired' : r.status };
    if (!matches || !r.customerId || !r.previousResellerId) {
      const [{ failedAttempts } = { failedAttempts: 0 }] = await tx<{ failedAttempts: number }[]>`
        UPDATE reseller_change_requests SET failed_attempts = failed_attempts + 1 WHERE id = ${r.id}
        RETURNING failed_attempts`;
      return { outcome: 'wrong-code', attemptsLeft: Math.max(args.maxAttempts - failedAttempts, 0) };
    }
    // The owner now, locked: a customer that changed hands since the code was sent is not moved.
    const [customer] = await tx<{ resellerId: string }[]>`
      SELECT reseller_id FROM customers WHERE id = ${r.customerId} FOR UPDATE`;
    if (!customer || customer.resellerId !== r.previousResellerId)
      return { outcome: 'not-pending', status: 'customer-changed' };
    const moved = await moveCustomer(tx, { customerId: r.customerId, from: r.previousResellerId, to: r.newResellerId });
    await tx`UPDATE reseller_change_requests SET status = 'redeemed', redeemed_at = now() WHERE id = ${r.id}`;
    await auditCustomer(tx, r.newResellerId, r.customerId, {
      action: 'customer.reseller_changed',
      actor: args.actor,
      before: { resellerId: r.previousResellerId },
      after: { resellerId: r.newResellerId, requestId: r.id, moved },
    });
    return { outcome: 'moved', customerId: r.customerId };
  });
}

/** Locks a request after too many wrong codes, so the code cannot be guessed. */
export async function lockResellerChange(sql: Sql, requestId: string): Promise<void> {
  await sql`UPDATE reseller_change_requests SET status = 'locked' WHERE id = ${requestId} AND status = 'pending'`;
}

/** X3: the code's 72 hours passed; the requester may send a new one. */
export async function expireResellerChange(sql: Sql, requestId: string): Promise<void> {
  await sql`UPDATE reseller_change_requests SET status = 'expired' WHERE id = ${requestId} AND status = 'pending'`;
}

/** X2: who is told of a completed change: the previous reseller's admins and the customer's admins. */
export async function findTransferCompleted(sql: Sql, requestId: string) {
  const [c] = await sql<
    {
      organizationName: string;
      vipId: string;
      newResellerName: string;
      customerId: string;
      previousResellerId: string;
    }[]
  >`
    SELECT c.organization_name, c.vip_id, r.name AS new_reseller_name, q.customer_id, q.previous_reseller_id
    FROM reseller_change_requests q JOIN customers c ON c.id = q.customer_id JOIN resellers r ON r.id = q.new_reseller_id
    WHERE q.id = ${requestId} AND q.status = 'redeemed'`;
  if (!c) return null;
  const previousAdmins = await sql<{ email: string; name: string }[]>`
    SELECT email, name FROM reseller_users
    WHERE reseller_id = ${c.previousResellerId} AND 'admin' = ANY (permissions) ORDER BY email`;
  const customerAdmins = await sql<{ email: string; firstName: string }[]>`
    SELECT email, first_name FROM customer_admins WHERE customer_id = ${c.customerId} ORDER BY email`;
  return { ...c, previousAdmins, customerAdmins };
}
