// The order and trial contracts (DOMAIN.md O1-O8): created → activation email → activated; a trial
// also counts down, reminds, and is extended, converted into an order, or expires.
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { LifecycleView } from './common';

export type OrderKind = 'order' | 'trial';
export const orderWorkflowId = (kind: OrderKind, orderId: string): string => `${kind}:${orderId}`;

/** O1: what the reseller chooses on the order form; the catalog prices it (db/catalog.ts). */
export interface OrderRequest {
  currency: string;
  poNumber: string | null;
  promoCode: string | null;
  drivers: string[];
  subscriptionType: string;
  plan: string;
}

/** The order as requested, with its owner and creator. */
export interface OrderInput extends OrderRequest {
  orderId: string;
  kind: OrderKind;
  resellerId: string;
  customerId: string;
  createdBy: string;
  /** When the API stored the order, before the run started: a trial counts from it. Absent in older runs. */
  placedAt?: string;
  /** Set when a run continued as new (its history grew long): what the next run needs. */
  continued?: OrderCarry;
}

/** What an activated order's lifecycle carries into its next run. */
export interface OrderCarry {
  status: OrderStatus;
  serialNumber: string;
  convertedAt: string | null;
  /** O6: driver changes not yet invoiced (adjustment ids). */
  pendingAdjustments: string[];
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

/**
 * The license's lifecycle. A converted trial is no longer a status: its kind becomes 'order' (convertedAt set)
 * and its license goes on as it was, pending activation or active (O5, O6).
 */
export type OrderStatus = 'placing' | 'pending_activation' | 'active' | 'expired' | 'deleted';

export interface OrderState extends LifecycleView {
  orderId: string;
  /** 'order' once a trial is converted (its workflow stays the trial's: orderWorkflowId('trial', id)). */
  kind: OrderKind;
  status: OrderStatus;
  serialNumber: string | null;
  trialEndsAt: string | null;
  convertedAt: string | null;
}

export interface ConfigureOrderArgs {
  drivers: string[];
  /** 'user:<reseller user id>': the adjustment is recorded as created by that user. */
  actor: string;
}
/** The order after a driver swap, with the adjustment it made (positive: charged; negative: credited). */
export type ConfiguredOrder = OrderState & { adjustment: { amountMinor: number; currency: string } };

/** Answers once the order and its license are stored (O1, O8). */
export const orderPlacedUpdate = defineUpdate<OrderState>('orderPlaced');
/** O4/O7: the customer activates through the emailed link (never the reseller). */
export const activateLicenseUpdate = defineUpdate<OrderState, [{ tokenHash: string }]>('activateLicense');
/** O5: delete while the license is not activated, after the reseller confirmed. */
export const deleteOrderUpdate = defineUpdate<OrderState, [{ actor: string }]>('deleteOrder');
/** O6 "+": extend a trial (bounded total length). */
export const extendTrialUpdate = defineUpdate<OrderState, [{ actor: string }]>('extendTrial');
/**
 * O6 "+": convert a trial into an order, priced from that moment; the license goes on as it was (a pending
 * one stays activatable through the emailed link, and deletable until activated).
 */
export const convertTrialUpdate = defineUpdate<OrderState, [{ actor: string }]>('convertTrial');
/**
 * O6 "configure": swap an order's (or trial's) drivers. A higher tier charges the prorated difference, a lower
 * one credits it (never more than was paid); the adjustment is invoiced once (see activities/billing.ts).
 */
export const configureOrderUpdate = defineUpdate<ConfiguredOrder, [ConfigureOrderArgs]>('configureOrder');
export const orderStateQuery = defineQuery<OrderState>('orderState');
