import { randomBytes } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/activity';
import {
  expireResellerChange,
  findCodeRecipients,
  findRequester,
  findTransferCompleted,
  issueResellerChangeCode,
  lockResellerChange,
  matchResellerChange,
  type RedeemOutcome,
  redeemResellerChange,
} from '../db/reseller-changes';
import { customerLifecycleKeys } from '../db/ownership';
import { keyedHashHex } from '../lib/hash';
import { type ActivityDeps, sendOnce, sendWithSecret } from './mailer';
import type { RenderedEmail } from './templates/layout';
import type { CustomerLifecycleKeys } from '../workflows/definitions';
import {
  renderCodeEmail,
  renderCodeExpiredEmail,
  renderRequestReceivedEmail,
  renderTransferCompletedEmail,
} from './templates/reseller-change';

export type { RedeemOutcome };

// Crockford's base32: no I, L, O or U, so a code read aloud or typed is not mistaken.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * X2: a new code, random: 10 characters of 32 (50 bits; 256 is a multiple of 32, so each is uniform). Nobody can
 * compute it, and RESELLER_CHANGE_MAX_ATTEMPTS wrong codes lock the request, so it cannot be guessed either.
 */
export function newResellerChangeCode(): string {
  const bytes = randomBytes(10);
  let code = '';
  for (const b of bytes) code += ALPHABET[b & 31];
  return `${code.slice(0, 5)}-${code.slice(5)}`;
}

/** How a code is compared: case, spaces and dashes do not matter; hashed with the key (lib/hash.ts keyedHashHex). */
export function codeHash(tokenSecret: string, code: string): string {
  return keyedHashHex(tokenSecret, code.toUpperCase().replace(/[\s-]/g, ''));
}

const notFound = (requestId: string) =>
  ApplicationFailure.nonRetryable(`reseller change ${requestId} not found`, 'NotFound');

/** Activities of the reseller change (X1-X4): each one side effect, safe to repeat for the same request. */
export function createResellerChangeActivities(deps: ActivityDeps) {
  const { sql, config } = deps;
  const requester = async (requestId: string) => {
    const row = await findRequester(sql, requestId);
    if (!row) throw notFound(requestId);
    return row;
  };
  /** X1/X3: one email to the requester, keyed by the request and what it tells. */
  const emailRequester = async (
    requestId: string,
    what: 'received' | 'expired',
    render: (user: Awaited<ReturnType<typeof requester>>) => RenderedEmail,
  ) => {
    const user = await requester(requestId);
    await sendOnce(deps, `reseller-change:${requestId}/${what}`, {
      ...render(user),
      to: user.email,
      template: `reseller-change.${what}`,
    });
  };

  return {
    /** X2: the customer's lifecycles that may still run, so the change tells them their new owner. */
    async customerLifecycleKeys(args: { customerId: string }): Promise<CustomerLifecycleKeys> {
      return customerLifecycleKeys(sql, args.customerId);
    },

    /**
     * X1: matches the VIP id and admin email to a customer of another reseller. Nobody learns from the answer
     * to the requester whether they matched. (The codes are issued as they are mailed, one per admin.)
     */
    async issueResellerChangeCode(args: { requestId: string; expiresAt: string }): Promise<{ matched: boolean }> {
      const match = await matchResellerChange(sql, { requestId: args.requestId, expiresAt: new Date(args.expiresAt) });
      return { matched: match !== null };
    },

    /**
     * X1/X2: emails every system admin of the matched customer (nobody when nothing matched) a random code of
     * their own, stored hashed as it is sent: a code cannot be mailed again, so each admin's email carries one
     * (sendWithSecret), and any of them redeems the request once.
     */
    async sendResellerChangeCodeEmails(args: { requestId: string }): Promise<{ sent: number }> {
      const { expiresAt } = await requester(args.requestId);
      const admins = await findCodeRecipients(sql, args.requestId);
      for (const a of admins) {
        const code = newResellerChangeCode();
        const redeemUrl =
          `${config.PUBLIC_BASE_URL}/reseller-change/redeem?request=${args.requestId}` +
          `&code=${encodeURIComponent(code)}`;
        const email = renderCodeEmail({ ...a, code, redeemUrl, expiresAt });
        const key = `reseller-change:${args.requestId}/code/${a.email.toLowerCase()}`;
        await sendWithSecret(deps, key, code, { ...email, to: a.email, template: 'reseller-change.code' }, (tx) =>
          issueResellerChangeCode(tx, {
            requestId: args.requestId,
            emailKey: key,
            adminEmail: a.email,
            codeHash: Buffer.from(codeHash(config.TOKEN_SECRET, code), 'hex'),
          }),
        );
      }
      return { sent: admins.length };
    },

    /** X1: tells the requester the request was received, the same words whether it matched or not. */
    async sendResellerChangeReceivedEmail(args: { requestId: string }): Promise<void> {
      await emailRequester(args.requestId, 'received', renderRequestReceivedEmail);
    },

    /**
     * X2: with the right code, moves the customer and all its live rows to the new reseller, spends the code
     * and writes the audit trail, all in one transaction. A wrong code is counted (and committed).
     */
    async redeemResellerChangeCode(args: {
      requestId: string;
      codeHash: string;
      actor: string;
    }): Promise<RedeemOutcome> {
      const outcome = await redeemResellerChange(sql, {
        requestId: args.requestId,
        codeHash: Buffer.from(args.codeHash, 'hex'),
        actor: args.actor,
        maxAttempts: config.RESELLER_CHANGE_MAX_ATTEMPTS,
      });
      if (outcome.outcome === 'not-found') throw notFound(args.requestId);
      return outcome;
    },

    /** Locks a request after too many wrong codes, so the code cannot be guessed. */
    async lockResellerChange(args: { requestId: string }): Promise<void> {
      await lockResellerChange(sql, args.requestId);
    },

    /** X3: the code's 72 hours passed; the requester may send a new one. */
    async expireResellerChange(args: { requestId: string }): Promise<void> {
      await expireResellerChange(sql, args.requestId);
    },

    /** X3: tells the requester the code expired, so a new one can be sent. */
    async sendResellerChangeExpiredEmail(args: { requestId: string }): Promise<void> {
      await emailRequester(args.requestId, 'expired', renderCodeExpiredEmail);
    },

    /** X2: tells the new reseller, the previous reseller's admins and the customer's admins. */
    async sendTransferCompletedEmails(args: { requestId: string }): Promise<void> {
      const c = await findTransferCompleted(sql, args.requestId);
      if (!c) return;
      const user = await requester(args.requestId);
      const recipients = [
        { to: user.email, name: user.name, audience: 'new-reseller' as const },
        ...c.previousAdmins.map((p) => ({ to: p.email, name: p.name, audience: 'previous-reseller' as const })),
        ...c.customerAdmins.map((a) => ({ to: a.email, name: a.firstName, audience: 'customer' as const })),
      ];
      for (const r of recipients) {
        const email = renderTransferCompletedEmail({ ...c, name: r.name, audience: r.audience });
        await sendOnce(deps, `reseller-change:${args.requestId}/completed/${r.to.toLowerCase()}`, {
          ...email,
          to: r.to,
          template: `reseller-change.completed.${r.audience}`,
        });
      }
    },
  };
}
