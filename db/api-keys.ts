import { randomBytes, randomUUID } from 'node:crypto';
import { sha256 } from '../lib/hash';
import type { Sql } from '.';

export type Permission = 'order' | 'billing' | 'admin' | 'support';

export interface Principal {
  userId: string;
  resellerId: string;
  permissions: Permission[];
}

/** Issues a key for a user; the plain key is returned once and only its hash is stored. */
export async function issueApiKey(sql: Sql, userId: string): Promise<string> {
  const prefix = randomBytes(6).toString('hex');
  const key = `rk_${prefix}_${randomBytes(32).toString('base64url')}`;
  await sql`INSERT INTO api_keys (id, user_id, prefix, key_hash) VALUES (${randomUUID()}, ${userId}, ${prefix}, ${sha256(key)})`;
  return key;
}

export async function findPrincipalByApiKey(sql: Sql, key: string): Promise<Principal | null> {
  const [row] = await sql<Principal[]>`
    SELECT u.id AS user_id, u.reseller_id, u.permissions
    FROM api_keys k JOIN reseller_users u ON u.id = k.user_id
    WHERE k.key_hash = ${sha256(key)} AND k.revoked_at IS NULL`;
  return row ?? null;
}

/** T1: a revoked key is refused from then on (within the API's key cache TTL, API_KEY_CACHE_TTL). */
export async function revokeApiKey(sql: Sql, key: string): Promise<boolean> {
  const rows = await sql`UPDATE api_keys SET revoked_at = now() WHERE key_hash = ${sha256(key)} AND revoked_at IS NULL`;
  return rows.count > 0;
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
