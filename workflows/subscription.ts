// The per-user subscription (DOMAIN.md E1-E3): stored → contact invited → set up | expired → active until cancelled.
//
// The workflow runs for the subscription's whole life instead of ending after the contact's setup: every
// change (user count now, the billing cycle later) goes through one serialized owner that operators can
// see in the Temporal UI and query for live state, rather than the API writing the database behind a
// closed workflow. History stays small because it continues as new when Temporal suggests it.
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import {
  cancelSubscriptionUpdate,
  changeUserCountUpdate,
  completeContactSetupUpdate,
  LifecycleStatusKey,
  MAX_SUBSCRIPTION_USERS,
  SubscriptionFailure,
  subscriptionStateQuery,
  subscriptionStoredUpdate,
  type ContactSetupStatus,
  type SubscriptionInput,
  type SubscriptionResult,
  type SubscriptionState,
  type SubscriptionStatus,
} from './definitions';
import { ChangeLock } from './change-lock';
import { db, email } from './activity-proxies';
import { durationMs } from './duration';

export async function subscriptionWorkflow(input: SubscriptionInput): Promise<SubscriptionResult> {
  const { subscriptionId, continued } = input;
  let status: SubscriptionStatus = continued ? 'active' : 'registering';
  let users = continued?.users ?? input.users;
  let contactSetup: ContactSetupStatus = continued?.contactSetup ?? (input.contact ? 'pending' : 'none');
  let linkExpiresAt: number | null = null;
  // One change at a time: each awaits an activity, and the next must see its outcome.
  const lock = new ChangeLock();

  const setStatus = (next: SubscriptionStatus) => {
    status = next;
    upsertSearchAttributes([{ key: LifecycleStatusKey, value: next }]);
  };
  const state = (): SubscriptionState => ({
    subscriptionId,
    status,
    users,
    contactSetup,
    contactLinkExpiresAt: linkExpiresAt === null ? null : new Date(linkExpiresAt).toISOString(),
  });
  const assertChangeable = () => {
    if (status !== 'active')
      throw ApplicationFailure.nonRetryable(
        `The subscription is ${status}, not active.`,
        SubscriptionFailure.NotActive,
      );
    lock.assertFree('subscription');
  };
  const exclusive = async (change: () => Promise<void>): Promise<SubscriptionState> => {
    await lock.run(change);
    return state();
  };

  setHandler(subscriptionStateQuery, state);
  setHandler(subscriptionStoredUpdate, async () => {
    await condition(() => status !== 'registering');
    return state();
  });
  setHandler(
    changeUserCountUpdate,
    ({ users: next, actor }) =>
      exclusive(async () => {
        await db.changeSubscriptionUsers({ subscriptionId, users: next, actor });
        users = next;
      }),
    {
      validator: ({ users: next }) => {
        if (!Number.isInteger(next) || next < 1 || next > MAX_SUBSCRIPTION_USERS) {
          throw ApplicationFailure.nonRetryable(
            `users must be a whole number from 1 to ${MAX_SUBSCRIPTION_USERS}.`,
            SubscriptionFailure.InvalidUserCount,
          );
        }
        assertChangeable();
      },
    },
  );
  setHandler(
    completeContactSetupUpdate,
    (args) =>
      exclusive(async () => {
        await db.completeSubscriptionContactSetup({ subscriptionId, ...args });
        contactSetup = 'completed';
      }),
    {
      validator: ({ tokenHash, name, phone }) => {
        assertChangeable();
        if (contactSetup !== 'pending' || (linkExpiresAt !== null && Date.now() >= linkExpiresAt)) {
          throw ApplicationFailure.nonRetryable(
            `The contact's account setup is ${contactSetup === 'pending' ? 'expired' : contactSetup}.`,
            SubscriptionFailure.ContactSetupClosed,
          );
        }
        if (!/^[0-9a-f]{64}$/.test(tokenHash)) throw new Error('tokenHash must be a SHA-256 in hex.');
        if (!name.trim() || name.length > 200) throw new Error('name is required (at most 200 characters).');
        if (phone !== null && (phone.length === 0 || phone.length > 40))
          throw new Error('phone must be 1 to 40 characters, or null.');
      },
    },
  );
  setHandler(
    cancelSubscriptionUpdate,
    ({ actor }) =>
      exclusive(async () => {
        await db.cancelSubscription({ subscriptionId, actor });
        setStatus('inactive');
      }),
    { validator: (_args) => assertChangeable() },
  );

  if (!continued) {
    await db.storeSubscription(input);
    setStatus('active');
  }

  if (contactSetup === 'pending') {
    // E2: the link's life is counted in workflow time, so the stored expiry and the timer agree.
    linkExpiresAt = Date.now() + durationMs(input.contactLinkTtl);
    await email.sendSubscriptionContactEmail({
      subscriptionId,
      key: `${workflowInfo().workflowId}/contact-invitation`,
      expiresAt: new Date(linkExpiresAt).toISOString(),
    });
    // The contact's setup raced against the link's expiry; a setup in flight at the deadline finishes first.
    await condition(() => contactSetup !== 'pending' || status !== 'active', Math.max(linkExpiresAt - Date.now(), 1));
    await condition(() => !lock.busy);
    // Read through a function: TypeScript cannot see that handlers changed `contactSetup` meanwhile.
    const current = (): ContactSetupStatus => contactSetup;
    if (current() === 'pending') {
      contactSetup = 'expired';
      await db.expireSubscriptionContactLinks({ subscriptionId });
    }
  }

  // The subscription's life: changes arrive as updates until it is cancelled.
  await condition(() => status === 'inactive' || (workflowInfo().continueAsNewSuggested && !lock.busy));
  await condition(allHandlersFinished);
  const settled = (): SubscriptionStatus => status;
  if (settled() === 'active') {
    await continueAsNew<typeof subscriptionWorkflow>({
      ...input,
      continued: { users, contactSetup: contactSetup === 'pending' ? 'expired' : contactSetup },
    });
  }
  return { subscriptionId, status, users, contactSetup };
}
