// Every refusal a lifecycle answers with (ApplicationFailure.type), the kernel's and each lifecycle's, in one place:
// a type is named once across all lifecycles, api/http/refusals.ts maps each to an HTTP answer, and the API's
// error code is derived from it. Workflow-safe: plain constants.

/** Refusals of the lifecycle kernel itself, the same for every lifecycle. */
export const LifecycleFailure = {
  /** Another change to the same lifecycle is running: one change at a time. */
  Busy: 'LifecycleBusy',
  /** A step of a change could not be completed now (its retries ran out); nothing was changed. */
  StepFailed: 'StepFailed',
  /** Support asked to retry or skip, but no step is waiting. */
  NoIncident: 'NoIncident',
  /** Support asked to skip a step the lifecycle cannot go on without. */
  StepNotSkippable: 'StepNotSkippable',
} as const;

/** The customer invitation (C1-C5, C8). */
export const InvitationFailure = {
  NotPending: 'InvitationNotPending',
  DuplicatePrimaryAdmin: 'DuplicatePrimaryAdmin',
  LinkInvalid: 'LinkInvalid',
  HasProducts: 'CustomerHasProducts',
} as const;

/** The reseller change (X1-X4). */
export const ResellerChangeFailure = {
  /** Expired, redeemed, locked, still being issued, or the customer changed hands meanwhile. */
  NotPending: 'ResellerChangeNotPending',
  CodeInvalid: 'ResellerChangeCodeInvalid',
  Locked: 'ResellerChangeLocked',
} as const;

/** The per-user subscription (E1-E3). */
export const SubscriptionFailure = {
  NotActive: 'SubscriptionNotActive',
  ContactSetupClosed: 'ContactSetupClosed',
  LinkInvalid: 'SubscriptionContactLinkInvalid',
  InvalidUserCount: 'InvalidUserCount',
  /** E2: only a contact whose link expired is invited again. */
  ContactNotExpired: 'SubscriptionContactNotExpired',
  /** E2: the contact's details are malformed (name, phone, link hash). */
  ContactInvalid: 'SubscriptionContactInvalid',
} as const;

/** Orders and trials (O1-O8). */
export const OrderFailure = {
  LinkInvalid: 'ActivationLinkInvalid',
  AlreadyActivated: 'LicenseAlreadyActivated',
  /** The order or trial is not in a state that allows the change (deleted, expired, converted...). */
  NotChangeable: 'OrderNotChangeable',
  /** O6: a trial already runs its maximum length; convert it instead. */
  TrialAtMaxLength: 'TrialAtMaxLength',
  /** The order no longer matches the catalog (a driver, plan or subscription type withdrawn), or a driver swap
   * names an unknown driver or one without a price in the order's currency. */
  Invalid: 'OrderInvalid',
} as const;

/** The billing cycle (S1, S2, B1, B2). */
export const BillingFailure = {
  NotAllowed: 'BillingChangeNotAllowed',
  /** The first cycle is being opened (nothing to change yet); try again in a moment. */
  NotStarted: 'BillingNotStarted',
  /** The billing's row is gone (its order was deleted). */
  NotFound: 'BillingNotFound',
} as const;

/** The purchase authorization (P1-P5). */
export const PurchaseAuthorizationFailure = {
  /** Not stored: the customer is not the requester's, has an overdue PA (P2), or a C6 term is not allowed. */
  Refused: 'PurchaseAuthorizationRefused',
  /** The change does not apply to the PA as it is now (P3, P4, its status). */
  NotChangeable: 'PurchaseAuthorizationNotChangeable',
  /** The change's input is malformed (a number of licenses out of range). */
  Invalid: 'PurchaseAuthorizationInvalid',
} as const;

/** The renewal (R1-R5). */
export const RenewalFailure = {
  OutsideWindow: 'RenewalOutsideWindow',
  CommitmentRefused: 'ThreeYearCommitmentRefused',
  /** The renewal's input is malformed (quantity). */
  Invalid: 'RenewalInvalid',
  AlreadyRenewed: 'RenewalAlreadyRenewed',
  Expired: 'RenewalExpired',
  /** The customer is gone (deleted): nothing to renew. */
  CustomerGone: 'RenewalCustomerGone',
} as const;

/** The 3-year commitment (R5). */
export const ThreeYearCommitmentFailure = {
  /** Accepting or cancelling a commitment that is no longer requested (accepted, declined, cancelled, expired). */
  NotRequested: 'ThreeYearCommitmentNotRequested',
} as const;

/** The refusal types of one lifecycle, for a kernel typed by them (Lifecycle<Status, Failure>). */
export type FailureOf<F> = F[keyof F];
export type OrderFailureType = FailureOf<typeof OrderFailure>;
export type BillingFailureType = FailureOf<typeof BillingFailure>;
