// The customer invitation's contract (DOMAIN.md C1-C5, C8).
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { LifecycleView } from './common';

export const invitationWorkflowId = (customerId: string): string => `invitation:${customerId}`;

export type MarketSegment = 'commercial' | 'government' | 'education';
export type CustomerType = 'team' | 'enterprise';

/** C1: everything needed to add a customer. */
export interface CustomerDetails {
  organizationName: string;
  organizationNameAscii: string;
  marketSegment: MarketSegment;
  type: CustomerType;
  country: string;
  addressLine1: string;
  addressLine2: string | null;
  city: string;
  postalCode: string;
  taxId: string | null;
  contact: { firstName: string; lastName: string; email: string };
  /** C5: chosen at invitation, fixed from then on. */
  anniversaryDate: string | null;
}

export interface InvitationInput {
  customerId: string;
  resellerId: string;
  /** C2: issued as the API stores the customer, before the run starts; absent in runs started before. */
  vipId?: string;
  /** The reseller user who invited, for the audit trail. */
  invitedBy: string;
  customer: CustomerDetails;
  /** When reminders go out, counted from the first invitation email (e.g. ['3 days', '7 days']). */
  reminderSchedule: string[];
}

export type InvitationStatus = 'registering' | 'pending' | 'accepted' | 'deleted';

export interface InvitationState extends LifecycleView {
  customerId: string;
  vipId: string | null;
  status: InvitationStatus;
  contactEmail: string;
  emailsSent: number;
  nextReminderAt: string | null;
}

export type InvitationResult = Pick<InvitationState, 'customerId' | 'vipId' | 'status'>;

export interface Registration {
  customerId: string;
  vipId: string;
}

/** Answers once the customer is stored and has its VIP id (C2). */
export const registrationUpdate = defineUpdate<Registration>('registration');
/** C3: remind the contact while pending, optionally at a corrected address. */
export const sendReminderUpdate = defineUpdate<InvitationState, [{ email?: string; actor: string }]>('sendReminder');
/** C2/C4: the contact accepted through a single-use link; refused when C4 forbids it. */
export const acceptInvitationUpdate = defineUpdate<InvitationState, [{ tokenHash: string }]>('acceptInvitation');
/** C3/C8: the reseller deletes a pending invitation (and the customer) while it has no products. */
export const deleteInvitationUpdate = defineUpdate<InvitationState, [{ actor: string }]>('deleteInvitation');
export const invitationStateQuery = defineQuery<InvitationState>('invitationState');
