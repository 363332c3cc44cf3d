// The one SHA-256 of the engine: token and code hashes stored in the database, fingerprints, derived ids.
import { createHash } from 'node:crypto';

export const sha256 = (value: string): Buffer => createHash('sha256').update(value).digest();
export const sha256Hex = (value: string): string => sha256(value).toString('hex');
