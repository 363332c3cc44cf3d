import { ApplicationFailure } from '@temporalio/activity';
import * as customers from '../db/customers';
import { durationMs } from '../workflows/duration';
import { InvitationFailure, type InvitationInput, type Registration } from '../workflows/definitions';
import { type ActivityDeps, sendLinkEmail } from './mailer';
import { renderInvitationEmail } from './templates/invitation';

/** Activities of the customer invitation: each one side effect, safe to repeat for the same business key. */
export function createCustomerActivities(deps: ActivityDeps) {
  const { sql, config } = deps;
  return {
    /** C1/C2: stores the customer and issues its VIP id; a repeat returns the same VIP id. */
    async registerCustomer(input: InvitationInput): Promise<Registration> {
      const { vipId } = await customers.registerCustomer(sql, input);
      return { customerId: input.customerId, vipId };
    },

    /**
     * C3/T4: a reminder (or support's retry) may go to a corrected address; the contact's email follows, and the
     * links sent to the old address stop working.
     */
    async changeContactEmail(args: { customerId: string; email: string; actor: string }): Promise<void> {
      await customers.changeContactEmail(sql, args);
    },

    /**
     * C2/T3: emails the contact a single-use acceptance link with a random token, only its hash stored; a retry
     * that has not sent yet replaces it (sendLinkEmail), and a sent email is never sent again.
     */
    async sendInvitationEmail(args: {
      customerId: string;
      kind: 'invitation' | 'reminder';
      key: string;
    }): Promise<'sent' | 'already-sent'> {
      const c = await customers.findInvitationRecipient(sql, args.customerId);
      if (!c) throw ApplicationFailure.nonRetryable(`customer ${args.customerId} not found`, 'CustomerNotFound');
      return sendLinkEmail(deps, args.key, {
        link: {
          purpose: 'invitation',
          customerId: args.customerId,
          expiresAt: new Date(Date.now() + durationMs(config.INVITATION_LINK_TTL)),
        },
        to: c.contactEmail,
        template: `invitation.${args.kind}`,
        path: '/invitations/accept',
        render: (link) =>
          renderInvitationEmail({ ...c, kind: args.kind, acceptUrl: link.url, linkExpiresAt: link.expiresAt }),
      });
    },

    /**
     * C2/C4/T3: marks the invitation Accepted and spends every acceptance link of the customer, in one
     * transaction. Refused (non-retryable) for a spent or expired link, or when C4 forbids it.
     */
    async acceptInvitation(args: { customerId: string; tokenHash: string }): Promise<void> {
      const result = await customers.acceptInvitation(sql, {
        customerId: args.customerId,
        tokenHash: Buffer.from(args.tokenHash, 'hex'),
      });
      if (result.outcome === 'link-invalid') {
        throw ApplicationFailure.nonRetryable(
          'This invitation link is no longer valid.',
          InvitationFailure.LinkInvalid,
        );
      }
      if (result.outcome === 'duplicate-admin') {
        throw ApplicationFailure.nonRetryable(
          `${result.contactEmail} is already the primary admin of another customer named "${result.organizationName}".`,
          InvitationFailure.DuplicatePrimaryAdmin,
        );
      }
    },

    /** C3/C8: deletes a customer that has no products, with its links; refused otherwise. */
    async deleteCustomer(args: { customerId: string; actor: string }): Promise<void> {
      const outcome = await customers.deleteCustomerWithoutProducts(sql, args.customerId, args.actor);
      if (outcome === 'has-products') {
        throw ApplicationFailure.nonRetryable(
          'The customer has products and cannot be deleted.',
          InvitationFailure.HasProducts,
        );
      }
    },
  };
}
