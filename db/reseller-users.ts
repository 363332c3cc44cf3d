// The reseller's users (T2): who is told about a customer's lifecycle (P2, R1), and the users the license owner
// (`admin`) invites, sets up, grants permissions and deactivates.
import type { LinkState } from './access-tokens';
import type { Permission } from './api-keys';
import { auditResellerUser } from './audit';
import { inTransaction, type Sql, type Tx } from '.';

export interface NoticeRecipient {
  audience: 'customer' | 'reseller';
  /** Stable per recipient, part of each email's idempotency key: `customer` or `reseller-user:<id>`. */
  key: string;
  name: string;
  email: string;
}

export interface NoticeParties {
  customerId: string;
  organizationName: string;
  resellerId: string;
  resellerName: string;
  /**
   * The customer's contact first, then (T2) the reseller's active users with the `order` or `admin` permission: those
   * who place orders and renewals and record payments. Not the PA's creator as such: a creator who has left, or
   * the old reseller of a customer that moved (X2), must not keep hearing about it.
   */
  recipients: NoticeRecipient[];
}

interface Row {
  customerId: string;
  organizationName: string;
  contactFirstName: string;
  contactEmail: string;
  resellerId: string;
  resellerName: string;
  userId: string | null;
  userEmail: string | null;
  userName: string | null;
}

/** The customer's contact and its current reseller's ordering users, read together; null when it is gone. */
export async function noticePartiesOf(sql: Sql, customerId: string): Promise<NoticeParties | null> {
  // One statement, so a reseller change cannot fall between reading the owner and reading its users.
  const rows = await sql<Row[]>`
    SELECT c.id AS customer_id, c.organization_name, c.contact_first_name, c.contact_email, c.reseller_id,
           r.name AS reseller_name, u.id AS user_id, u.email AS user_email, u.name AS user_name
    FROM customers c
    JOIN resellers r ON r.id = c.reseller_id
    LEFT JOIN reseller_users u ON u.reseller_id = c.reseller_id AND u.status = 'active'
                              AND u.permissions && ARRAY['order', 'admin']::text[]
    WHERE c.id = ${customerId}
    ORDER BY u.created_at, u.id`;
  const [c] = rows;
  if (!c) return null;
  const users = rows.flatMap((r): NoticeRecipient[] =>
    r.userId && r.userEmail
      ? [
          {
            audience: 'reseller',
            key: `reseller-user:${r.userId}`,
            name: r.userName ?? r.userEmail,
            email: r.userEmail,
          },
        ]
      : [],
  );
  return {
    customerId: c.customerId,
    organizationName: c.organizationName,
    resellerId: c.resellerId,
    resellerName: c.resellerName,
    recipients: [{ audience: 'customer', key: 'customer', name: c.contactFirstName, email: c.contactEmail }, ...users],
  };
}

// --- T2: the users the license owner manages ---------------------------------------------------------------------

export type UserStatus = 'pending' | 'active' | 'deactivated';

export interface ResellerUserRow {
  id: string;
  resellerId: string;
  email: string;
  name: string;
  permissions: Permission[];
  status: UserStatus;
  createdAt: Date;
  activatedAt: Date | null;
  deactivatedAt: Date | null;
}

const userColumns = (sql: Sql | Tx) =>
  sql`id, reseller_id, email, name, permissions, status, created_at, activated_at, deactivated_at`;

/** T2: the reseller's users, oldest first (a reseller has a handful, never pages of them). */
export async function listResellerUsers(sql: Sql, resellerId: string): Promise<ResellerUserRow[]> {
  return sql<ResellerUserRow[]>`SELECT ${userColumns(sql)} FROM reseller_users WHERE reseller_id = ${resellerId}
                                ORDER BY created_at, id LIMIT 1000`;
}

/** A user of this reseller only (T1). */
export async function findResellerUser(sql: Sql | Tx, resellerId: string, id: string): Promise<ResellerUserRow | null> {
  const [row] = await sql<ResellerUserRow[]>`
    SELECT ${userColumns(sql)} FROM reseller_users WHERE id = ${id} AND reseller_id = ${resellerId}`;
  return row ?? null;
}

/**
 * T2: an invited user, pending until it sets up its account; audited. Keyed by its id, so a repeat (the same
 * Idempotency-Key) finds it. Refused when another user of the reseller has the email.
 */
export async function inviteResellerUser(
  sql: Sql | Tx,
  u: { id: string; resellerId: string; email: string; name: string; permissions: Permission[]; actor: string },
): Promise<{ user: ResellerUserRow; created: boolean } | 'email_taken'> {
  return inTransaction(sql, async (tx) => {
    const existing = await findResellerUser(tx, u.resellerId, u.id);
    if (existing) return { user: existing, created: false };
    const invitedBy = u.actor.startsWith('user:') ? u.actor.slice('user:'.length) : null;
    const [row] = await tx<ResellerUserRow[]>`
      INSERT INTO reseller_users (id, reseller_id, email, name, permissions, status, invited_by)
      VALUES (${u.id}, ${u.resellerId}, ${u.email}, ${u.name}, ${u.permissions}, 'pending', ${invitedBy})
      ON CONFLICT (reseller_id, lower(email)) DO NOTHING
      RETURNING ${userColumns(tx)}`;
    if (!row) return 'email_taken';
    await auditResellerUser(tx, u.resellerId, u.id, {
      action: 'user.invited',
      actor: u.actor,
      after: { email: u.email, name: u.name, permissions: u.permissions, status: 'pending' },
    });
    return { user: row, created: true };
  });
}

/** What the account-setup email says, and to whom; null unless the user is still pending. */
export async function pendingUserInvitation(sql: Sql, userId: string) {
  const [row] = await sql<{ email: string; name: string; resellerName: string; inviterName: string | null }[]>`
    SELECT u.email, u.name, r.name AS reseller_name, i.name AS inviter_name
    FROM reseller_users u JOIN resellers r ON r.id = u.reseller_id LEFT JOIN reseller_users i ON i.id = u.invited_by
    WHERE u.id = ${userId} AND u.status = 'pending'`;
  return row ?? null;
}

/** T3: the user's setup link; replaces any earlier link not used yet, so only the latest email's link works. */
export async function storeUserSetupToken(
  sql: Sql,
  t: { userId: string; tokenHash: Buffer; expiresAt: Date },
): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`UPDATE user_setup_tokens SET revoked_at = now()
             WHERE user_id = ${t.userId} AND used_at IS NULL AND revoked_at IS NULL`;
    await tx`INSERT INTO user_setup_tokens (token_hash, user_id, expires_at)
             VALUES (${t.tokenHash}, ${t.userId}, ${t.expiresAt})`;
  });
}

export interface UserSetupLink extends LinkState {
  userId: string;
  email: string;
  name: string;
  resellerName: string;
  status: UserStatus;
}

/** T3: the link a setup token opens; null for an unknown one. */
export async function findUserSetupLink(sql: Sql, tokenHash: Buffer): Promise<UserSetupLink | null> {
  const [row] = await sql<UserSetupLink[]>`
    SELECT t.user_id, u.email, u.name, r.name AS reseller_name, u.status, t.expires_at, t.used_at, t.revoked_at,
           CASE WHEN t.revoked_at IS NULL THEN NULL ELSE 'resent' END AS revoked_reason
    FROM user_setup_tokens t JOIN reseller_users u ON u.id = t.user_id JOIN resellers r ON r.id = u.reseller_id
    WHERE t.token_hash = ${tokenHash}`;
  return row ?? null;
}

/**
 * T2/T3: the invited user sets its password through the link: the link is spent and the user active, in one
 * transaction, audited. Refused for a spent, expired or replaced link, or a user no longer pending.
 */
export async function activateResellerUser(
  sql: Sql,
  a: { tokenHash: Buffer; passwordHash: string },
): Promise<'activated' | 'invalid'> {
  return sql.begin(async (tx) => {
    const [link] = await tx<{ userId: string; resellerId: string; status: UserStatus }[]>`
      SELECT t.user_id, u.reseller_id, u.status
      FROM user_setup_tokens t JOIN reseller_users u ON u.id = t.user_id
      WHERE t.token_hash = ${a.tokenHash} AND t.used_at IS NULL AND t.revoked_at IS NULL AND t.expires_at > now()
      FOR UPDATE OF t, u`;
    if (link?.status !== 'pending') return 'invalid';
    await tx`UPDATE user_setup_tokens SET used_at = now() WHERE token_hash = ${a.tokenHash}`;
    await tx`UPDATE reseller_users SET status = 'active', password_hash = ${a.passwordHash}, activated_at = now(),
               updated_at = now()
             WHERE id = ${link.userId}`;
    await auditResellerUser(tx, link.resellerId, link.userId, {
      action: 'user.activated',
      actor: `user:${link.userId}`,
      before: { status: 'pending' },
      after: { status: 'active' },
    });
    return 'activated';
  });
}

export type UserChangeOutcome = { user: ResellerUserRow } | 'not_found' | 'last_admin';

/**
 * A change to one of the reseller's users that must leave it an active admin (T2: the last admin cannot demote or
 * deactivate itself, nor be by another). The reseller's users are locked, so two admins demoting each other at
 * once cannot both succeed.
 */
async function changeUser(
  sql: Sql,
  a: { resellerId: string; userId: string },
  next: (user: ResellerUserRow) => { permissions: Permission[]; status: UserStatus },
  audit: (before: ResellerUserRow, after: ResellerUserRow) => { action: string; actor: string },
): Promise<UserChangeOutcome> {
  return sql.begin(async (tx) => {
    const users = await tx<ResellerUserRow[]>`
      SELECT ${userColumns(tx)} FROM reseller_users WHERE reseller_id = ${a.resellerId} ORDER BY id FOR UPDATE`;
    const user = users.find((u) => u.id === a.userId);
    if (!user) return 'not_found';
    const wanted = next(user);
    const isAdmin = (u: { permissions: Permission[]; status: UserStatus }) =>
      u.status === 'active' && u.permissions.includes('admin');
    const adminsLeft = users.filter((u) => (u.id === user.id ? isAdmin(wanted) : isAdmin(u))).length;
    if (isAdmin(user) && adminsLeft === 0) return 'last_admin';
    const samePermissions =
      wanted.permissions.length === user.permissions.length &&
      wanted.permissions.every((p) => user.permissions.includes(p));
    if (samePermissions && wanted.status === user.status) return { user };
    const [row] = await tx<ResellerUserRow[]>`
      UPDATE reseller_users SET permissions = ${wanted.permissions}, status = ${wanted.status}, updated_at = now(),
        deactivated_at = CASE WHEN ${wanted.status}::text = 'deactivated' THEN COALESCE(deactivated_at, now())
                              ELSE deactivated_at END
      WHERE id = ${user.id} RETURNING ${userColumns(tx)}`;
    const after = row as ResellerUserRow;
    const { action, actor } = audit(user, after);
    await auditResellerUser(tx, a.resellerId, user.id, {
      action,
      actor,
      before: { permissions: user.permissions, status: user.status },
      after: { permissions: after.permissions, status: after.status },
    });
    return { user: after };
  });
}

/** T2: sets the user's permissions (all of them, replacing the earlier ones); audited. */
export function setResellerUserPermissions(
  sql: Sql,
  a: { resellerId: string; userId: string; permissions: Permission[]; actor: string },
): Promise<UserChangeOutcome> {
  const permissions = [...new Set(a.permissions)].sort();
  return changeUser(
    sql,
    a,
    (u) => ({ permissions, status: u.status }),
    () => ({ action: 'user.permissions_changed', actor: a.actor }),
  );
}

/** T2: deactivates the user: its keys stop working (within the API's key cache TTL); audited. */
export function deactivateResellerUser(
  sql: Sql,
  a: { resellerId: string; userId: string; actor: string },
): Promise<UserChangeOutcome> {
  return changeUser(
    sql,
    a,
    (u) => ({ permissions: u.permissions, status: 'deactivated' }),
    () => ({ action: 'user.deactivated', actor: a.actor }),
  );
}
