// The per-user subscription's contract (DOMAIN.md E1-E3): stored → the contact sets up an account
// (or the link expires) → active until cancelled; the user count changes through the running workflow.
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { LifecycleView } from './common';

export const subscriptionWorkflowId = (subscriptionId: string): string => `subscription:${subscriptionId}`;

export const SUBSCRIPTION_PRODUCTS = ['signatures-microsoft-365', 'signatures-google-workspace'] as const;
export type SubscriptionProduct = (typeof SUBSCRIPTION_PRODUCTS)[number];
/** E1: the exact number of users is a whole number in this range. */
export const MAX_SUBSCRIPTION_USERS = 100_000;

export interface SubscriptionInput {
  subscriptionId: string;
  resellerId: string;
  /** The reseller user who created it, for the audit trail. */
  createdBy: string;
  /** An existing customer of the same reseller, when the reseller picked one. */
  customerId: string | null;
  product: SubscriptionProduct;
  companyName: string;
  users: number;
  /** E2: the contact who may edit signatures; null when the customer may not. */
  contact: { name: string; email: string } | null;
  /** How long the contact's setup link lives ("14 days"). */
  contactLinkTtl: string;
  /** Set when the workflow continued as new: what the previous run had settled. */
  continued?: {
    users: number;
    contactSetup: Exclude<ContactSetupStatus, 'pending'>;
    /** E2: how many invitations the contact was sent, so a new one's email key is new too. */
    invitations?: number;
    /** E3: when the subscription's months count from (ms), and how many have been invoiced. */
    billingAnchor?: number;
    monthsBilled?: number;
  };
}

export type SubscriptionStatus = 'registering' | 'active' | 'inactive';
/** E2: none (the customer does not edit signatures) | pending | completed | expired (the link ran out). */
export type ContactSetupStatus = 'none' | 'pending' | 'completed' | 'expired';

export interface SubscriptionState extends LifecycleView {
  subscriptionId: string;
  status: SubscriptionStatus;
  users: number;
  contactSetup: ContactSetupStatus;
  contactLinkExpiresAt: string | null;
}

export type SubscriptionResult = Pick<SubscriptionState, 'subscriptionId' | 'status' | 'users' | 'contactSetup'>;

/** Answers once the subscription is stored, so the API can return it (E1). */
export const subscriptionStoredUpdate = defineUpdate<SubscriptionState>('subscriptionStored');
/** E3: the reseller changes the number of users; audited with before and after. */
export const changeUserCountUpdate = defineUpdate<SubscriptionState, [{ users: number; actor: string }]>(
  'changeUserCount',
);
/**
 * E2/T3: the contact completed the account through the single-use link. Carries the link's SHA-256 and
 * an argon2id hash of the password, never the password itself (workflow history is readable by operators).
 */
export const completeContactSetupUpdate = defineUpdate<
  SubscriptionState,
  [{ tokenHash: string; name: string; phone: string | null }]
>('completeContactSetup');
/** E2: a contact whose setup link expired is invited again: a new link, a new email, a new expiry. */
export const reinviteContactUpdate = defineUpdate<SubscriptionState, [{ actor: string }]>('reinviteContact');
/** Ends the subscription (status inactive) and its workflow. */
export const cancelSubscriptionUpdate = defineUpdate<SubscriptionState, [{ actor: string }]>('cancelSubscription');
export const subscriptionStateQuery = defineQuery<SubscriptionState>('subscriptionState');
