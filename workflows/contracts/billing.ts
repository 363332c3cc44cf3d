// The billing cycle's contract (DOMAIN.md S1, S2, B1, B2): one run per cycle, an invoice at each
// cycle's start; suspend lapses at the cycle's end (revocable until then), stop takes effect at once.
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { LifecycleView } from './common';

export const billingWorkflowId = (orderId: string): string => `billing:${orderId}`;

export type BillingCycle = 'monthly' | 'annual';
/** Whether cycles are invoiced; paused while the entitlement is not active across a cycle's end. */
export type BillingState = 'active' | 'paused';
/** Whether the license may be used, apart from billing (as in Kill Bill). */
export type Entitlement = 'active' | 'suspended' | 'stopped';

/** What the next cycle needs from the one before: everything else is derived. */
export interface BillingCarry {
  /** Cycles are counted from this instant, so month ends do not drift (Jan 31 → Feb 28 → Mar 31). */
  anchor: string;
  /** 0-based index of the cycle this run bills, counted from the anchor. */
  cycleIndex: number;
  /** Cycles invoiced over the subscription's life, across pauses. */
  cyclesBilled: number;
}

/** The configured terms of a SaaS order's billing (config/terms.ts billingTerms), with its current owner. */
export interface BillingTerms {
  cycle: BillingCycle;
  cycleMonths: number;
  paymentTerms: string;
  /** The customer's current reseller, for the ResellerId search attribute only. */
  resellerId: string;
  customerId: string;
}

export interface BillingInput {
  orderId: string;
  resellerId: string;
  customerId: string;
  cycle: BillingCycle;
  /** Calendar months per cycle (monthly 1, annual 12), from configuration. */
  cycleMonths: number;
  /** How long after issue an invoice is due ("14 days"). */
  paymentTerms: string;
  startedBy: string;
  /** Set when the workflow continued as new at a cycle's end or on reactivation. */
  continued?: BillingCarry;
}

export interface BillingStatus extends LifecycleView {
  orderId: string;
  cycle: BillingCycle;
  cyclesBilled: number;
  currentPeriodStart: string | null;
  currentPeriodEnd: string | null;
  /** When the next invoice is issued; null while billing is paused. */
  nextPaymentDate: string | null;
  billing: BillingState;
  entitlement: Entitlement;
  suspendAtCycleEnd: boolean;
  currentInvoiceId: string | null;
}

export interface BillingChangeArgs {
  actor: string;
}

/** Answers once the first cycle is stored and invoiced, so the API can return it. */
export const billingStartedUpdate = defineUpdate<BillingStatus>('billingStarted');
/** S1: the license lapses at the end of the current cycle; revocable until then. */
export const suspendUpdate = defineUpdate<BillingStatus, [BillingChangeArgs]>('suspend');
/** S1: the reseller revokes a pending suspension before the cycle ends. */
export const revokeSuspensionUpdate = defineUpdate<BillingStatus, [BillingChangeArgs]>('revokeSuspension');
/** S2: the entitlement stops at once. */
export const stopUpdate = defineUpdate<BillingStatus, [BillingChangeArgs]>('stop');
/** S1/S2: re-enables the license after a stop or a lapse; a paused billing starts a new cycle. */
export const reactivateUpdate = defineUpdate<BillingStatus, [BillingChangeArgs]>('reactivate');
export const billingStatusQuery = defineQuery<BillingStatus>('billingStatus');
