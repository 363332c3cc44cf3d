import { ApplicationFailure } from '@temporalio/activity';
import * as subscriptions from '../db/subscriptions';
import { SubscriptionFailure, type SubscriptionInput } from '../workflows/definitions';
import { type ActivityDeps, sendLinkEmail } from './mailer';
import { renderSubscriptionContactEmail } from './templates/subscription-contact';

/** Activities of the per-user subscription (E1-E3): each one side effect, safe to repeat for the same business key. */
export function createSubscriptionActivities(deps: ActivityDeps) {
  const { sql } = deps;
  return {
    /** E1/E2: stores the subscription and its contact; a repeat finds them stored and changes nothing. */
    async storeSubscription(input: SubscriptionInput): Promise<void> {
      await subscriptions.storeSubscription(sql, input);
    },

    /**
     * E2/T3: emails the contact a single-use account-setup link with a random token, only its hash stored; a
     * retry that has not sent yet replaces it (sendLinkEmail), and a sent email is never sent again.
     */
    async sendSubscriptionContactEmail(args: {
      subscriptionId: string;
      key: string;
      expiresAt: string;
    }): Promise<'sent' | 'already-sent'> {
      const s = await subscriptions.findContactInvitation(sql, args.subscriptionId);
      if (!s)
        throw ApplicationFailure.nonRetryable(
          `subscription ${args.subscriptionId} has no contact`,
          'SubscriptionContactNotFound',
        );
      return sendLinkEmail(deps, args.key, {
        link: {
          purpose: 'subscription_contact',
          subscriptionId: args.subscriptionId,
          expiresAt: new Date(args.expiresAt),
        },
        to: s.contactEmail,
        template: 'subscription.contact-invitation',
        path: '/subscription-contact/setup',
        render: (link) =>
          renderSubscriptionContactEmail({
            ...s,
            productName: subscriptions.PRODUCT_NAMES[s.product],
            email: s.contactEmail,
            setupUrl: link.url,
            linkExpiresAt: link.expiresAt,
          }),
      });
    },

    /**
     * E2/T3: the contact's details, stored as the link is spent; the password's hash was stored beforehand
     * by the API (storeContactPassword), so it never enters workflow history. Refused (non-retryable) for a
     * spent, expired or foreign link, or when no password was set.
     */
    async completeSubscriptionContactSetup(args: {
      subscriptionId: string;
      tokenHash: string;
      name: string;
      phone: string | null;
    }): Promise<void> {
      const outcome = await subscriptions.completeContactSetup(sql, {
        ...args,
        tokenHash: Buffer.from(args.tokenHash, 'hex'),
      });
      if (outcome === 'link-invalid') {
        throw ApplicationFailure.nonRetryable(
          'This account setup link is no longer valid, or no password was set.',
          SubscriptionFailure.LinkInvalid,
        );
      }
    },

    /** E2: the link ran out in workflow time; the stored one stops working now, whatever its stored expiry. */
    async expireSubscriptionContactLinks(args: { subscriptionId: string }): Promise<void> {
      await subscriptions.expireContactLinks(sql, args.subscriptionId);
    },

    /** E3: the reseller changes the number of users; the audit trail keeps before and after. */
    async changeSubscriptionUsers(args: { subscriptionId: string; users: number; actor: string }): Promise<void> {
      const result = await subscriptions.changeSubscriptionUsers(sql, args);
      if (result.outcome === 'not-active') {
        throw ApplicationFailure.nonRetryable(`The subscription is ${result.status}.`, SubscriptionFailure.NotActive);
      }
    },

    /** E3: the month from `periodStart` invoiced at the users and price of now; once per month. */
    async invoiceSubscriptionMonth(args: { subscriptionId: string; periodStart: string; periodEnd: string }) {
      await subscriptions.invoiceSubscriptionMonth(sql, args);
    },

    /** Ends the subscription: inactive, and its contact's link stops working (sessions end with it). */
    async cancelSubscription(args: { subscriptionId: string; actor: string }): Promise<void> {
      await subscriptions.cancelSubscription(sql, args);
    },
  };
}
