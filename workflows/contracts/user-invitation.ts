// The reseller user's invitation (DOMAIN.md T2, T3): the license owner invites a user by email; the user sets up
// its account through a single-use link (the API's /users/setup page). The run only sends that email: a step
// that may wait for support (T4) when the relay refuses it, like every other email of the engine.
import { defineQuery } from '@temporalio/workflow';
import type { LifecycleView } from './common';

export const userInvitationWorkflowId = (userId: string): string => `user-invitation:${userId}`;

export interface UserInvitationInput {
  userId: string;
  resellerId: string;
  /** When the setup link stops working (ISO), fixed by the API from USER_SETUP_LINK_TTL when it invited. */
  linkExpiresAt: string;
}

/** `sent`, or `moot` when the user was no longer pending by the time the email would have gone out. */
export type UserInvitationStatus = 'sending' | 'sent' | 'moot';

export interface UserInvitationState extends LifecycleView {
  userId: string;
  status: UserInvitationStatus;
}

export const userInvitationStateQuery = defineQuery<UserInvitationState>('userInvitationState');
