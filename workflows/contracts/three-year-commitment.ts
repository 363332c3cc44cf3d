// R5: the 3-year commitment's contract. Requested by the reseller (after VIP Select, never on an extended prepaid
// term), accepted by the customer within a window or declined when it closes, cancellable while requested;
// committed, a fixed unit price for a fixed quantity, a payment at acceptance and at each anniversary of it; expired
// after three years.
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { LifecycleView } from './common';

export const threeYearCommitmentWorkflowId = (commitmentId: string): string => `three-year-commitment:${commitmentId}`;

export type ThreeYearCommitmentStatus = 'requested' | 'committed' | 'declined' | 'cancelled' | 'expired';

export interface ThreeYearCommitmentInput {
  commitmentId: string;
  customerId: string;
  resellerId: string;
  /** The end of the window to accept (ISO), fixed by the API from THREE_YEAR_COMMITMENT_ACCEPT_WITHIN. */
  acceptBy: string;
}

export interface ThreeYearCommitmentState extends LifecycleView {
  commitmentId: string;
  customerId: string;
  status: ThreeYearCommitmentStatus;
  acceptBy: string;
  committedAt: string | null;
  /** Payments invoiced so far (1-3). */
  paymentsInvoiced: number;
}

/** The customer's acceptance, recorded by the portal (the actor names who accepted). */
export const acceptThreeYearCommitmentUpdate = defineUpdate<ThreeYearCommitmentState, [{ actor: string }]>(
  'acceptThreeYearCommitment',
);
export const cancelThreeYearCommitmentUpdate = defineUpdate<ThreeYearCommitmentState, [{ actor: string }]>(
  'cancelThreeYearCommitment',
);
export const threeYearCommitmentStateQuery = defineQuery<ThreeYearCommitmentState>('threeYearCommitmentState');
