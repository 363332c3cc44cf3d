// The one SHA-256 of the engine: token and code hashes stored in the database, fingerprints, derived ids, link tokens.
import { createHash, createHmac } from 'node:crypto';

export const sha256 = (value: string): Buffer => createHash('sha256').update(value).digest();
export const sha256Hex = (value: string): string => sha256(value).toString('hex');

/** T3: a single-use link's token, derived from its email's key so that a retried activity sends the same link. */
export const linkToken = (secret: string, key: string): string =>
  createHmac('sha256', secret).update(key).digest('base64url');
