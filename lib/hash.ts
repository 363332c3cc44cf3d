// The one SHA-256 of the engine: token and code hashes stored in the database, fingerprints, derived ids.
import { createHash, randomBytes } from 'node:crypto';

export const sha256 = (value: string): Buffer => createHash('sha256').update(value).digest();
export const sha256Hex = (value: string): string => sha256(value).toString('hex');

/** T3: a single-use link's token: 256 random bits (base64url), derived from nothing anyone knows. */
export const randomToken = (): string => randomBytes(32).toString('base64url');
