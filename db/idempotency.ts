import type { Sql } from '.';

/**
 * Claims an Idempotency-Key of a reseller for a new resource id, or finds the claim made before: the
 * resource id and the fingerprint of the request that made it.
 */
export async function claimIdempotencyKey(
  sql: Sql,
  claim: { resellerId: string; key: string; requestHash: string; candidateId: string },
): Promise<{ resourceId: string; requestHash: string }> {
  // A key claimed by a concurrent request in the same instant is invisible to this statement's
  // snapshot; the second pass sees it.
  for (let pass = 0; pass < 2; pass++) {
    const [row] = await sql<{ resourceId: string; requestHash: string }[]>`
    WITH claimed AS (
      INSERT INTO idempotency_keys (reseller_id, key, request_hash, resource_id)
      VALUES (${claim.resellerId}, ${claim.key}, ${claim.requestHash}, ${claim.candidateId})
      ON CONFLICT (reseller_id, key) DO NOTHING
      RETURNING resource_id, request_hash)
    SELECT resource_id, request_hash FROM claimed
    UNION ALL
    SELECT resource_id, request_hash FROM idempotency_keys
    WHERE reseller_id = ${claim.resellerId} AND key = ${claim.key}
    LIMIT 1`;
    if (row) return row;
  }
  throw new Error('idempotency key neither claimed nor found');
}
