import type { Client, WorkflowHandle } from '@temporalio/client';
import type { Config } from '../../config';
import { renewalTerms } from '../../config/terms';
import type { RenewalWindowDays } from '../../db/customers';
import { currentRenewalDate, type RenewalProfile } from '../../db/renewals';
import { type RenewalInput, renewalWorkflowId } from '../../workflows/definitions';
import { durationMs } from '../../workflows/duration';
import { ensureLifecycle } from '../http/lifecycles';

const DAY_MS = 24 * 60 * 60 * 1000;

/** D1: the same R1/R2 windows in whole days, for the list filters "upcoming renewals" and "ready for renewal". */
export const renewalWindowDays = (config: Config): RenewalWindowDays => ({
  noticeBefore: Math.round(durationMs(config.RENEWAL_NOTICE_BEFORE) / DAY_MS),
  earlyFrom: Math.round(durationMs(config.RENEWAL_EARLY_FROM) / DAY_MS),
  lateUntil: Math.round(durationMs(config.RENEWAL_LATE_UNTIL) / DAY_MS),
});

/**
 * The run of the customer's current term (renewal:<customerId>:<date>), started on first need: once the
 * anniversary is set (C5), a repeat finds the running or finished one. Null while there is no anniversary.
 */
export async function ensureRenewal(
  temporal: Client,
  config: Config,
  p: RenewalProfile,
): Promise<WorkflowHandle | null> {
  const date = currentRenewalDate(p);
  if (!date) return null;
  const input: RenewalInput = {
    customerId: p.customerId,
    resellerId: p.resellerId,
    anniversaryDate: date,
    terms: renewalTerms(config),
  };
  return ensureLifecycle(temporal, config, {
    workflowType: 'renewalWorkflow',
    workflowId: renewalWorkflowId(p.customerId, date),
    args: [input],
    lifecycle: 'renewal',
    resellerId: p.resellerId,
    customerId: p.customerId,
  });
}
