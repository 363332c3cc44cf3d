// The billing cycle (DOMAIN.md S1, S2, B1, B2), on the lifecycle kernel: one run per cycle. At its start the
// cycle is invoiced and the invoice emailed; at its end a pending suspension lapses (S1) and the workflow
// continues as new with only what the next cycle needs. A stop (S2) takes effect at once. While the entitlement
// is not active at a cycle's end, billing pauses in this run until a reactivation starts a fresh cycle.
// Temporal cost of one cycle (S1 B1; test/history-cost.workflow.test.ts, npm run bench), counted by hand:
//   the first run, started through the API: started 1; 4 workflow tasks 12; started update (update-with-start) 2;
//   2 activities (open the cycle and invoice, email the invoice) 6; status upsert (active) 1; the cycle's timer
//   started+fired 2; continued as new 1 = 25 events;
//   actions: start 1 + update 1 + activities 2 + upsert 1 + timer 1 = 6.
//   every later run (continued as new): the same without the update and the upsert = 22 events, 4 actions.
//
// Budget = the count + 3 events, + 1 action: room for one workflow task more (a step's answer arriving on its own
// rather than folded into a task), not for another step: a new step changes the count here first.
import type { UpdateDefinition } from '@temporalio/common';
import { condition, continueAsNew, sleep, workflowInfo } from '@temporalio/workflow';
import { addCalendarMonths } from '../lib/dates';
import type { Activities } from '../activities';
import {
  type BillingCarry,
  type BillingChangeArgs,
  BillingFailure,
  type BillingFailureType,
  type BillingInput,
  type BillingState,
  type BillingStatus,
  billingStartedUpdate,
  billingStatusQuery,
  type Entitlement,
  reactivateUpdate,
  revokeSuspensionUpdate,
  stopUpdate,
  suspendUpdate,
} from './definitions';
import { durationMs } from './duration';
import { Lifecycle, type Step } from './kernel';

/** The counts by hand above (history events, billable actions), and the budgets a test holds the paths to. */
export const HISTORY_BUDGET = {
  firstCycle: { minimum: { events: 25, actions: 6 }, budget: { events: 28, actions: 7 } },
  nextCycle: { minimum: { events: 22, actions: 4 }, budget: { events: 25, actions: 5 } },
};

export async function billingWorkflow(input: BillingInput): Promise<BillingStatus> {
  const { orderId, continued } = input;
  const anchor = continued ? Date.parse(continued.anchor) : Date.now();
  const cycleIndex = continued?.cycleIndex ?? 0;
  const periodStart = addCalendarMonths(new Date(anchor), cycleIndex * input.cycleMonths).getTime();
  const periodEnd = addCalendarMonths(new Date(anchor), (cycleIndex + 1) * input.cycleMonths).getTime();
  // A run always begins entitled: it is started, or continued at an entitled cycle's end or on reactivation.
  const lc = new Lifecycle({
    name: 'billing',
    status: 'active' as Entitlement,
    failures: BillingFailure,
    entity: { type: 'order', id: orderId },
  });
  let billing: BillingState = 'active';
  let suspendAtCycleEnd = false;
  let cyclesBilled = continued?.cyclesBilled ?? 0;
  let invoiceId: string | null = null;

  const state = (): BillingStatus => ({
    orderId,
    cycle: input.cycle,
    cyclesBilled,
    currentPeriodStart: new Date(periodStart).toISOString(),
    currentPeriodEnd: new Date(periodEnd).toISOString(),
    nextPaymentDate: billing === 'active' ? new Date(periodEnd).toISOString() : null,
    billing,
    entitlement: lc.status,
    suspendAtCycleEnd,
    currentInvoiceId: invoiceId,
    incident: lc.incident,
  });
  // The main flow's steps wait for support when they fail for good.
  const mainStep: Step = (name, call) => lc.step(name, call);
  const refuse = (reason: string, type: BillingFailureType = BillingFailure.NotAllowed): never =>
    lc.refuse(reason, type);
  /** Changes wait for the cycle's invoice (nothing to change before it). */
  const assertOpened = () => {
    if (invoiceId === null)
      refuse('The billing cycle is being opened; try again in a moment.', BillingFailure.NotStarted);
  };
  type Change = Parameters<Activities['changeBilling']>[0]['set'];
  /** Stores a change to the billing, then mirrors it in this run's state. */
  const change = async (step: Step, name: string, set: Change, action: string, actor: string) => {
    await step(name, () => lc.db.changeBilling({ orderId, set, action, actor }));
    if (set.suspendAtCycleEnd !== undefined) suspendAtCycleEnd = set.suspendAtCycleEnd;
    if (set.entitlement) lc.setStatus(set.entitlement);
    if (set.billing) billing = set.billing;
  };
  /** A reseller's change to the license: once the cycle is opened and its rules allow it, one stored change. */
  const licenseChange = (
    def: UpdateDefinition<BillingStatus, [BillingChangeArgs]>,
    c: { step: string; set: Change; action: string; validate: () => void },
  ) =>
    lc.update(
      def,
      async (step, { actor }) => {
        await change(step, c.step, c.set, c.action, actor);
        return state();
      },
      () => {
        assertOpened();
        c.validate();
      },
    );

  lc.query(billingStatusQuery, state);
  lc.answerWhen(billingStartedUpdate, () => invoiceId !== null, state);
  // S1: the license lapses at the end of this cycle; revocable until then.
  licenseChange(suspendUpdate, {
    step: 'schedule the suspension',
    set: { suspendAtCycleEnd: true },
    action: 'license.suspension_scheduled',
    validate: () => {
      if (lc.status !== 'active') refuse(`The license is ${lc.status}; reactivate it instead.`);
      if (suspendAtCycleEnd)
        refuse(`The license is already suspended from ${new Date(periodEnd).toISOString()}, the end of this cycle.`);
    },
  });
  licenseChange(revokeSuspensionUpdate, {
    step: 'revoke the suspension',
    set: { suspendAtCycleEnd: false },
    action: 'license.suspension_revoked',
    validate: () => {
      if (!suspendAtCycleEnd)
        refuse(
          lc.status === 'active'
            ? 'No suspension is pending.'
            : `The suspension has taken effect (the license is ${lc.status}); reactivate it instead.`,
        );
    },
  });
  // S2: the entitlement stops at once.
  licenseChange(stopUpdate, {
    step: 'stop the license',
    set: { entitlement: 'stopped', suspendAtCycleEnd: false },
    action: 'license.stopped',
    validate: () => {
      if (lc.status !== 'active') refuse(`The license is already ${lc.status}.`);
    },
  });
  licenseChange(reactivateUpdate, {
    step: 'reactivate the license',
    set: { entitlement: 'active' },
    action: 'license.reactivated',
    validate: () => {
      if (lc.status === 'active') refuse('The license is active.');
    },
  });

  // B1/B2: the cycle's invoice, then the email; both keyed by the period, so retries do not repeat them.
  const opened = await lc.exclusive(() =>
    lc.step('open the billing cycle and issue its invoice', () =>
      lc.db.openBillingCycle({
        orderId,
        cycle: input.cycle,
        periodStart: new Date(periodStart).toISOString(),
        periodEnd: new Date(periodEnd).toISOString(),
        dueAt: new Date(periodStart + durationMs(input.paymentTerms)).toISOString(),
      }),
    ),
  );
  invoiceId = opened.invoiceId;
  cyclesBilled++;
  if (!continued) lc.setStatus('active');
  await lc.step(
    'email the invoice',
    () =>
      lc.email.sendInvoiceEmail({
        invoiceId: opened.invoiceId,
        key: `${workflowInfo().workflowId}/invoice/${new Date(periodStart).toISOString()}`,
      }),
    { skip: () => undefined },
  );

  await sleep(Math.max(periodEnd - Date.now(), 1));

  let next: BillingCarry = { anchor: new Date(anchor).toISOString(), cycleIndex: cycleIndex + 1, cyclesBilled };
  await lc.exclusive(async () => {
    if (suspendAtCycleEnd) {
      // S1: the suspension lapses now, at the cycle's end.
      const set: Change = { entitlement: 'suspended', suspendAtCycleEnd: false };
      await change(mainStep, 'lapse the suspension', set, 'license.lapsed', 'system');
    }
    if (lc.status !== 'active') {
      // Not entitled at the cycle's end: no next invoice until the reseller reactivates.
      await change(mainStep, 'pause the billing', { billing: 'paused' }, 'billing.paused', 'system');
    }
  });
  // Read through a function: TypeScript cannot see that the lock's change set it.
  const paused = (): boolean => billing === 'paused';
  if (paused()) {
    await condition(() => lc.status === 'active' && !lc.busy);
    next = { anchor: new Date().toISOString(), cycleIndex: 0, cyclesBilled };
  }
  // Under the lock, so that no change slips in between the last handler and the next run.
  return lc.exclusive(async () => {
    await lc.finish();
    return continueAsNew<typeof billingWorkflow>({ ...input, continued: next });
  });
}
