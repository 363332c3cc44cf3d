// The order and trial contracts (DOMAIN.md O1-O8): created → activation email → activated; a trial
// also counts down, reminds, and is extended, converted into an order, or expires.
import { defineQuery, defineUpdate } from '@temporalio/workflow';

export type OrderKind = 'order' | 'trial';
export const orderWorkflowId = (kind: OrderKind, orderId: string): string => `${kind}:${orderId}`;

export interface OrderInput {
  orderId: string;
  kind: OrderKind;
  resellerId: string;
  customerId: string;
  createdBy: string;
  currency: string;
  poNumber: string | null;
  promoCode: string | null;
  drivers: string[];
  subscriptionType: string;
  plan: string;
}

export interface TrialTerms {
  /** How long a trial runs ("30 days"). */
  length: string;
  /** Reminder emails this long before the end (["7 days", "1 day"]). */
  remindBefore: string[];
  /** One "+" adds this much ("30 days")… */
  extension: string;
  /** …up to this total length ("90 days"). */
  maxLength: string;
}

export type OrderStatus = 'placing' | 'pending_activation' | 'active' | 'expired' | 'converted' | 'deleted';

export interface OrderState {
  orderId: string;
  kind: OrderKind;
  status: OrderStatus;
  serialNumber: string | null;
  trialEndsAt: string | null;
}

/** Answers once the order and its license are stored (O1, O8). */
export const orderPlacedUpdate = defineUpdate<OrderState>('orderPlaced');
/** O4/O7: the customer activates through the emailed link (never the reseller). */
export const activateLicenseUpdate = defineUpdate<OrderState, [{ tokenHash: string }]>('activateLicense');
/** O5: delete while the license is not activated, after the reseller confirmed. */
export const deleteOrderUpdate = defineUpdate<OrderState, [{ actor: string }]>('deleteOrder');
/** O6 "+": extend a trial (bounded total length). */
export const extendTrialUpdate = defineUpdate<OrderState, [{ actor: string }]>('extendTrial');
/** O6 "+": convert a trial into an order, priced from that moment; the license stays active. */
export const convertTrialUpdate = defineUpdate<OrderState, [{ actor: string }]>('convertTrial');
export const orderStateQuery = defineQuery<OrderState>('orderState');

export const OrderFailure = {
  LinkInvalid: 'ActivationLinkInvalid',
  AlreadyActivated: 'LicenseAlreadyActivated',
  /** The order or trial is not in a state that allows the change (deleted, expired, converted...). */
  NotChangeable: 'OrderNotChangeable',
  /** O6: a trial already runs its maximum length; convert it instead. */
  TrialAtMaxLength: 'TrialAtMaxLength',
  /** The order no longer matches the catalog (a driver, plan or subscription type withdrawn). */
  Invalid: 'OrderInvalid',
} as const;
