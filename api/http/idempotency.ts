import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Sql } from '../../db';
import { claimIdempotencyKey } from '../../db/idempotency';
import { sha256Hex } from '../../lib/hash';
import { HttpError } from './errors';

/** The optional header of the creating requests, validated like every other input. */
export const IdempotencyHeaders = z.object({
  'Idempotency-Key': z
    .string()
    .min(1, 'must not be empty')
    .max(255, 'at most 255 characters')
    .regex(/^[\x21-\x7E]+$/, 'printable ASCII without spaces')
    .optional()
    .meta({ description: 'A repeat with the same key and body answers with the same resource' }),
});

const fingerprint = (body: unknown): string => sha256Hex(JSON.stringify(body));

/**
 * The id of the resource a creating request makes. With an Idempotency-Key, the first request claims
 * the key for a new id and every repeat gets that same id back (so one resource, one workflow);
 * the same key with a different body is refused.
 */
export async function resourceIdFor(
  sql: Sql,
  resellerId: string,
  key: string | undefined,
  body: unknown,
): Promise<{ id: string; replayed: boolean }> {
  if (key === undefined) return { id: randomUUID(), replayed: false };
  const requestHash = fingerprint(body);
  const candidateId = randomUUID();
  const claim = await claimIdempotencyKey(sql, { resellerId, key, requestHash, candidateId });
  if (claim.requestHash !== requestHash) {
    throw new HttpError(
      422,
      'idempotency_key_reused',
      'This Idempotency-Key was already used with a different request body.',
    );
  }
  return { id: claim.resourceId, replayed: claim.resourceId !== candidateId };
}

/** The row a creating request made; 410 when an earlier request with the same Idempotency-Key made it and it is gone. */
export function madeOrGone<T>(row: T | null, what: string): T {
  if (!row) throw new HttpError(410, 'gone', `The ${what} created with this Idempotency-Key has since been deleted.`);
  return row;
}

/** The headers of a creating request's 201, for the OpenAPI document. */
export const createdHeaders = (what: string): Record<string, string> => ({
  Location: what,
  'Idempotent-Replayed': 'true when an earlier request with the same Idempotency-Key made it',
});
