// The customer invitation (DOMAIN.md C1-C5, C8): registered → pending → reminders → accepted | deleted.
// Temporal cost, "invitation accepted" (C2: invited through the API, accepted through the link before any
// reminder; test/history-cost.workflow.test.ts, npm run bench), counted by hand:
//   started 1; 4 workflow tasks (start and register, email sent, accept update, accepted) 12; the register step
//   as a local activity in the first task (the API stored the customer as it started the run) 3 (its marker, its
//   patch marker, the TemporalChangeVersion upsert); 2 activities (invitation email, accept) 6; 2 status upserts
//   (pending, accepted) 2; the first reminder's timer started+cancelled 2; accept update 2; completed 1
//   = 29 events; actions: start 1 + local activity 1 + activities 2 + timer 1 + upserts 3 + update 1 = 9.
//
// Budget = the count + 3 events, + 1 action: room for one workflow task more (a step's answer arriving on its own
// rather than folded into a task), not for another step: a new step changes the count here first.
import { condition, workflowInfo } from '@temporalio/workflow';
import { iso } from '../lib/dates';
import {
  acceptInvitationUpdate,
  deleteInvitationUpdate,
  type InvitationInput,
  InvitationFailure,
  type InvitationResult,
  type InvitationState,
  type InvitationStatus,
  invitationStateQuery,
  registrationUpdate,
  sendReminderUpdate,
} from './definitions';
import { durationMs } from './duration';
import { Lifecycle } from './kernel';
import { ensureRenewal } from './renewal-start';

/** The counts by hand above (history events, billable actions), and the budgets a test holds the paths to. */
export const HISTORY_BUDGET = {
  accepted: { minimum: { events: 29, actions: 9 }, budget: { events: 32, actions: 10 } },
};

export async function invitationWorkflow(input: InvitationInput): Promise<InvitationResult> {
  const { customerId } = input;
  const lc = new Lifecycle({
    name: 'invitation',
    status: 'registering' as InvitationStatus,
    opening: 'registering',
    failures: InvitationFailure,
    entity: { type: 'customer', id: customerId },
  });
  let vipId: string | null = input.vipId ?? null;
  let contactEmail = input.customer.contact.email;
  let emailsSent = 0;
  let manualReminders = 0;
  let nextReminderAt: number | null = null;
  const finished = () => lc.status === 'accepted' || lc.status === 'deleted';

  const state = (): InvitationState => ({
    customerId,
    vipId,
    status: lc.status,
    contactEmail,
    emailsSent,
    nextReminderAt: iso(nextReminderAt),
    incident: lc.incident,
  });
  const assertPending = () => lc.assertStatus('pending', InvitationFailure.NotPending);
  const changeEmail = async (email: string, actor: string) => {
    if (email.toLowerCase() === contactEmail.toLowerCase()) return;
    await lc.db.changeContactEmail({ customerId, email, actor });
    contactEmail = email;
  };
  // Each email's key names it, so a retried activity or a replay never sends it twice.
  const emailKey = (name: string) => `${workflowInfo().workflowId}/${name}`;
  /** A scheduled email of the main flow: when it fails for good, support may retry it at a corrected address. */
  const sendEmail = async (kind: 'invitation' | 'reminder', name: string) => {
    const sent = await lc.step(
      `send the ${kind} email`,
      () => lc.email.sendInvitationEmail({ customerId, kind, key: emailKey(name) }),
      {
        skip: () => 'skipped' as const,
        correct: ({ email }, actor) => (email ? changeEmail(email, actor) : Promise.resolve()),
        // Accepted or deleted meanwhile: the email is no longer needed.
        moot: finished,
      },
    );
    if (sent !== 'skipped') emailsSent++;
  };

  lc.query(invitationStateQuery, state);
  lc.answerWhen(
    registrationUpdate,
    () => lc.status !== 'registering',
    () => ({ customerId, vipId: vipId as string }),
  );
  // C3: a reminder, optionally at a corrected address.
  lc.update(
    sendReminderUpdate,
    async (step, { email, actor }) => {
      if (email) await step('change the contact email', () => changeEmail(email, actor));
      manualReminders++;
      await step('send the reminder email', () =>
        lc.email.sendInvitationEmail({
          customerId,
          kind: 'reminder',
          key: emailKey(`reminder/manual/${manualReminders}`),
        }),
      );
      emailsSent++;
      return state();
    },
    () => assertPending(),
  );
  // C2/C4: refused when the link is spent or C4 forbids the acceptance.
  lc.transition(acceptInvitationUpdate, 'accepted', {
    step: 'accept the invitation',
    call: ({ tokenHash }) => lc.db.acceptInvitation({ customerId, tokenHash }),
    validate: assertPending,
  });
  // C3/C8: the reseller deletes a pending invitation (and the customer) while it has no products.
  lc.transition(deleteInvitationUpdate, 'deleted', {
    step: 'delete the customer',
    call: ({ actor }) => lc.db.deleteCustomer({ customerId, actor }),
    validate: assertPending,
  });

  vipId = (await lc.store('register the customer', (a) => a.registerCustomer(input))).vipId;
  lc.setStatus('pending');
  // C5/R1: an anniversary chosen at invitation starts its renewal run now.
  if (input.customer.anniversaryDate) await ensureRenewal(lc, customerId);
  await sendEmail('invitation', 'invitation/1');

  // Reminders on the configured schedule, counted from the invitation, while it is still pending.
  const invitedAt = Date.now();
  for (const [i, offset] of input.reminderSchedule.entries()) {
    nextReminderAt = invitedAt + durationMs(offset);
    if (await condition(finished, Math.max(nextReminderAt - Date.now(), 1))) break;
    await lc.settled();
    if (finished()) break;
    await sendEmail('reminder', `reminder/scheduled/${i + 1}`);
  }
  nextReminderAt = null;

  await condition(finished);
  await lc.finish();
  return { customerId, vipId, status: lc.status };
}
