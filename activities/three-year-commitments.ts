// R5: the 3-year commitment's steps (workflows/three-year-commitment.ts): each one change, safe to repeat.
import { ApplicationFailure } from '@temporalio/activity';
import { noticePartiesOf } from '../db/reseller-users';
import * as commitments from '../db/three-year-commitments';
import { ThreeYearCommitmentFailure, threeYearCommitmentWorkflowId } from '../workflows/definitions';
import type { ActivityDeps } from './mailer';
import { sendNotices } from './notices';
import { renderThreeYearCommitmentNotice } from './templates/three-year-commitment';

export function createThreeYearCommitmentActivities(deps: ActivityDeps) {
  const { sql } = deps;
  return {
    /** Accepted: the price locked, the customer's committed quantity set. */
    async acceptThreeYearCommitment(args: { commitmentId: string; actor: string }): Promise<{ committedAt: string }> {
      const accepted = await commitments.acceptThreeYearCommitment(sql, args);
      if (accepted === 'not-requested')
        throw ApplicationFailure.nonRetryable(
          'The 3-year commitment is no longer requested.',
          ThreeYearCommitmentFailure.NotRequested,
        );
      return accepted;
    },

    async invoiceThreeYearCommitmentYear(args: { commitmentId: string; year: number; dueAt: string }): Promise<void> {
      await commitments.invoiceThreeYearCommitmentYear(sql, args);
    },

    async closeThreeYearCommitment(args: {
      commitmentId: string;
      status: 'declined' | 'cancelled' | 'expired';
      actor: string;
    }): Promise<void> {
      await commitments.closeThreeYearCommitment(sql, args);
    },

    /** The request, or a year's payment, to the customer's contact and the reseller's users; once per recipient. */
    async sendThreeYearCommitmentNotice(args: {
      commitmentId: string;
      kind: 'requested' | 'payment';
      year: number;
    }): Promise<number> {
      const c = await commitments.findThreeYearCommitment(sql, args.commitmentId);
      const parties = c && (await noticePartiesOf(sql, c.customerId));
      if (!c || !parties) return 0;
      const payment = c.payments.find((p) => p.year === args.year);
      return sendNotices(deps, parties, {
        key: `${threeYearCommitmentWorkflowId(c.id)}/${args.kind}/${args.year}`,
        template: `three-year-commitment.${args.kind}`,
        render: (to) =>
          renderThreeYearCommitmentNotice({
            ...to,
            kind: args.kind,
            product: c.product,
            quantity: c.quantity,
            acceptBy: c.acceptBy,
            year: args.year,
            amountMinor: payment?.amountMinor ?? null,
            currency: c.currency,
          }),
      });
    },
  };
}
