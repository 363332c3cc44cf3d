// The customer invitation (DOMAIN.md C1-C5, C8): registered → pending → reminders → accepted | deleted.
import { allHandlersFinished, condition, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import {
  acceptInvitationUpdate,
  deleteInvitationUpdate,
  invitationStateQuery,
  LifecycleStatusKey,
  registrationUpdate,
  sendReminderUpdate,
  type InvitationInput,
  type InvitationResult,
  type InvitationState,
  type InvitationStatus,
} from './definitions';
import { ChangeLock } from './change-lock';
import { db, email } from './activity-proxies';
import { durationMs } from './duration';

export async function invitationWorkflow(input: InvitationInput): Promise<InvitationResult> {
  const { customerId } = input;
  let status: InvitationStatus = 'registering';
  let vipId: string | null = null;
  let contactEmail = input.customer.contact.email;
  let emailsSent = 0;
  let nextReminderAt: number | null = null;
  // One change at a time: acceptance, deletion and reminders each await activities.
  const lock = new ChangeLock();
  const finished = () => status === 'accepted' || status === 'deleted';

  const setStatus = (next: InvitationStatus) => {
    status = next;
    upsertSearchAttributes([{ key: LifecycleStatusKey, value: next }]);
  };
  const state = (): InvitationState => ({
    customerId,
    vipId,
    status,
    contactEmail,
    emailsSent,
    nextReminderAt: nextReminderAt === null ? null : new Date(nextReminderAt).toISOString(),
  });
  const sendEmail = async (kind: 'invitation' | 'reminder') => {
    // The key names the email: a retried activity or a replay never sends it twice.
    await email.sendInvitationEmail({
      customerId,
      kind,
      key: `${workflowInfo().workflowId}/${kind}/${emailsSent + 1}`,
    });
    emailsSent++;
  };
  const assertCanChange = () => {
    if (status !== 'pending') throw new Error(`The invitation is ${status}, not pending.`);
    lock.assertFree('invitation');
  };
  const exclusive = async (change: () => Promise<void>): Promise<InvitationState> => {
    await lock.run(change);
    return state();
  };

  setHandler(invitationStateQuery, state);
  setHandler(registrationUpdate, async () => {
    await condition(() => vipId !== null);
    return { customerId, vipId: vipId as string };
  });
  setHandler(
    sendReminderUpdate,
    ({ email: newEmail, actor }) =>
      exclusive(async () => {
        if (newEmail && newEmail.toLowerCase() !== contactEmail.toLowerCase()) {
          await db.changeContactEmail({ customerId, email: newEmail, actor });
          contactEmail = newEmail;
        }
        await sendEmail('reminder');
      }),
    { validator: (_args) => assertCanChange() },
  );
  setHandler(
    acceptInvitationUpdate,
    ({ tokenHash }) =>
      exclusive(async () => {
        await db.acceptInvitation({ customerId, tokenHash });
        setStatus('accepted');
      }),
    { validator: (_args) => assertCanChange() },
  );
  setHandler(
    deleteInvitationUpdate,
    ({ actor }) =>
      exclusive(async () => {
        await db.deleteCustomer({ customerId, actor });
        setStatus('deleted');
      }),
    { validator: (_args) => assertCanChange() },
  );

  vipId = (await db.registerCustomer(input)).vipId;
  setStatus('pending');
  await sendEmail('invitation');

  // Reminders on the configured schedule, counted from the invitation, while it is still pending.
  const invitedAt = Date.now();
  for (const offset of input.reminderSchedule) {
    nextReminderAt = invitedAt + durationMs(offset);
    if (await condition(finished, Math.max(nextReminderAt - Date.now(), 1))) break;
    await condition(() => !lock.busy || finished());
    if (finished()) break;
    await lock.run(() => sendEmail('reminder'));
  }
  nextReminderAt = null;

  await condition(finished);
  await condition(allHandlersFinished);
  return { customerId, vipId, status };
}
