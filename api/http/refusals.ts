import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import {
  BillingFailure,
  InvitationFailure,
  LifecycleFailure,
  OrderFailure,
  PurchaseAuthorizationFailure,
  RenewalFailure,
  ThreeYearCommitmentFailure,
  ResellerChangeFailure,
  SubscriptionFailure,
} from '../../workflows/definitions';
import { HttpError } from './errors';

// The one table from the refusals the workflows' contracts name (ApplicationFailure.type) to HTTP answers.

type ValueOf<T> = T[keyof T];
/** Every refusal type a lifecycle may answer an update with. */
export type FailureType =
  | ValueOf<typeof InvitationFailure>
  | ValueOf<typeof OrderFailure>
  | ValueOf<typeof SubscriptionFailure>
  | ValueOf<typeof RenewalFailure>
  | ValueOf<typeof BillingFailure>
  | ValueOf<typeof PurchaseAuthorizationFailure>
  | ValueOf<typeof ResellerChangeFailure>
  | ValueOf<typeof ThreeYearCommitmentFailure>
  | ValueOf<typeof LifecycleFailure>;

interface Answer {
  status: number;
  retryAfterSeconds?: number;
}

const RULE: Answer = { status: 409 };
/** A single-use link that is spent, expired or replaced: what the link pages answer. */
const GONE: Answer = { status: 410 };
/** Input the workflow's validator refused although the API's schema let it through. */
const UNPROCESSABLE: Answer = { status: 422 };

// `satisfies` makes the table exhaustive: a failure type added to a contract fails the type check here.
export const REFUSALS = {
  [InvitationFailure.NotPending]: RULE,
  [InvitationFailure.DuplicatePrimaryAdmin]: RULE,
  [InvitationFailure.LinkInvalid]: GONE,
  [InvitationFailure.HasProducts]: RULE,
  [OrderFailure.LinkInvalid]: GONE,
  [OrderFailure.AlreadyActivated]: RULE,
  [OrderFailure.NotChangeable]: RULE,
  [OrderFailure.TrialAtMaxLength]: RULE,
  [OrderFailure.Invalid]: UNPROCESSABLE,
  [SubscriptionFailure.NotActive]: RULE,
  [SubscriptionFailure.ContactSetupClosed]: GONE,
  [SubscriptionFailure.ContactNotExpired]: RULE,
  [SubscriptionFailure.LinkInvalid]: GONE,
  [SubscriptionFailure.InvalidUserCount]: UNPROCESSABLE,
  [SubscriptionFailure.ContactInvalid]: UNPROCESSABLE,
  [RenewalFailure.OutsideWindow]: RULE,
  [RenewalFailure.CommitmentRefused]: RULE,
  [RenewalFailure.Invalid]: UNPROCESSABLE,
  [RenewalFailure.AlreadyRenewed]: RULE,
  [RenewalFailure.Expired]: RULE,
  [RenewalFailure.CustomerGone]: GONE,
  [ThreeYearCommitmentFailure.NotRequested]: RULE,
  [BillingFailure.NotAllowed]: RULE,
  [BillingFailure.NotStarted]: RULE,
  [BillingFailure.NotFound]: { status: 404 },
  [PurchaseAuthorizationFailure.Refused]: RULE,
  [PurchaseAuthorizationFailure.NotChangeable]: RULE,
  [PurchaseAuthorizationFailure.Invalid]: UNPROCESSABLE,
  [ResellerChangeFailure.NotPending]: RULE,
  [ResellerChangeFailure.CodeInvalid]: RULE,
  [ResellerChangeFailure.Locked]: RULE,
  [LifecycleFailure.Busy]: RULE,
  // Nothing was changed and support has been called (T4): the same request can succeed later.
  [LifecycleFailure.StepFailed]: { status: 503, retryAfterSeconds: 60 },
  [LifecycleFailure.NoIncident]: RULE,
  [LifecycleFailure.StepNotSkippable]: RULE,
} satisfies Record<FailureType, Answer>;

/** The error code of a refusal type, mechanically: InvitationNotPending → invitation_not_pending. */
export const errorCode = (type: string): string =>
  type
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase();

const isKnown = (type: string): type is FailureType => Object.hasOwn(REFUSALS, type);

/** The HTTP answer to a refusal; an unknown type is a rule refusal (409) with the workflow's message. */
export function refusal(type: string, message: string): HttpError {
  const answer: Answer = isKnown(type) ? REFUSALS[type] : RULE;
  const headers: Record<string, string> = answer.retryAfterSeconds
    ? { 'Retry-After': String(answer.retryAfterSeconds) }
    : {};
  return new HttpError(answer.status, errorCode(type), message, undefined, headers);
}

/** A refused workflow update (its validator or a rule) as its HTTP answer; null for any other error. */
export function updateRefusal(err: unknown): HttpError | null {
  if (!(err instanceof WorkflowUpdateFailedError)) return null;
  const cause = err.cause;
  const type = cause instanceof ApplicationFailure && cause.type ? cause.type : 'Refused';
  return refusal(type, cause?.message ?? err.message);
}
