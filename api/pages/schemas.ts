import { z } from 'zod';
import { sha256 } from '../../lib/hash';

// The link pages' inputs (T3). They are read loosely: whatever a link or form carries, the contact gets a
// page that says what to do, never a JSON error.

export const Token = z.string().regex(/^[A-Za-z0-9_-]{20,100}$/);

export const TokenQuery = z.object({
  token: z.string().optional().meta({ description: 'The secret of the emailed link' }),
});
export const formField = z.string().optional();

/** The link's token, when it is well-formed, and the record it opens; null for anything else. */
export async function openLink<L>(
  token: string | undefined,
  find: (tokenHash: Buffer) => Promise<L | null>,
): Promise<{ token: string; link: L } | null> {
  const parsed = Token.safeParse(token);
  const link = parsed.success ? await find(sha256(parsed.data)) : null;
  return parsed.success && link ? { token: parsed.data, link } : null;
}

/** A single-use link that is neither spent nor expired. */
export const isUsable = (link: { usedAt: Date | null; expiresAt: Date }): boolean =>
  !link.usedAt && link.expiresAt.getTime() > Date.now();
