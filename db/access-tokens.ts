// Single-purpose links for customer contacts (T3): random tokens, stored hashed, expiring, single use.
import type { Tx } from '.';

export type AccessTokenOwner =
  | { purpose: 'invitation'; customerId: string }
  | { purpose: 'subscription_contact'; subscriptionId: string }
  | { purpose: 'license_activation'; licenseId: string };

/** Why a link was replaced: its email was sent again (a retried attempt), or the contact's address corrected. */
export type RevokedReason = 'resent' | 'contact_email_changed';

/** What every link page reads of a link to tell whether it works, and if not, why. */
export interface LinkState {
  usedAt: Date | null;
  expiresAt: Date;
  revokedAt: Date | null;
  revokedReason: RevokedReason | null;
}

/**
 * Issues the link of the email `emailKey` (call it inside claimEmailAnd, with the email claimed): the link an
 * earlier attempt of that email issued is replaced (revoked as 'resent'), so only the link actually sent works.
 * Answers 'spent' and issues nothing when that earlier link was already used: the email evidently arrived.
 */
export async function issueAccessToken(
  tx: Tx,
  t: AccessTokenOwner & { tokenHash: Buffer; emailKey: string; email: string; expiresAt: Date },
): Promise<'issued' | 'spent'> {
  const [live] = await tx<{ usedAt: Date | null }[]>`
    SELECT used_at FROM access_tokens WHERE email_key = ${t.emailKey} AND revoked_at IS NULL FOR UPDATE`;
  if (live?.usedAt) return 'spent';
  if (live) {
    await tx`UPDATE access_tokens SET revoked_at = now(), revoked_reason = 'resent'
             WHERE email_key = ${t.emailKey} AND revoked_at IS NULL`;
  }
  await tx`
    INSERT INTO access_tokens (token_hash, purpose, customer_id, subscription_id, license_id, email, expires_at, email_key)
    VALUES (${t.tokenHash}, ${t.purpose}, ${t.purpose === 'invitation' ? t.customerId : null},
      ${t.purpose === 'subscription_contact' ? t.subscriptionId : null},
      ${t.purpose === 'license_activation' ? t.licenseId : null}, ${t.email}, ${t.expiresAt}, ${t.emailKey})`;
  return 'issued';
}

/** C3/T3: the contact's address was corrected: the invitation links sent before stop working, and say why. */
export async function revokeInvitationLinks(tx: Tx, customerId: string): Promise<void> {
  await tx`UPDATE access_tokens SET revoked_at = now(), revoked_reason = 'contact_email_changed'
           WHERE customer_id = ${customerId} AND purpose = 'invitation' AND used_at IS NULL AND revoked_at IS NULL`;
}
