import { createHash } from 'node:crypto';
import { z } from 'zod';

// The link pages' inputs (T3). They are read loosely: whatever a link or form carries, the contact gets a
// page that says what to do, never a JSON error.

export const Token = z.string().regex(/^[A-Za-z0-9_-]{20,100}$/);
export const hashOf = (token: string): Buffer => createHash('sha256').update(token).digest();

export const TokenQuery = z.object({
  token: z.string().optional().meta({ description: 'The secret of the emailed link' }),
});
export const formField = z.string().optional();
