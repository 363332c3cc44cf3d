import { z } from 'zod';
import type { LinkState } from '../../db/access-tokens';
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

/** Why a link does not work (T3): a page says which, in plain words. */
export type LinkProblem = 'unknown' | 'used' | 'replaced' | 'expired';

/** What is wrong with a link, or null when it works; a used link says so first, then a replaced one. */
export function linkProblem(link: LinkState | null): LinkProblem | null {
  if (!link) return 'unknown';
  if (link.usedAt) return 'used';
  if (link.revokedAt) return 'replaced';
  if (link.expiresAt.getTime() <= Date.now()) return 'expired';
  return null;
}

/** A single-use link that is neither spent, replaced nor expired. */
export const isUsable = (link: LinkState): boolean => linkProblem(link) === null;
