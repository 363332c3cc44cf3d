// Single-purpose links for customer contacts (T3): random tokens, stored hashed, expiring, single use.
import type { Sql } from '.';

export type AccessTokenOwner =
  | { purpose: 'invitation'; customerId: string }
  | { purpose: 'subscription_contact'; subscriptionId: string };

/**
 * Stores a link's hash for its owner; the same token stored again (a retried email activity derives the same
 * token from its key) keeps its first expiry, which is returned, and follows a corrected address until used.
 */
export async function storeAccessToken(
  sql: Sql,
  t: AccessTokenOwner & { tokenHash: Buffer; email: string; expiresAt: Date },
): Promise<Date> {
  const customerId = t.purpose === 'invitation' ? t.customerId : null;
  const subscriptionId = t.purpose === 'subscription_contact' ? t.subscriptionId : null;
  const [row] = await sql<{ expiresAt: Date }[]>`
    INSERT INTO access_tokens (token_hash, purpose, customer_id, subscription_id, email, expires_at)
    VALUES (${t.tokenHash}, ${t.purpose}, ${customerId}, ${subscriptionId}, ${t.email}, ${t.expiresAt})
    ON CONFLICT (token_hash) DO UPDATE
      SET email = CASE WHEN access_tokens.used_at IS NULL THEN EXCLUDED.email ELSE access_tokens.email END
    RETURNING expires_at`;
  return row?.expiresAt ?? t.expiresAt;
}
