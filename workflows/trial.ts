// The trial (DOMAIN.md O2, O6): countdown with reminders → extended | converted into an order | expired.
// A converted trial goes on as an order in this same workflow (its id stays trial:<id>): a license not yet
// activated stays activatable through the emailed link and deletable until then (O5).
// Temporal cost, "trial converted" (O2 O6: placed through the API, activated by the customer, then converted with
// "+"; its own history, the renewal and billing runs it starts are their own), counted by hand:
//   started 1; 10 workflow tasks 30; activate and convert updates 4; the store step as a local activity in the
//   first task (the API stored the trial as it started the run) 3 (its marker, its patch marker, the
//   TemporalChangeVersion upsert); 5 activities (activation email, activate, convert, read the renewal schedule,
//   read the billing terms) 15; 2 status upserts (pending_activation, active) 2; the reminder's timer
//   started+cancelled 2; renewal and billing children initiated+started 4 = 61 events;
//   actions: start 1 + local activity 1 + activities 5 + timer 1 + upserts 3 + updates 2 + child starts 2 = 15.
//
// Budget = the count + 3 events, + 1 action: room for one workflow task more (a step's answer arriving on its own
// rather than folded into a task), not for another step: a new step changes the count here first.
import { condition, workflowInfo } from '@temporalio/workflow';
import {
  convertTrialUpdate,
  extendTrialUpdate,
  type OrderInput,
  OrderFailure,
  type OrderState,
  type TrialTerms,
} from './definitions';
import { durationMs } from './duration';
import { LicenseLifecycle } from './license-activation';

/** The counts by hand above (history events, billable actions), and the budgets a test holds the paths to. */
export const HISTORY_BUDGET = {
  converted: { minimum: { events: 61, actions: 15 }, budget: { events: 64, actions: 16 } },
};

export async function trialWorkflow(input: OrderInput, terms: TrialTerms): Promise<OrderState> {
  const trial = new LicenseLifecycle(input, 'trial');
  const { lc } = trial;
  const { orderId } = input;
  // O2: counted from when the order was stored (the API stores it as the run starts), as its row says.
  const startedAt = input.placedAt ? Date.parse(input.placedAt) : Date.now();
  trial.trialEndsAt = startedAt + durationMs(terms.length);
  const latestEnd = startedAt + durationMs(terms.maxLength);
  const converted = () => trial.kind === 'order';
  const ended = () => converted() || lc.status === 'deleted' || lc.status === 'expired';
  const assertRunning = () => {
    if (converted()) lc.refuse('The trial has been converted into an order.', OrderFailure.NotChangeable);
    if (lc.status !== 'pending_activation' && lc.status !== 'active')
      lc.refuse(`The trial is ${lc.status.replace('_', ' ')}.`, OrderFailure.NotChangeable);
  };
  const key = (name: string) => `${workflowInfo().workflowId}/${name}`;

  // O6 "+": a longer trial, up to its maximum length.
  lc.update(
    extendTrialUpdate,
    async (step, { actor }) => {
      const next = Math.min((trial.trialEndsAt as number) + durationMs(terms.extension), latestEnd);
      await step('extend the trial', () =>
        lc.db.extendTrial({ orderId, trialEndsAt: new Date(next).toISOString(), actor }),
      );
      trial.trialEndsAt = next;
      return trial.state();
    },
    () => {
      assertRunning();
      if ((trial.trialEndsAt as number) >= latestEnd)
        lc.refuse(
          `A trial runs at most ${terms.maxLength} in all; convert it into an order instead.`,
          OrderFailure.TrialAtMaxLength,
        );
    },
  );
  // O6 "+": the trial becomes an order priced now; its license goes on as it was.
  lc.update(
    convertTrialUpdate,
    async (step, { actor }) => {
      await step('convert the trial into an order', () => lc.db.convertTrial({ orderId, actor }));
      trial.kind = 'order';
      trial.convertedAt = Date.now();
      trial.trialEndsAt = null;
      return trial.state();
    },
    () => assertRunning(),
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
    await lc.settled();
    if (ended() || trial.trialEndsAt !== end) continue;
    if (due && Date.now() >= due.at) {
      reminded.add(due.at);
      await lc.step(
        'send the trial reminder',
        () =>
          lc.email.sendTrialEmail({
            orderId,
            kind: 'reminder',
            before: due.before,
            key: key(`reminder/${new Date(due.at).toISOString()}`),
          }),
        { skip: () => undefined, moot: ended },
      );
    } else if (Date.now() >= end) {
      await lc.exclusive(async () => {
        await lc.step('expire the trial', () => lc.db.expireTrial({ orderId }));
        lc.setStatus('expired');
      });
      await lc.step(
        'send the trial-ended emails',
        () => lc.email.sendTrialEmail({ orderId, kind: 'expired', key: key('expired') }),
        { skip: () => undefined },
      );
    }
  }

  if (converted()) {
    // C5/R1: the conversion may just have set the customer's anniversary.
    await trial.ensureRenewal();
    // From here it is an order: billing once active (at once if it already is), driver swaps, deletion until then.
    await trial.serveOrder();
  }
  await lc.finish();
  return trial.state();
}
