// The one SHA-256 of the engine: token and code hashes stored in the database, fingerprints, derived ids.
import { createHash, createHmac, randomBytes } from 'node:crypto';

export const sha256 = (value: string): Buffer => createHash('sha256').update(value).digest();
export const sha256Hex = (value: string): string => sha256(value).toString('hex');

/** T3: a single-use link's token: 256 random bits (base64url), derived from nothing anyone knows. */
export const randomToken = (): string => randomBytes(32).toString('base64url');

/**
 * A short secret's stored hash, keyed with TOKEN_SECRET: a reseller-change code has 50 bits, few enough that a
 * plain SHA-256 of it, read from a leaked database or backup, could be searched; without the key it cannot.
 */
export const keyedHashHex = (key: string, value: string): string =>
  createHmac('sha256', key).update(value).digest('hex');
