// The per-user subscription (DOMAIN.md E1-E3): stored → contact invited → set up | expired → active until cancelled.
//
// The workflow runs for the subscription's whole life instead of ending after the contact's setup: every
// change (user count now, the billing cycle later) goes through one serialized owner that operators can
// see in the Temporal UI and query for live state, rather than the API writing the database behind a
// closed workflow. History stays small because it continues as new when Temporal suggests it.
import { condition, continueAsNew, workflowInfo } from '@temporalio/workflow';
import { iso } from '../lib/dates';
import {
  type ContactSetupStatus,
  cancelSubscriptionUpdate,
  changeUserCountUpdate,
  completeContactSetupUpdate,
  MAX_SUBSCRIPTION_USERS,
  SubscriptionFailure,
  type SubscriptionInput,
  type SubscriptionResult,
  type SubscriptionState,
  type SubscriptionStatus,
  subscriptionStateQuery,
  subscriptionStoredUpdate,
} from './definitions';
import { durationMs } from './duration';
import { Lifecycle } from './kernel';

export async function subscriptionWorkflow(input: SubscriptionInput): Promise<SubscriptionResult> {
  const { subscriptionId, continued } = input;
  const lc = new Lifecycle({
    name: 'subscription',
    status: (continued ? 'active' : 'registering') as SubscriptionStatus,
    opening: 'registering',
    failures: SubscriptionFailure,
    entity: { type: 'subscription', id: subscriptionId },
  });
  let users = continued?.users ?? input.users;
  let contactSetup: ContactSetupStatus = continued?.contactSetup ?? (input.contact ? 'pending' : 'none');
  let linkExpiresAt: number | null = null;

  const state = (): SubscriptionState => ({
    subscriptionId,
    status: lc.status,
    users,
    contactSetup,
    contactLinkExpiresAt: iso(linkExpiresAt),
    incident: lc.incident,
  });
  // Checked again when a change starts: two changes validated in the same instant both pass the validator.
  const assertActive = () => lc.assertStatus('active', SubscriptionFailure.NotActive);

  lc.query(subscriptionStateQuery, state);
  lc.answerWhen(subscriptionStoredUpdate, () => lc.status !== 'registering', state);
  // E3: the reseller changes the number of users.
  lc.update(
    changeUserCountUpdate,
    async (step, { users: next, actor }) => {
      assertActive();
      await step('change the number of users', () =>
        lc.db.changeSubscriptionUsers({ subscriptionId, users: next, actor }),
      );
      users = next;
      return state();
    },
    ({ users: next }) => {
      if (!Number.isInteger(next) || next < 1 || next > MAX_SUBSCRIPTION_USERS) {
        lc.refuse(
          `users must be a whole number from 1 to ${MAX_SUBSCRIPTION_USERS}.`,
          SubscriptionFailure.InvalidUserCount,
        );
      }
      assertActive();
    },
  );
  // E2/T3: the contact completes the account through the single-use link.
  lc.update(
    completeContactSetupUpdate,
    async (step, args) => {
      assertActive();
      await step('store the contact', () => lc.db.completeSubscriptionContactSetup({ subscriptionId, ...args }));
      contactSetup = 'completed';
      return state();
    },
    ({ tokenHash, name, phone }) => {
      assertActive();
      if (contactSetup !== 'pending' || (linkExpiresAt !== null && Date.now() >= linkExpiresAt)) {
        lc.refuse(
          `The contact's account setup is ${contactSetup === 'pending' ? 'expired' : contactSetup}.`,
          SubscriptionFailure.ContactSetupClosed,
        );
      }
      if (!/^[0-9a-f]{64}$/.test(tokenHash))
        lc.refuse('tokenHash must be a SHA-256 in hex.', SubscriptionFailure.ContactInvalid);
      if (!name.trim() || name.length > 200)
        lc.refuse('name is required (at most 200 characters).', SubscriptionFailure.ContactInvalid);
      if (phone !== null && (phone.length === 0 || phone.length > 40))
        lc.refuse('phone must be 1 to 40 characters, or null.', SubscriptionFailure.ContactInvalid);
    },
  );
  // Ends the subscription (inactive) and, once its handlers are done, its workflow.
  lc.update(
    cancelSubscriptionUpdate,
    async (step, { actor }) => {
      assertActive();
      await step('cancel the subscription', () => lc.db.cancelSubscription({ subscriptionId, actor }));
      lc.setStatus('inactive');
      return state();
    },
    () => assertActive(),
  );

  if (!continued) {
    await lc.store('store the subscription', (a) => a.storeSubscription(input));
    lc.setStatus('active');
  }

  if (contactSetup === 'pending') {
    // E2: the link's life is counted in workflow time, so the stored expiry and the timer agree.
    linkExpiresAt = Date.now() + durationMs(input.contactLinkTtl);
    const expiresAt = new Date(linkExpiresAt).toISOString();
    const setupOpen = () => contactSetup === 'pending' && lc.status === 'active';
    await lc.step(
      'send the contact invitation email',
      () =>
        lc.email.sendSubscriptionContactEmail({
          subscriptionId,
          key: `${workflowInfo().workflowId}/contact-invitation`,
          expiresAt,
        }),
      // Skipped, the contact cannot set up an account; cancelled meanwhile, it is no longer needed.
      { skip: () => 'skipped' as const, moot: () => !setupOpen() },
    );
    // The contact's setup raced against the link's expiry; a setup in flight at the deadline finishes first.
    await condition(() => !setupOpen(), Math.max(linkExpiresAt - Date.now(), 1));
    await lc.settled();
    // Read through a function: TypeScript cannot see that handlers changed `contactSetup` meanwhile.
    const current = (): ContactSetupStatus => contactSetup;
    if (current() === 'pending') {
      contactSetup = 'expired';
      await lc.step('expire the contact link', () => lc.db.expireSubscriptionContactLinks({ subscriptionId }));
    }
  }

  // The subscription's life: changes arrive as updates until it is cancelled.
  await condition(() => lc.status === 'inactive' || (workflowInfo().continueAsNewSuggested && !lc.busy));
  await lc.finish();
  if (lc.status === 'active') {
    await continueAsNew<typeof subscriptionWorkflow>({
      ...input,
      continued: { users, contactSetup: contactSetup === 'pending' ? 'expired' : contactSetup },
    });
  }
  return { subscriptionId, status: lc.status, users, contactSetup };
}
