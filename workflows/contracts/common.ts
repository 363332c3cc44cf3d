// What every lifecycle shares: the search attributes operators filter on and the support messages (T4) every
// lifecycle answers (the kernel's refusals are in refusals.ts).
import { type Duration, defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

// --- Search attributes (registered on the dev server by scripts/lib.sh) ---------------------------
export const ResellerIdKey = defineSearchAttributeKey('ResellerId', SearchAttributeType.KEYWORD);
export const CustomerIdKey = defineSearchAttributeKey('CustomerId', SearchAttributeType.KEYWORD);
export const LifecycleKey = defineSearchAttributeKey('Lifecycle', SearchAttributeType.KEYWORD);
export const LifecycleStatusKey = defineSearchAttributeKey('LifecycleStatus', SearchAttributeType.KEYWORD);
/** T4: true while a step has failed for good and waits for support (filter `NeedsAttention = true`). */
export const NeedsAttentionKey = defineSearchAttributeKey('NeedsAttention', SearchAttributeType.BOOL);
export const SEARCH_ATTRIBUTES = [ResellerIdKey, CustomerIdKey, LifecycleKey, LifecycleStatusKey, NeedsAttentionKey];
export const SEARCH_ATTRIBUTE_NAMES = SEARCH_ATTRIBUTES.map((k) => k.name);

/** The lifecycles, as named in the `Lifecycle` search attribute. */
export type LifecycleName =
  | 'invitation'
  | 'reseller-change'
  | 'subscription'
  | 'order'
  | 'trial'
  | 'billing'
  | 'purchase-authorization'
  | 'renewal'
  | 'user-invitation'
  | 'webhook-endpoint'
  | 'three-year-commitment';

// --- Support (T4) ----------------------------------------------------------------------------------
/** A step that failed for good and waits for support; the steps before it are not redone. */
export interface Incident {
  step: string;
  error: string;
  errorType: string | null;
  /** When the step first failed for good (ISO). */
  since: string;
  /** Times support has retried it. */
  retries: number;
  skippable: boolean;
}

/** What support sends to retry a step, optionally with a corrected input (a corrected email address). */
export interface RetryStepArgs {
  actor: string;
  reason?: string;
  correction?: { email?: string };
}
export interface SkipStepArgs {
  actor: string;
  reason: string;
}
export interface SupportActionResult {
  step: string;
  action: 'retried' | 'skipped';
  /** After a retry: whether the step went through, or failed again (the incident stays open). */
  outcome: 'done' | 'failed_again';
  error: string | null;
}

/** Retries of one class of step (database, email) before it fails for good and waits for support. */
export interface RetryBudget {
  maximumAttempts: number;
  initialInterval: Duration;
  maximumInterval: Duration;
  /** How long one attempt may take before it is retried (a killed worker's step is retried after this). */
  startToCloseTimeout: Duration;
}
export interface StepPolicy {
  database: RetryBudget;
  email: RetryBudget;
}
/** The memo key under which the starter passes the configured StepPolicy to a lifecycle. */
export const STEP_POLICY_MEMO = 'stepPolicy';

export const incidentQuery = defineQuery<Incident | null>('incident');
/** T4: run the failed step again (with a corrected input when given); answers once it has been re-run. */
export const retryStepUpdate = defineUpdate<SupportActionResult, [RetryStepArgs]>('retryStep');
/** T4: go on without the failed step, for a reason that is audited. */
export const skipStepUpdate = defineUpdate<SupportActionResult, [SkipStepArgs]>('skipStep');

/**
 * X2: the customer moved to another reseller; the run's ResellerId search attribute follows, so operators
 * filtering the Temporal UI by reseller find the run under its owner (activities read the owner themselves).
 */
export const ownerChangedSignal = defineSignal<[{ resellerId: string }]>('ownerChanged');

/** The business keys of a customer's lifecycles that may still be running, to tell them of a new owner. */
export interface CustomerLifecycleKeys {
  orders: { id: string; kind: 'order' | 'trial' }[];
  purchaseAuthorizations: string[];
  /** Orders with a billing subscription. */
  billing: string[];
  subscriptions: string[];
  /** The current term's renewal date, if the anniversary is set. */
  renewalDate: string | null;
}

/** Every lifecycle's state query carries its incident, so operators see the error beside the state. */
export interface LifecycleView {
  incident: Incident | null;
}
