// The purchase authorization (DOMAIN.md P1-P4): pending → ordered → paid | overdue → deactivated;
// cancellable while pending and unassigned; returnable within a window after the order.
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import {
  assignLicensesUpdate,
  cancelPurchaseAuthorizationUpdate,
  LifecycleStatusKey,
  placeOrderUpdate,
  PurchaseAuthorizationFailure,
  purchaseAuthorizationStateQuery,
  purchaseAuthorizationStoredUpdate,
  recordPaymentUpdate,
  requestReturnUpdate,
  type PurchaseAuthorizationInput,
  type PurchaseAuthorizationState,
  type PurchaseAuthorizationStatus,
} from './definitions';
import { durationMs } from './duration';
import { ChangeLock } from './change-lock';
import { db } from './activity-proxies';

const LICENSES_USABLE: PurchaseAuthorizationStatus[] = ['pending', 'ordered', 'paid', 'overdue'];

export async function purchaseAuthorizationWorkflow(
  input: PurchaseAuthorizationInput,
): Promise<PurchaseAuthorizationState> {
  const createdAt = Date.now();
  // P2: both deadlines count from the PA, whatever happened in between.
  const overdueAt = createdAt + durationMs(input.terms.overdueAfter);
  const deactivateAt = createdAt + durationMs(input.terms.deactivateAfter);
  let status = 'registering' as PurchaseAuthorizationStatus;
  let orderedAt: number | null = null;
  let paidAt: number | null = null;
  let assigned = 0;
  let refusal: string | null = null;
  // One change at a time: every change awaits an activity, and a timer must not overtake an update.
  const lock = new ChangeLock();

  const returnableUntil = () => (orderedAt === null ? null : orderedAt + durationMs(input.terms.returnWindow));
  const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
  const state = (): PurchaseAuthorizationState => ({
    paId: input.paId,
    status,
    licensesActive: LICENSES_USABLE.includes(status),
    quantity: input.quantity,
    licensesAssigned: assigned,
    createdAt: new Date(createdAt).toISOString(),
    orderedAt: iso(orderedAt),
    paidAt: iso(paidAt),
    overdueAt: new Date(overdueAt).toISOString(),
    deactivateAt: new Date(deactivateAt).toISOString(),
    returnableUntil: iso(returnableUntil()),
    refusal,
  });
  const setStatus = (next: PurchaseAuthorizationStatus) => {
    status = next;
    upsertSearchAttributes([{ key: LifecycleStatusKey, value: next }]);
  };
  const refuse = (message: string): never => {
    throw ApplicationFailure.create({ message, type: PurchaseAuthorizationFailure.NotChangeable, nonRetryable: true });
  };
  const assertFree = () => {
    if (lock.busy) refuse('Another change to this purchase authorization is in progress; try again.');
  };
  const exclusive = async (change: () => Promise<void>): Promise<PurchaseAuthorizationState> => {
    await lock.run(change);
    return state();
  };
  const transition = (to: PurchaseAuthorizationStatus, actor: string) =>
    exclusive(async () => {
      await db.changePurchaseAuthorizationStatus({ paId: input.paId, to, actor });
      if (to === 'paid') {
        paidAt = Date.now();
        orderedAt ??= paidAt;
      }
      setStatus(to);
    });

  setHandler(purchaseAuthorizationStateQuery, state);
  setHandler(purchaseAuthorizationStoredUpdate, async () => {
    await condition(() => status !== 'registering');
    return state();
  });
  setHandler(
    placeOrderUpdate,
    ({ actor }) =>
      exclusive(async () => {
        await db.recordPurchaseAuthorizationOrder({ paId: input.paId, actor });
        orderedAt = Date.now();
        if (status === 'pending') setStatus('ordered');
      }),
    {
      validator: (_a) => {
        assertFree();
        if (orderedAt !== null) refuse('An order has already been placed under this purchase authorization.');
        if (status !== 'pending' && status !== 'overdue') refuse(`The purchase authorization is ${status}.`);
      },
    },
  );
  // P2: payment at any point restores the licenses, even after deactivation.
  setHandler(recordPaymentUpdate, ({ actor }) => transition('paid', actor), {
    validator: (_a) => {
      assertFree();
      if (!['pending', 'ordered', 'overdue', 'deactivated'].includes(status))
        refuse(`The purchase authorization is ${status}.`);
    },
  });
  setHandler(cancelPurchaseAuthorizationUpdate, ({ actor }) => transition('cancelled', actor), {
    validator: (_a) => {
      assertFree();
      if (orderedAt !== null)
        refuse('An order has been placed under this purchase authorization: request a return instead (P4).');
      if (status !== 'pending')
        refuse(`Only a pending purchase authorization can be cancelled; this one is ${status} (P3).`);
      if (assigned > 0) refuse(`${assigned} of its licenses are assigned; unassign them before cancelling (P3).`);
    },
  });
  setHandler(requestReturnUpdate, ({ actor }) => transition('returned', actor), {
    validator: (_a) => {
      assertFree();
      const until = returnableUntil();
      if (until === null)
        refuse('No order has been placed under this purchase authorization: cancel it instead (P3, P4).');
      if (!['ordered', 'paid', 'overdue'].includes(status)) refuse(`The purchase authorization is ${status}.`);
      if (Date.now() > (until as number))
        refuse(`A return can be requested within ${input.terms.returnWindow} of the order (P4).`);
    },
  });
  setHandler(
    assignLicensesUpdate,
    ({ assigned: n, actor }) =>
      exclusive(async () => {
        await db.assignPurchaseAuthorizationLicenses({ paId: input.paId, assigned: n, actor });
        assigned = n;
      }),
    {
      validator: ({ assigned: n }) => {
        assertFree();
        if (!Number.isInteger(n) || n < 0 || n > input.quantity)
          refuse(`assigned must be a whole number from 0 to ${input.quantity}.`);
        if (!LICENSES_USABLE.includes(status))
          refuse(`The purchase authorization is ${status}; its licenses cannot be assigned.`);
      },
    },
  );

  try {
    await db.storePurchaseAuthorization({ input });
  } catch (err) {
    if (
      err instanceof ActivityFailure &&
      err.cause instanceof ApplicationFailure &&
      err.cause.type === PurchaseAuthorizationFailure.Refused
    ) {
      refusal = err.cause.message;
      setStatus('refused');
      return state();
    }
    throw err;
  }
  setStatus('pending');

  for (;;) {
    await condition(() => !lock.busy);
    const now = Date.now();
    if (status === 'cancelled' || status === 'returned') break;
    const until = returnableUntil();
    // Paid: the run stays while a return can still be requested (P4).
    if (status === 'paid' && (until === null || now > until)) break;
    if ((status === 'pending' || status === 'ordered') && now >= overdueAt) {
      await transition('overdue', 'system');
      continue;
    }
    if (status === 'overdue' && now >= deactivateAt) {
      await transition('deactivated', 'system');
      continue;
    }
    const deadline =
      status === 'pending' || status === 'ordered'
        ? overdueAt
        : status === 'overdue'
          ? deactivateAt
          : status === 'paid'
            ? (until as number) + 1
            : null;
    const seen = status;
    // Wakes early for any update; a deactivated PA waits for payment however long it takes.
    if (deadline === null) await condition(() => status !== seen || lock.busy);
    else await condition(() => status !== seen || lock.busy, Math.max(deadline - now, 1));
  }
  await condition(allHandlersFinished);
  return state();
}
