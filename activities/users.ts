import { randomBytes } from 'node:crypto';
import { findEmailLog } from '../db/email-log';
import { pendingUserInvitation, storeUserSetupToken } from '../db/reseller-users';
import { sha256 } from '../lib/hash';
import { type ActivityDeps, sendOnce } from './mailer';
import { renderUserInvitationEmail } from './templates/user-invitation';

/** Activities of the reseller user's invitation (T2, T3). */
export function createUserActivities(deps: ActivityDeps) {
  const { sql, config } = deps;
  return {
    /**
     * T2/T3: emails the invited user a single-use account-setup link. The token is random (never derived from
     * anything a reseller knows) and only its hash is stored. Safe to repeat: once the email is sent, a repeat sends
     * nothing and keeps the link; a repeat before that issues a new token, which replaces the unsent one.
     */
    async sendUserSetupEmail(args: {
      userId: string;
      linkExpiresAt: string;
    }): Promise<'sent' | 'already-sent' | 'moot'> {
      const key = `user-invitation:${args.userId}`;
      if ((await findEmailLog(sql, key))?.status === 'sent') return 'already-sent';
      const user = await pendingUserInvitation(sql, args.userId);
      if (!user) return 'moot';
      const token = randomBytes(32).toString('base64url');
      const expiresAt = new Date(args.linkExpiresAt);
      await storeUserSetupToken(sql, { userId: args.userId, tokenHash: sha256(token), expiresAt });
      const rendered = renderUserInvitationEmail({
        ...user,
        setupUrl: `${config.PUBLIC_BASE_URL}/users/setup?token=${token}`,
        linkExpiresAt: expiresAt,
      });
      return sendOnce(deps, key, { ...rendered, to: user.email, template: 'user.invitation' });
    },
  };
}
