// The reseller user's invitation (T2, T3): one step, the account-setup email. A workflow rather than an email
// sent by the API itself: the API has no mailer (every email of the engine is an activity, recorded under its
// key before and after it is sent), and a refused email then waits for support (T4) instead of being lost.
import type { UserInvitationInput, UserInvitationState, UserInvitationStatus } from './definitions';
import { userInvitationStateQuery } from './definitions';
import { Lifecycle } from './kernel';

export async function userInvitationWorkflow(input: UserInvitationInput): Promise<UserInvitationState> {
  const lc = new Lifecycle({
    name: 'user-invitation',
    status: 'sending' as UserInvitationStatus,
    failures: {},
    entity: { type: 'reseller_user', id: input.userId },
  });
  const state = (): UserInvitationState => ({ userId: input.userId, status: lc.status, incident: lc.incident });
  lc.query(userInvitationStateQuery, state);
  const sent = await lc.step('send the account setup email', () =>
    lc.email.sendUserSetupEmail({ userId: input.userId, linkExpiresAt: input.linkExpiresAt }),
  );
  lc.setStatus(sent === 'moot' ? 'moot' : 'sent');
  await lc.finish();
  return state();
}
