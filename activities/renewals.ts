import { ApplicationFailure } from '@temporalio/activity';
import { renewalTerms } from '../config/terms';
import {
  type CommitmentOutcome,
  commitThreeYears,
  currentRenewalDate,
  expireRenewalLicenses,
  findRenewalProfile,
  recordRenewalOrder,
} from '../db/renewals';
import { noticePartiesOf } from '../db/reseller-users';
import {
  RenewalFailure,
  type RenewalNotice,
  type RenewalInput as RenewalSchedule,
  type RenewalTiming,
  renewalWorkflowId,
} from '../workflows/definitions';
import type { ActivityDeps } from './mailer';
import { sendNotices } from './notices';
import { renderRenewalNotice } from './templates/renewal';

/** R5: why a commitment was refused, by what the database found. */
const COMMITMENT_REFUSALS: Partial<Record<CommitmentOutcome, string>> = {
  'no-customer': 'The customer no longer exists.',
  'extended-term': 'A 3-year commitment is not available on an extended prepaid term (R5).',
  'no-vip-select': 'A 3-year commitment needs VIP Select first: at least 10 licenses in a term (R5).',
};

/**
 * Activities of the renewal (R1-R5): each one side effect, safe to repeat for the same customer and anniversary.
 * None takes a reseller from the run's input: db/ reads the customer's current reseller at each step.
 */
export function createRenewalActivities(deps: ActivityDeps) {
  const { sql, config } = deps;
  return {
    /**
     * R1/C5: the customer's current renewal date, once its anniversary is set (however it was set), with the
     * configured terms, so that the lifecycle that set it starts the renewal run. Null while there is none.
     */
    async renewalScheduleOf(args: { customerId: string }): Promise<RenewalSchedule | null> {
      const profile = await findRenewalProfile(sql, null, args.customerId);
      const anniversaryDate = profile ? currentRenewalDate(profile) : null;
      if (!profile || !anniversaryDate) return null;
      return {
        customerId: args.customerId,
        resellerId: profile.resellerId,
        anniversaryDate,
        terms: renewalTerms(config),
      };
    },

    /**
     * R1/R2: a notice to the customer's contact and to its current reseller's ordering users, each email keyed
     * by the term, the notice and the recipient. Returns how many recipients there were.
     */
    async sendRenewalNotice(args: {
      customerId: string;
      anniversaryDate: string;
      kind: RenewalNotice;
    }): Promise<number> {
      const parties = await noticePartiesOf(sql, args.customerId);
      if (!parties) return 0; // the customer has gone (deleted): nobody to tell
      return sendNotices(deps, parties, {
        key: `${renewalWorkflowId(args.customerId, args.anniversaryDate)}/${args.kind}`,
        template: `renewal.${args.kind}`,
        render: (to) => renderRenewalNotice({ ...to, anniversaryDate: args.anniversaryDate, kind: args.kind }),
      });
    },

    /** R2/R3/R4: the renewal order, in the history of the reseller that owns the customer now. */
    async recordRenewal(args: {
      customerId: string;
      renewalDate: string;
      timing: RenewalTiming;
      quantity: number;
      actor: string;
    }): Promise<{ termEndsOn: string }> {
      const recorded = await recordRenewalOrder(sql, args);
      if (!recorded)
        throw ApplicationFailure.nonRetryable('The customer no longer exists.', RenewalFailure.CustomerGone);
      return recorded;
    },

    /** R2: no renewal inside the window: the customer's VIP (purchase authorization) licenses expire. */
    async expireRenewal(args: { customerId: string; renewalDate: string }): Promise<{ expired: number }> {
      return { expired: await expireRenewalLicenses(sql, args) };
    },

    /** R5: a 3-year commitment, only after VIP Select and never on an extended prepaid term. */
    async commitThreeYears(args: { customerId: string; quantity: number; actor: string }): Promise<void> {
      const refusal = COMMITMENT_REFUSALS[await commitThreeYears(sql, args)];
      if (refusal) throw ApplicationFailure.nonRetryable(refusal, RenewalFailure.CommitmentRefused);
    },
  };
}
