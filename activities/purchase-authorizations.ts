import { ApplicationFailure } from '@temporalio/activity';
import {
  assignPurchaseAuthorizationLicenses,
  changePurchaseAuthorizationStatus,
  purchaseAuthorizationSummary,
  recordPurchaseAuthorizationOrder,
  storePurchaseAuthorization,
} from '../db/purchase-authorizations';
import { noticePartiesOf } from '../db/reseller-users';
import {
  PurchaseAuthorizationFailure,
  type PurchaseAuthorizationInput,
  type PurchaseAuthorizationNotice,
  type PurchaseAuthorizationPayment,
  type PurchaseAuthorizationTransition,
  purchaseAuthorizationWorkflowId,
} from '../workflows/definitions';
import type { ActivityDeps } from './mailer';
import { sendNotices } from './notices';
import { renderPurchaseAuthorizationNotice } from './templates/purchase-authorization';

/** Activities of the purchase authorization (P1-P5): each one side effect, safe to repeat for the same PA. */
export function createPurchaseAuthorizationActivities(deps: ActivityDeps) {
  const { sql } = deps;
  return {
    /** P1: stores the PA with its active license; a refusal (T1, P2, C6) is the lifecycle's `Refused`. */
    async storePurchaseAuthorization(args: { input: PurchaseAuthorizationInput }): Promise<{ createdAt: string }> {
      const outcome = await storePurchaseAuthorization(sql, args.input);
      if (outcome.refused !== null)
        throw ApplicationFailure.nonRetryable(outcome.refused, PurchaseAuthorizationFailure.Refused);
      return { createdAt: outcome.createdAt };
    },

    /** P1/P2: an order placed under the PA. */
    async recordPurchaseAuthorizationOrder(args: { paId: string; actor: string }): Promise<void> {
      await recordPurchaseAuthorizationOrder(sql, args);
    },

    /**
     * P2-P4: the PA and its license move to a status; paid with a payment, it enters the balance (D6). A payment
     * whose reference or provider event already paid something else is refused (`NotChangeable`), nothing changed.
     */
    async changePurchaseAuthorizationStatus(args: {
      paId: string;
      to: PurchaseAuthorizationTransition;
      actor: string;
      payment?: PurchaseAuthorizationPayment;
    }): Promise<void> {
      const outcome = await changePurchaseAuthorizationStatus(sql, args);
      if (outcome === 'reference_used')
        throw ApplicationFailure.nonRetryable(
          'This payment (its reference or provider event) was already recorded for another payment (P2).',
          PurchaseAuthorizationFailure.NotChangeable,
        );
    },

    /** P5: how many of the PA's licenses are assigned to users. */
    async assignPurchaseAuthorizationLicenses(args: { paId: string; assigned: number; actor: string }): Promise<void> {
      await assignPurchaseAuthorizationLicenses(sql, args);
    },

    /**
     * P2: tells the customer's contact and its CURRENT reseller's ordering users (db/reseller-users.ts) about the
     * PA's payment deadlines. Each email is keyed by the PA, the notice and the recipient, so a repeat sends only
     * what has not gone yet. Returns how many recipients there were.
     */
    async sendPurchaseAuthorizationNotice(args: {
      paId: string;
      notice: PurchaseAuthorizationNotice;
      /** ISO instants of the PA's deadlines, as the lifecycle counts them. */
      overdueAt: string;
      deactivateAt: string;
    }): Promise<number> {
      const pa = await purchaseAuthorizationSummary(sql, args.paId);
      const parties = pa ? await noticePartiesOf(sql, pa.customerId) : null;
      if (!pa || !parties) return 0; // nothing stored, or the customer is gone: nobody to tell
      return sendNotices(deps, parties, {
        key: `${purchaseAuthorizationWorkflowId(args.paId)}/${args.notice}`,
        template: `purchase-authorization.${args.notice}`,
        render: (to) =>
          renderPurchaseAuthorizationNotice({
            ...to,
            notice: args.notice,
            product: pa.product,
            quantity: pa.quantity,
            overdueOn: args.overdueAt.slice(0, 10),
            deactivateOn: args.deactivateAt.slice(0, 10),
          }),
      });
    },
  };
}
