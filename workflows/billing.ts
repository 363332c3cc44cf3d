// The billing cycle (DOMAIN.md S1, S2, B1, B2): one run per cycle. At its start the cycle is invoiced
// and the invoice emailed; at its end a pending suspension lapses (S1) and the workflow continues as new
// with only what the next cycle needs. A stop (S2) takes effect at once. While the entitlement is not
// active at a cycle's end, billing pauses in this run until a reactivation starts a fresh cycle.
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  BillingFailure,
  billingStartedUpdate,
  billingStatusQuery,
  LifecycleFailure,
  LifecycleStatusKey,
  reactivateUpdate,
  revokeSuspensionUpdate,
  stopUpdate,
  suspendUpdate,
  type BillingCarry,
  type BillingChangeArgs,
  type BillingInput,
  type BillingState,
  type BillingStatus,
  type Entitlement,
} from './definitions';
import { addCalendarMonths } from '../lib/dates';
import { db, email } from './activity-proxies';
import { ChangeLock } from './change-lock';
import { durationMs } from './duration';

export async function billingWorkflow(input: BillingInput): Promise<BillingStatus> {
  const { orderId, continued } = input;
  const anchor = continued ? Date.parse(continued.anchor) : Date.now();
  const cycleIndex = continued?.cycleIndex ?? 0;
  const periodStart = addCalendarMonths(new Date(anchor), cycleIndex * input.cycleMonths).getTime();
  const periodEnd = addCalendarMonths(new Date(anchor), (cycleIndex + 1) * input.cycleMonths).getTime();
  // A run always begins entitled: it is started, or continued at an entitled cycle's end or on reactivation.
  let entitlement: Entitlement = 'active';
  let billing: BillingState = 'active';
  let suspendAtCycleEnd = false;
  let cyclesBilled = continued?.cyclesBilled ?? 0;
  let invoiceId: string | null = null;
  // One change at a time; `closing` refuses changes while the cycle's end is being settled.
  const lock = new ChangeLock();
  let closing = false;

  const state = (): BillingStatus => ({
    orderId,
    cycle: input.cycle,
    cyclesBilled,
    currentPeriodStart: new Date(periodStart).toISOString(),
    currentPeriodEnd: new Date(periodEnd).toISOString(),
    nextPaymentDate: billing === 'active' ? new Date(periodEnd).toISOString() : null,
    billing,
    entitlement,
    suspendAtCycleEnd,
    currentInvoiceId: invoiceId,
  });
  const refuse = (reason: string): never => {
    throw ApplicationFailure.nonRetryable(reason, BillingFailure.NotAllowed);
  };
  const assertFree = () => {
    if (lock.busy || closing || invoiceId === null)
      throw ApplicationFailure.nonRetryable(
        'Another change to this billing is in progress; try again.',
        LifecycleFailure.Busy,
      );
  };
  const setEntitlement = (next: Entitlement) => {
    entitlement = next;
    upsertSearchAttributes([{ key: LifecycleStatusKey, value: next }]);
  };
  const exclusive = async (change: () => Promise<void>): Promise<BillingStatus> => {
    await lock.run(change);
    return state();
  };
  const change = (set: Parameters<Activities['changeBilling']>[0]['set'], action: string, actor: string) =>
    db.changeBilling({ orderId, set, action, actor });

  setHandler(billingStatusQuery, state);
  setHandler(billingStartedUpdate, async () => {
    await condition(() => invoiceId !== null);
    return state();
  });
  setHandler(
    suspendUpdate,
    ({ actor }: BillingChangeArgs) =>
      exclusive(async () => {
        await change({ suspendAtCycleEnd: true }, 'license.suspension_scheduled', actor);
        suspendAtCycleEnd = true;
      }),
    {
      validator: (_a) => {
        assertFree();
        if (entitlement !== 'active') refuse(`The license is ${entitlement}; reactivate it instead.`);
        if (suspendAtCycleEnd)
          refuse(`The license is already suspended from ${new Date(periodEnd).toISOString()}, the end of this cycle.`);
      },
    },
  );
  setHandler(
    revokeSuspensionUpdate,
    ({ actor }: BillingChangeArgs) =>
      exclusive(async () => {
        await change({ suspendAtCycleEnd: false }, 'license.suspension_revoked', actor);
        suspendAtCycleEnd = false;
      }),
    {
      validator: (_a) => {
        assertFree();
        if (!suspendAtCycleEnd)
          refuse(
            entitlement === 'active'
              ? 'No suspension is pending.'
              : `The suspension has taken effect (the license is ${entitlement}); reactivate it instead.`,
          );
      },
    },
  );
  setHandler(
    stopUpdate,
    ({ actor }: BillingChangeArgs) =>
      exclusive(async () => {
        await change({ entitlement: 'stopped', suspendAtCycleEnd: false }, 'license.stopped', actor);
        suspendAtCycleEnd = false;
        setEntitlement('stopped');
      }),
    {
      validator: (_a) => {
        assertFree();
        if (entitlement !== 'active') refuse(`The license is already ${entitlement}.`);
      },
    },
  );
  setHandler(
    reactivateUpdate,
    ({ actor }: BillingChangeArgs) =>
      exclusive(async () => {
        await change({ entitlement: 'active' }, 'license.reactivated', actor);
        setEntitlement('active');
      }),
    {
      validator: (_a) => {
        assertFree();
        if (entitlement === 'active') refuse('The license is active.');
      },
    },
  );

  // B1/B2: the cycle's invoice, then the email; both keyed by the period, so retries do not repeat them.
  const opened = await lock.run(() =>
    db.openBillingCycle({
      orderId,
      cycle: input.cycle,
      periodStart: new Date(periodStart).toISOString(),
      periodEnd: new Date(periodEnd).toISOString(),
      dueAt: new Date(periodStart + durationMs(input.paymentTerms)).toISOString(),
    }),
  );
  invoiceId = opened.invoiceId;
  cyclesBilled++;
  if (!continued) setEntitlement('active');
  await email.sendInvoiceEmail({
    invoiceId,
    key: `${workflowInfo().workflowId}/invoice/${new Date(periodStart).toISOString()}`,
  });

  await sleep(Math.max(periodEnd - Date.now(), 1));
  closing = true;
  await condition(() => !lock.busy);

  let next: BillingCarry = { anchor: new Date(anchor).toISOString(), cycleIndex: cycleIndex + 1, cyclesBilled };
  // Read through a function: TypeScript cannot see that handlers changed these meanwhile.
  const pending = (): boolean => suspendAtCycleEnd;
  const current = (): Entitlement => entitlement;
  if (pending()) {
    // S1: the suspension lapses now, at the cycle's end.
    await change({ entitlement: 'suspended', suspendAtCycleEnd: false }, 'license.lapsed', 'system');
    suspendAtCycleEnd = false;
    setEntitlement('suspended');
  }
  if (current() !== 'active') {
    // Not entitled at the cycle's end: no next invoice until the reseller reactivates.
    await change({ billing: 'paused' }, 'billing.paused', 'system');
    billing = 'paused';
    closing = false;
    await condition(() => entitlement === 'active' && !lock.busy);
    closing = true;
    next = { anchor: new Date().toISOString(), cycleIndex: 0, cyclesBilled };
  }
  await condition(allHandlersFinished);
  return continueAsNew<typeof billingWorkflow>({ ...input, continued: next });
}
