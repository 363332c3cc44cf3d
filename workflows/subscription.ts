// The per-user subscription (DOMAIN.md E1-E3): stored → contact invited → set up | expired → active until cancelled.
//
// The workflow runs for the subscription's whole life instead of ending after the contact's setup: every
// change (user count now, the billing cycle later) goes through one serialized owner that operators can
// see in the Temporal UI and query for live state, rather than the API writing the database behind a
// closed workflow. History stays small because it continues as new when Temporal suggests it.
import { condition, continueAsNew, patched, workflowInfo } from '@temporalio/workflow';
import { addCalendarMonths, iso } from '../lib/dates';
import {
  type ContactSetupStatus,
  cancelSubscriptionUpdate,
  changeUserCountUpdate,
  completeContactSetupUpdate,
  MAX_SUBSCRIPTION_USERS,
  reinviteContactUpdate,
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

/** The patch under which an active subscription is invoiced at each payment date (E3). */
const MONTHLY_INVOICES = 'e3-monthly-invoices';

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
  // E2: invitations sent so far; each one's email has a key of its own.
  let invitations = continued?.invitations ?? 0;
  // E2: the link's life is counted in workflow time, so the stored expiry and the timer agree.
  const openSetup = () => {
    contactSetup = 'pending';
    linkExpiresAt = Date.now() + durationMs(input.contactLinkTtl);
  };

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
  // E2: the reseller invites a contact whose link expired again; the main loop sends the email.
  lc.update(
    reinviteContactUpdate,
    async (_step, _by) => {
      assertActive();
      openSetup();
      return state();
    },
    () => {
      assertActive();
      if (contactSetup !== 'expired')
        lc.refuse(
          `Only a contact whose link expired is invited again; this one's setup is ${contactSetup}.`,
          SubscriptionFailure.ContactNotExpired,
        );
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

  // Read through a function: TypeScript cannot see that handlers change `contactSetup` meanwhile.
  const setup = (): ContactSetupStatus => contactSetup;
  // E3: the months count from the subscription's start; each payment date invoices the month it begins. Runs started
  // before this version wait without the payment timer (their histories have none).
  const billing = patched(MONTHLY_INVOICES);
  const billingAnchor = continued?.billingAnchor ?? Date.now();
  let monthsBilled = continued?.monthsBilled ?? 0;
  const paymentDue = (n: number) => addCalendarMonths(new Date(billingAnchor), n).getTime();
  for (;;) {
    if (setup() === 'pending') {
      if (linkExpiresAt === null) openSetup();
      invitations += 1;
      const expiresAt = new Date(linkExpiresAt ?? Date.now()).toISOString();
      const setupOpen = () => contactSetup === 'pending' && lc.status === 'active';
      await lc.step(
        'send the contact invitation email',
        () =>
          lc.email.sendSubscriptionContactEmail({
            subscriptionId,
            // The first invitation's key as before re-invitations existed, so runs in flight keep theirs.
            key: `${workflowInfo().workflowId}/contact-invitation${invitations > 1 ? `/${invitations}` : ''}`,
            expiresAt,
          }),
        // Skipped, the contact cannot set up an account; cancelled meanwhile, it is no longer needed.
        { skip: () => 'skipped' as const, moot: () => !setupOpen() },
      );
      // The contact's setup raced against the link's expiry; a setup in flight at the deadline finishes first.
      await condition(() => !setupOpen(), Math.max((linkExpiresAt ?? 0) - Date.now(), 1));
      await lc.settled();
      if (setup() === 'pending') {
        contactSetup = 'expired';
        await lc.step('expire the contact link', () => lc.db.expireSubscriptionContactLinks({ subscriptionId }));
      }
    }
    // The subscription's life: changes arrive as updates until it is cancelled; a re-invitation goes round again.
    const woken = () =>
      lc.status === 'inactive' || setup() === 'pending' || (workflowInfo().continueAsNewSuggested && !lc.busy);
    if (!billing) await condition(woken);
    else if (!(await condition(woken, Math.max(paymentDue(monthsBilled + 1) - Date.now(), 1)))) {
      const from = paymentDue(monthsBilled + 1);
      await lc.exclusive(() =>
        lc.step('invoice the month', () =>
          lc.db.invoiceSubscriptionMonth({
            subscriptionId,
            periodStart: new Date(from).toISOString(),
            periodEnd: new Date(paymentDue(monthsBilled + 2)).toISOString(),
          }),
        ),
      );
      monthsBilled += 1;
      continue;
    }
    if (lc.status === 'inactive' || setup() !== 'pending') break;
  }
  await lc.finish();
  if (lc.status === 'active') {
    await continueAsNew<typeof subscriptionWorkflow>({
      ...input,
      continued: {
        users,
        contactSetup: contactSetup === 'pending' ? 'expired' : contactSetup,
        invitations,
        billingAnchor,
        monthsBilled,
      },
    });
  }
  return { subscriptionId, status: lc.status, users, contactSetup };
}
