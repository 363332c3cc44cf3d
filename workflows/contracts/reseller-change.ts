// The reseller change's contract (DOMAIN.md X1-X4): a code to every admin, valid 72 hours, one use.
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { LifecycleView } from './common';

export const resellerChangeWorkflowId = (requestId: string): string => `reseller-change:${requestId}`;

export interface ResellerChangeInput {
  requestId: string;
  newResellerId: string;
  requestedBy: string;
  vipId: string;
  adminEmail: string;
  /** X2: how long the code is valid ("72 hours"). */
  codeTtl: string;
  /** Wrong codes allowed before the request locks, so a code cannot be guessed. */
  maxAttempts: number;
}

export type ResellerChangeStatus = 'issuing' | 'pending' | 'redeemed' | 'expired' | 'locked';

export interface ResellerChangeState extends LifecycleView {
  requestId: string;
  status: ResellerChangeStatus;
  expiresAt: string | null;
  failedAttempts: number;
  /** The customer that moved, once redeemed (X2). */
  customerId: string | null;
}

export interface ResellerChangeResult {
  requestId: string;
  status: ResellerChangeStatus;
  customerId: string | null;
}

/** X2: redeem the code (its SHA-256, hex); answers with the moved customer or a typed refusal. */
export const redeemCodeUpdate = defineUpdate<ResellerChangeResult, [{ codeHash: string; actor: string }]>('redeemCode');
export const resellerChangeStateQuery = defineQuery<ResellerChangeState>('resellerChangeState');
