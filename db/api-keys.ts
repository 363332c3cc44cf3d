import { randomBytes, randomUUID } from 'node:crypto';
import { sha256 } from '../lib/hash';
import { recordAudit } from './audit';
import { inTransaction, type Sql, type Tx } from '.';

export type Permission = 'order' | 'billing' | 'admin' | 'support';

export interface Principal {
  userId: string;
  resellerId: string;
  permissions: Permission[];
  /** The key the request came with (T2: its last-used time); absent for principals built by hand. */
  keyId?: string;
}

/** A new key: 256 random bits after a public prefix; the plain key is returned once and only its hash is stored. */
function newKey(): { prefix: string; key: string } {
  const prefix = randomBytes(6).toString('hex');
  return { prefix, key: `rk_${prefix}_${randomBytes(32).toString('base64url')}` };
}

/** Issues a key for a user; the plain key is returned once and only its hash is stored. */
export async function issueApiKey(sql: Sql | Tx, userId: string, name = 'API key'): Promise<string> {
  const { prefix, key } = newKey();
  await sql`INSERT INTO api_keys (id, user_id, prefix, key_hash, name)
            VALUES (${randomUUID()}, ${userId}, ${prefix}, ${sha256(key)}, ${name})`;
  return key;
}

interface PrincipalRow extends Principal {
  keyId: string;
  lastUsedAt: Date | null;
}

/** T1/T2: the active user a key names, with its tenant and permissions; null for an unknown, revoked or inactive one. */
export async function findPrincipalByApiKey(sql: Sql, key: string): Promise<Principal | null> {
  const [row] = await sql<PrincipalRow[]>`
    SELECT u.id AS user_id, u.reseller_id, u.permissions, k.id AS key_id, k.last_used_at
    FROM api_keys k JOIN reseller_users u ON u.id = k.user_id
    WHERE k.key_hash = ${sha256(key)} AND k.revoked_at IS NULL AND u.status = 'active'`;
  if (!row) return null;
  // T2: the last-used time, written at most once a minute per key, and only on a lookup (not on every request).
  if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS)
    await touchApiKey(sql, row.keyId);
  const { lastUsedAt: _l, ...principal } = row;
  return principal;
}

const LAST_USED_RESOLUTION_MS = 60_000;

/** T2: marks the key used now, unless it was marked within the last minute (concurrent lookups write once). */
async function touchApiKey(sql: Sql, keyId: string): Promise<void> {
  await sql`UPDATE api_keys SET last_used_at = now()
            WHERE id = ${keyId} AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`;
}

/** T1: a revoked key is refused from then on (within the API's key cache TTL, API_KEY_CACHE_TTL). */
export async function revokeApiKey(sql: Sql, key: string): Promise<boolean> {
  const rows = await sql`UPDATE api_keys SET revoked_at = now() WHERE key_hash = ${sha256(key)} AND revoked_at IS NULL`;
  return rows.count > 0;
}

// --- T2: the keys the license owner manages for the reseller's users --------------------------------------------

export interface ApiKeyRow {
  id: string;
  userId: string;
  name: string;
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

const keyColumns = (sql: Sql | Tx) =>
  sql`k.id, k.user_id, k.name, k.prefix, k.created_at, k.last_used_at, k.revoked_at`;

/** T2: a user's keys, newest first; never the key itself (only its hash is stored). */
export async function listApiKeys(sql: Sql, userId: string): Promise<ApiKeyRow[]> {
  return sql<ApiKeyRow[]>`SELECT ${keyColumns(sql)} FROM api_keys k WHERE k.user_id = ${userId}
                          ORDER BY k.created_at DESC, k.id DESC LIMIT 500`;
}

/** T2: one key of one of the reseller's users (T1: another tenant's is null). */
export async function findApiKey(sql: Sql, resellerId: string, userId: string, keyId: string) {
  const [row] = await sql<ApiKeyRow[]>`
    SELECT ${keyColumns(sql)} FROM api_keys k JOIN reseller_users u ON u.id = k.user_id
    WHERE k.id = ${keyId} AND k.user_id = ${userId} AND u.reseller_id = ${resellerId}`;
  return row ?? null;
}

/**
 * T2: a new named key under `id` for the reseller's user, audited; the plain key is in the answer only. Refused
 * when the user is not active (pending or deactivated: a key would not work); `issued` when a key with this id
 * exists already (its secret was shown once and cannot be shown again).
 */
export async function createApiKey(
  sql: Sql,
  a: { id: string; resellerId: string; userId: string; name: string; actor: string },
): Promise<{ key: string; row: ApiKeyRow } | 'not_active' | 'issued'> {
  return inTransaction(sql, async (tx) => {
    const [user] = await tx<{ status: string }[]>`
      SELECT status FROM reseller_users WHERE id = ${a.userId} AND reseller_id = ${a.resellerId} FOR SHARE`;
    const [existing] = await tx`SELECT 1 FROM api_keys WHERE id = ${a.id}`;
    if (existing) return 'issued';
    if (user?.status !== 'active') return 'not_active';
    const { prefix, key } = newKey();
    const [row] = await tx<ApiKeyRow[]>`
      INSERT INTO api_keys AS k (id, user_id, prefix, key_hash, name)
      VALUES (${a.id}, ${a.userId}, ${prefix}, ${sha256(key)}, ${a.name})
      RETURNING ${keyColumns(tx)}`;
    const issued = row as ApiKeyRow;
    await recordAudit(tx, {
      resellerId: a.resellerId,
      entityType: 'api_key',
      entityId: issued.id,
      action: 'api_key.issued',
      actor: a.actor,
      after: { userId: a.userId, name: a.name, prefix },
    });
    return { key, row: issued };
  });
}

/** T2: revokes one key, audited; a key already revoked stays as it was (a repeat changes nothing). */
export async function revokeApiKeyById(
  sql: Sql,
  a: { resellerId: string; userId: string; keyId: string; actor: string },
): Promise<ApiKeyRow | null> {
  return inTransaction(sql, async (tx) => {
    const [row] = await tx<ApiKeyRow[]>`
      UPDATE api_keys AS k SET revoked_at = now()
      FROM reseller_users u
      WHERE k.id = ${a.keyId} AND k.user_id = ${a.userId} AND u.id = k.user_id AND u.reseller_id = ${a.resellerId}
        AND k.revoked_at IS NULL
      RETURNING ${keyColumns(tx)}`;
    if (!row) return null;
    await recordAudit(tx, {
      resellerId: a.resellerId,
      entityType: 'api_key',
      entityId: row.id,
      action: 'api_key.revoked',
      actor: a.actor,
      before: { revokedAt: null },
      after: { userId: a.userId, name: row.name, revokedAt: row.revokedAt?.toISOString() ?? null },
    });
    return row;
  });
}

/** Creates a reseller with one user; used by the demo seed and by tests. */
export async function createReseller(
  sql: Sql,
  input: { id?: string; name: string; user: { email: string; name: string; permissions: Permission[] } },
): Promise<{ resellerId: string; userId: string; apiKey: string }> {
  const resellerId = input.id ?? randomUUID();
  const userId = randomUUID();
  await sql.begin(async (tx) => {
    await tx`INSERT INTO resellers (id, name) VALUES (${resellerId}, ${input.name}) ON CONFLICT (id) DO NOTHING`;
    await tx`INSERT INTO reseller_users (id, reseller_id, email, name, permissions)
             VALUES (${userId}, ${resellerId}, ${input.user.email}, ${input.user.name}, ${input.user.permissions})`;
  });
  return { resellerId, userId, apiKey: await issueApiKey(sql, userId) };
}
