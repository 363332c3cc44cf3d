import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Sql } from '../db';
import { HttpError, parse } from './errors';

export const IdempotencyKeyHeader = z
  .string()
  .min(1, 'must not be empty')
  .max(255, 'at most 255 characters')
  .regex(/^[\x21-\x7E]+$/, 'printable ASCII without spaces');

const fingerprint = (body: unknown): string => createHash('sha256').update(JSON.stringify(body)).digest('hex');

/**
 * The id of the resource a creating request makes. With an Idempotency-Key, the first request claims
 * the key for a new id and every repeat gets that same id back (so one resource, one workflow);
 * the same key with a different body is refused.
 */
export async function resourceIdFor(
  sql: Sql,
  resellerId: string,
  rawKey: string | undefined,
  body: unknown,
): Promise<{ id: string; replayed: boolean }> {
  if (rawKey === undefined) return { id: randomUUID(), replayed: false };
  const key = parse(IdempotencyKeyHeader, rawKey, 'header');
  const hash = fingerprint(body);
  const candidate = randomUUID();
  // A key claimed by a concurrent request in the same instant is invisible to this statement's
  // snapshot; the second pass sees it.
  for (let pass = 0; pass < 2; pass++) {
    const [row] = await sql<{ resourceId: string; requestHash: string }[]>`
    WITH claimed AS (
      INSERT INTO idempotency_keys (reseller_id, key, request_hash, resource_id)
      VALUES (${resellerId}, ${key}, ${hash}, ${candidate})
      ON CONFLICT (reseller_id, key) DO NOTHING
      RETURNING resource_id, request_hash)
    SELECT resource_id, request_hash FROM claimed
    UNION ALL
    SELECT resource_id, request_hash FROM idempotency_keys WHERE reseller_id = ${resellerId} AND key = ${key}
    LIMIT 1`;
    if (!row) continue;
    if (row.requestHash !== hash) {
      throw new HttpError(
        422,
        'idempotency_key_reused',
        'This Idempotency-Key was already used with a different request body.',
      );
    }
    return { id: row.resourceId, replayed: row.resourceId !== candidate };
  }
  throw new Error('idempotency key neither claimed nor found');
}
