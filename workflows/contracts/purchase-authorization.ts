// The purchase authorization's contract (DOMAIN.md P1-P5): pending → ordered → paid | overdue →
// deactivated; cancellable while pending and unassigned, returnable after an order.
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import { durationMs } from '../duration';
import type { LifecycleView } from './common';

/** P4: the processing time of a return, for runs whose terms predate the setting (PA_RETURN_PROCESSING). */
export const RETURN_PROCESSING_DEFAULT = '2 days';

export const purchaseAuthorizationWorkflowId = (paId: string): string => `purchase-authorization:${paId}`;

export type PurchaseAuthorizationStatus =
  | 'registering'
  | 'pending'
  | 'ordered'
  | 'paid'
  | 'overdue'
  | 'deactivated'
  | 'cancelled'
  /** P4: a return authorization was requested; processed after `terms.returnProcessing`, the PA is returned. */
  | 'return_requested'
  | 'returned'
  | 'refused';

/** The statuses the lifecycle moves a stored PA to (each writes its timestamp and changes the PA's license). */
export type PurchaseAuthorizationTransition = Extract<
  PurchaseAuthorizationStatus,
  'paid' | 'overdue' | 'deactivated' | 'cancelled' | 'return_requested' | 'returned'
>;

/** P2: what the reseller and the customer are told: warned before each deadline, told when it passed. */
export type PurchaseAuthorizationNotice = 'overdue_warning' | 'overdue' | 'deactivation_warning' | 'deactivated';

export interface PurchaseAuthorizationTerms {
  /** P2: overdue this long after the PA ("31 days"): licenses usable, no new PAs. */
  overdueAfter: string;
  /** P2: licenses deactivated this long after the PA ("61 days") unless paid. */
  deactivateAfter: string;
  /** P4: a return can be requested this long after the order ("14 days"). */
  returnWindow: string;
  /**
   * P4: a requested return is processed (the PA returned, its licenses with it) this long after the request
   * ("2 days"). Optional only for runs started before returns were requests: they take RETURN_PROCESSING_DEFAULT.
   */
  returnProcessing?: string;
  /**
   * P2: the reseller and the customer are warned this long before overdue and before deactivation ("7 days").
   * Optional only for starters that predate it (they build terms by hand): without it, no advance warning is
   * sent (the overdue and deactivated notices still are). config/terms.ts `purchaseAuthorizationTerms` sets it.
   */
  warnBefore?: string;
}

export interface PurchaseAuthorizationInput {
  paId: string;
  /**
   * The tenant asking for the PA: it must own the customer when the PA is stored (T1), and it tags the run
   * (ResellerId search attribute). What the PA writes and whom it tells follow the customer's CURRENT reseller.
   */
  resellerId: string;
  customerId: string;
  createdBy: string;
  product: string;
  quantity: number;
  /** C6: an extended prepaid term chosen with the customer's first purchase; null for 12 months. */
  extendedTermMonths: number | null;
  /** P2: what the PA costs, when it was priced at creation: its payment must cover it. Absent in older runs. */
  amount?: PurchaseAuthorizationAmount | null;
  /**
   * R4: price the PA from the catalog in this price list (a currency) as it is stored, the customer's VIP Select
   * discount applied; the API then starts the run with that `amount`. Absent: `amount` as given, or unpriced.
   */
  priceList?: string | null;
  terms: PurchaseAuthorizationTerms;
  /** When the PA was stored (the API stores it as the run starts): the deadlines count from it. Absent in older runs. */
  createdAt?: string;
}

/** Money in integer minor units with its currency, as everywhere in the engine. */
export interface PurchaseAuthorizationAmount {
  amountMinor: number;
  currency: string;
}

/**
 * P2/D6: the evidence of a payment: the payment provider's signed event, or a payment a `billing` user recorded
 * with its reference (unique per reseller). Its id is fixed by the API, so a retried step records it once.
 */
export interface PurchaseAuthorizationPayment extends PurchaseAuthorizationAmount {
  paymentId: string;
  source: 'provider' | 'recorded';
  /** The provider's event id (source `provider`). */
  providerEventId: string | null;
  /** The reference a billing user gave (source `recorded`): the bank transfer's, the receipt's. */
  reference: string | null;
}

/** P2: the payment's shortfall against the PA's amount, in words; null when it covers it. */
export function paymentShortfall(
  amount: PurchaseAuthorizationAmount | null | undefined,
  payment: PurchaseAuthorizationAmount,
): string | null {
  if (!amount) return null;
  if (payment.currency !== amount.currency)
    return `The payment is in ${payment.currency}; the purchase authorization is priced in ${amount.currency}.`;
  if (payment.amountMinor < amount.amountMinor)
    return (
      `The payment of ${payment.amountMinor} (minor units of ${payment.currency}) does not cover the purchase ` +
      `authorization's ${amount.amountMinor}.`
    );
  return null;
}

/** P2: both deadlines count from the PA, whatever happens in between: the run's timers and the API's answer alike. */
export function purchaseAuthorizationDeadlines(createdAt: number, terms: PurchaseAuthorizationTerms) {
  return {
    overdueAt: createdAt + durationMs(terms.overdueAfter),
    deactivateAt: createdAt + durationMs(terms.deactivateAfter),
  };
}

export interface PurchaseAuthorizationState extends LifecycleView {
  paId: string;
  status: PurchaseAuthorizationStatus;
  /** Whether the customer can use the licenses now (P1, P2). */
  licensesActive: boolean;
  quantity: number;
  licensesAssigned: number;
  createdAt: string;
  orderedAt: string | null;
  paidAt: string | null;
  overdueAt: string;
  deactivateAt: string;
  returnableUntil: string | null;
  /** P4: when the return was requested, and when it is processed; null until one is requested. */
  returnRequestedAt: string | null;
  returnProcessedBy: string | null;
  /** Why the PA was refused when it was stored (no new PAs while overdue, C6). */
  refusal: string | null;
  /** P2: the notices sent so far, in order. */
  noticesSent: PurchaseAuthorizationNotice[];
}

/** Answers once the PA is stored with its licenses, or refused. */
export const purchaseAuthorizationStoredUpdate =
  defineUpdate<PurchaseAuthorizationState>('purchaseAuthorizationStored');
/** P1/P2: an order is placed under the PA. */
export const placeOrderUpdate = defineUpdate<PurchaseAuthorizationState, [{ actor: string }]>('placeOrder');
/** P2: payment is remitted, with its evidence (D6: it enters the balance); at any point it restores the licenses. */
export const recordPaymentUpdate = defineUpdate<
  PurchaseAuthorizationState,
  [{ actor: string; payment: PurchaseAuthorizationPayment }]
>('recordPayment');
/** P3: cancel while pending and no license is assigned; the customer loses access. */
export const cancelPurchaseAuthorizationUpdate = defineUpdate<PurchaseAuthorizationState, [{ actor: string }]>(
  'cancelPurchaseAuthorization',
);
/** P4: after an order, a return authorization instead of a cancellation. */
export const requestReturnUpdate = defineUpdate<PurchaseAuthorizationState, [{ actor: string }]>('requestReturn');
/** P5: how many of the PA's licenses are assigned to users. */
export const assignLicensesUpdate = defineUpdate<PurchaseAuthorizationState, [{ assigned: number; actor: string }]>(
  'assignLicenses',
);
export const purchaseAuthorizationStateQuery = defineQuery<PurchaseAuthorizationState>('purchaseAuthorizationState');
