// The trial (DOMAIN.md O2, O6): countdown with reminders → extended | converted into an order | expired.
import { allHandlersFinished, condition, setHandler, workflowInfo } from '@temporalio/workflow';
import {
  convertTrialUpdate,
  extendTrialUpdate,
  type OrderInput,
  type OrderState,
  type TrialTerms,
} from './definitions';
import { durationMs } from './duration';
import { db, email } from './activity-proxies';
import { LicenseLifecycle } from './license-activation';

export async function trialWorkflow(input: OrderInput, terms: TrialTerms): Promise<OrderState> {
  const trial = new LicenseLifecycle(input);
  const startedAt = Date.now();
  trial.trialEndsAt = startedAt + durationMs(terms.length);
  const latestEnd = startedAt + durationMs(terms.maxLength);
  const ended = () => ['converted', 'deleted', 'expired'].includes(trial.status);

  setHandler(
    extendTrialUpdate,
    ({ actor }) =>
      trial.exclusive(async () => {
        const next = Math.min((trial.trialEndsAt as number) + durationMs(terms.extension), latestEnd);
        await db.extendTrial({ orderId: input.orderId, trialEndsAt: new Date(next).toISOString(), actor });
        trial.trialEndsAt = next;
      }),
    {
      validator: (_a) => {
        trial.assertChangeable(['pending_activation', 'active']);
        if ((trial.trialEndsAt as number) >= latestEnd)
          throw new Error(`A trial runs at most ${terms.maxLength} in all; convert it into an order instead.`);
      },
    },
  );
  setHandler(
    convertTrialUpdate,
    ({ actor }) =>
      trial.exclusive(async () => {
        await db.convertTrial({ orderId: input.orderId, actor });
        trial.trialEndsAt = null;
        trial.setStatus('converted');
      }),
    { validator: (_a) => trial.assertChangeable(['pending_activation', 'active']) },
  );

  await trial.place();

  // Reminders at each configured offset before the (possibly extended) end, then expiry at the end.
  const reminded = new Set<number>();
  while (!ended()) {
    const end = trial.trialEndsAt as number;
    const due = terms.remindBefore
      .map((before) => ({ before, at: end - durationMs(before) }))
      .filter((r) => !reminded.has(r.at) && r.at > Date.now())
      .sort((a, b) => a.at - b.at)[0];
    const wakeAt = due ? due.at : end;
    // Wakes early when the trial is converted, deleted or extended.
    await condition(() => ended() || trial.trialEndsAt !== end, Math.max(wakeAt - Date.now(), 1));
    await trial.settled();
    if (ended() || trial.trialEndsAt !== end) continue;
    if (due && Date.now() >= due.at) {
      reminded.add(due.at);
      await email.sendTrialEmail({
        orderId: input.orderId,
        kind: 'reminder',
        before: due.before,
        key: `${workflowInfo().workflowId}/reminder/${new Date(due.at).toISOString()}`,
      });
    } else if (Date.now() >= end) {
      await trial.lock.run(async () => {
        await db.expireTrial({ orderId: input.orderId });
        trial.setStatus('expired');
      });
      await email.sendTrialEmail({
        orderId: input.orderId,
        kind: 'expired',
        key: `${workflowInfo().workflowId}/expired`,
      });
    }
  }
  await condition(allHandlersFinished);
  return trial.state();
}
