// The renewal's contract (DOMAIN.md R1-R5, C5, C6): one run per anniversary; notices from 45 days out,
// a renewal window around the date, expiry without a renewal; the next term's run starts on renewal.
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { LifecycleView } from './common';

export const renewalWorkflowId = (customerId: string, anniversaryDate: string): string =>
  `renewal:${customerId}:${anniversaryDate}`;

export interface RenewalTerms {
  /** R1: notices start this long before the anniversary ("45 days"). */
  noticeBefore: string;
  /** R2: early renewal opens this long before ("30 days")… */
  earlyFrom: string;
  /** …and runs until this long before ("1 day"); on-time renewal from then to the date. */
  earlyUntil: string;
  /** R2: late renewal up to this long after ("14 days"); then the licenses expire. */
  lateUntil: string;
}

export interface RenewalInput {
  customerId: string;
  /**
   * The customer's reseller when the run started: for the ResellerId search attribute only. The renewal's steps
   * read the customer's CURRENT reseller from the database (a reseller change moves the customer).
   */
  resellerId: string;
  /** The date this term ends and the next starts (YYYY-MM-DD, midnight UTC). */
  anniversaryDate: string;
  terms: RenewalTerms;
}

export type RenewalStatus = 'scheduled' | 'upcoming' | 'ready' | 'late' | 'renewed' | 'expired';
export type RenewalTiming = 'early' | 'on_time' | 'late';
/** R1: the upcoming renewal (from 45 days out); R2: the renewal window is open. */
export type RenewalNotice = 'upcoming' | 'ready';

export interface RenewalState extends LifecycleView {
  customerId: string;
  anniversaryDate: string;
  status: RenewalStatus;
  noticesSent: number;
  windowOpensAt: string;
  windowClosesAt: string;
  renewedQuantity: number | null;
  nextAnniversaryDate: string | null;
}

/** R2/R3: a renewal order inside the window; refused outside it. */
export const renewUpdate = defineUpdate<RenewalState, [{ quantity: number; actor: string }]>('renew');
/** R5: a 3-year commitment, after VIP Select and never on an extended prepaid term. */
export const commitThreeYearsUpdate = defineUpdate<RenewalState, [{ quantity: number; actor: string }]>(
  'commitThreeYears',
);
export const renewalStateQuery = defineQuery<RenewalState>('renewalState');
