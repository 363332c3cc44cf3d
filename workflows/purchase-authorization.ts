// The purchase authorization (DOMAIN.md P1-P4): pending → ordered → paid | overdue → deactivated;
// cancellable while pending and unassigned; returnable within a window after the order. P2: the reseller and the
// customer are warned before it turns overdue and before its licenses are deactivated, and told when either happens.
// Temporal cost, "PA paid" (P1 P2: created through the API, paid before any warning, ended after the return window;
// the renewal run it starts is its own), counted by hand:
//   started 1; 6 workflow tasks 18; the store step as a local activity in the first task (the API stored the PA
//   as it started the run) 3 (its marker, its patch marker, the TemporalChangeVersion upsert); 2 activities (read
//   the renewal schedule, mark paid) 6; 2 status upserts (pending, paid) 2; renewal child initiated+started 2; the
//   overdue warning's timer started+cancelled 2; payment update 2; the return window's timer started+fired 2;
//   completed 1 = 39 events; actions: start 1 + local activity 1 + activities 2 + upserts 3 + child start 1 +
//   timers 2 + update 1 = 11.
//
// Budget = the count + 3 events, + 1 action: room for one workflow task more (a step's answer arriving on its own
// rather than folded into a task), not for another step: a new step changes the count here first.
import type { UpdateDefinition } from '@temporalio/common';
import { ApplicationFailure, condition, patched } from '@temporalio/workflow';
import { iso } from '../lib/dates';
import {
  assignLicensesUpdate,
  cancelPurchaseAuthorizationUpdate,
  type PurchaseAuthorizationInput,
  type PurchaseAuthorizationNotice,
  type PurchaseAuthorizationPayment,
  paymentShortfall,
  type PurchaseAuthorizationState,
  type PurchaseAuthorizationStatus,
  type PurchaseAuthorizationTransition,
  PurchaseAuthorizationFailure,
  placeOrderUpdate,
  purchaseAuthorizationStateQuery,
  purchaseAuthorizationDeadlines,
  purchaseAuthorizationStoredUpdate,
  RETURN_PROCESSING_DEFAULT,
  recordPaymentUpdate,
  requestReturnUpdate,
} from './definitions';
import { durationMs } from './duration';
import { Lifecycle, type Step } from './kernel';
import { ensureRenewal } from './renewal-start';

/** The counts by hand above (history events, billable actions), and the budgets a test holds the paths to. */
export const HISTORY_BUDGET = {
  paid: { minimum: { events: 39, actions: 11 }, budget: { events: 42, actions: 12 } },
};

const LICENSES_USABLE: PurchaseAuthorizationStatus[] = ['pending', 'ordered', 'paid', 'overdue'];
/** P4: runs that requested a return before returns were requests returned at once; they replay that way. */
const RETURN_REQUESTS_PATCH = 'p4-return-requests';
/** P2: the statuses each notice is about; a notice that waited for support past them is no longer sent. */
const NOTICE_WHILE: Record<PurchaseAuthorizationNotice, PurchaseAuthorizationStatus[]> = {
  overdue_warning: ['pending', 'ordered'],
  overdue: ['overdue'],
  deactivation_warning: ['overdue'],
  deactivated: ['deactivated'],
};

export async function purchaseAuthorizationWorkflow(
  input: PurchaseAuthorizationInput,
): Promise<PurchaseAuthorizationState> {
  const { paId, terms } = input;
  const lc = new Lifecycle({
    name: 'purchase-authorization',
    status: 'registering' as PurchaseAuthorizationStatus,
    opening: 'registering',
    failures: PurchaseAuthorizationFailure,
    entity: { type: 'purchase_authorization', id: paId },
  });
  const createdAt = input.createdAt ? Date.parse(input.createdAt) : Date.now();
  // P2: each warning this long before its deadline.
  const { overdueAt, deactivateAt } = purchaseAuthorizationDeadlines(createdAt, terms);
  const warnBefore = terms.warnBefore ? durationMs(terms.warnBefore) : null;
  const warnAt: Partial<Record<PurchaseAuthorizationNotice, number>> =
    warnBefore === null
      ? {}
      : { overdue_warning: overdueAt - warnBefore, deactivation_warning: deactivateAt - warnBefore };
  let orderedAt: number | null = null;
  let paidAt: number | null = null;
  let assigned = 0;
  let refusal: string | null = null;
  const noticesSent: PurchaseAuthorizationNotice[] = [];
  /** Notices sent or given up (skipped by support, moot): never tried again. */
  const noticesDone = new Set<PurchaseAuthorizationNotice>();

  let returnRequestedAt: number | null = null;
  const returnableUntil = () => (orderedAt === null ? null : orderedAt + durationMs(terms.returnWindow));
  const returnProcessedBy = () =>
    returnRequestedAt === null
      ? null
      : returnRequestedAt + durationMs(terms.returnProcessing ?? RETURN_PROCESSING_DEFAULT);
  const state = (): PurchaseAuthorizationState => ({
    paId,
    status: lc.status,
    // P4: licenses stay usable while a return waits to be processed, though none can be assigned meanwhile.
    licensesActive: LICENSES_USABLE.includes(lc.status) || lc.status === 'return_requested',
    quantity: input.quantity,
    licensesAssigned: assigned,
    createdAt: new Date(createdAt).toISOString(),
    orderedAt: iso(orderedAt),
    paidAt: iso(paidAt),
    overdueAt: new Date(overdueAt).toISOString(),
    deactivateAt: new Date(deactivateAt).toISOString(),
    returnableUntil: iso(returnableUntil()),
    returnRequestedAt: iso(returnRequestedAt),
    returnProcessedBy: iso(returnProcessedBy()),
    refusal,
    noticesSent: [...noticesSent],
    incident: lc.incident,
  });
  const notChangeable = (message: string): never => lc.refuse(message, PurchaseAuthorizationFailure.NotChangeable);
  const changeStatus = async (
    step: Step,
    to: PurchaseAuthorizationTransition,
    actor: string,
    payment?: PurchaseAuthorizationPayment,
  ) => {
    await step(`mark the purchase authorization ${to}`, () =>
      lc.db.changePurchaseAuthorizationStatus({ paId, to, actor, ...(payment ? { payment } : {}) }),
    );
    if (to === 'paid') {
      paidAt = Date.now();
      orderedAt ??= paidAt;
    }
    lc.setStatus(to);
  };
  /**
   * A deadline's transition, under the lock and only from the statuses it applies to (an update may have won).
   * While its step waits for support the lock stays held: a payment then is refused (Busy) rather than overtaken.
   */
  const deadlinePassed = (from: PurchaseAuthorizationStatus[], to: PurchaseAuthorizationTransition) =>
    lc.exclusive(async () => {
      if (from.includes(lc.status)) await changeStatus((name, call) => lc.step(name, call), to, 'system');
    });
  /** P2: an email step the lifecycle can go on without; dropped once the PA has moved past what it is about. */
  const notify = async (notice: PurchaseAuthorizationNotice) => {
    noticesDone.add(notice);
    const about = () => NOTICE_WHILE[notice].includes(lc.status);
    if (!about()) return;
    const sent = await lc.step(
      `send the ${notice.replace('_', ' ')} notice`,
      () =>
        lc.email.sendPurchaseAuthorizationNotice({
          paId,
          notice,
          overdueAt: new Date(overdueAt).toISOString(),
          deactivateAt: new Date(deactivateAt).toISOString(),
        }),
      { skip: () => null, moot: () => !about() },
    );
    if (sent !== null) noticesSent.push(notice);
  };

  lc.query(purchaseAuthorizationStateQuery, state);
  lc.answerWhen(purchaseAuthorizationStoredUpdate, () => lc.status !== 'registering', state);
  lc.update(
    placeOrderUpdate,
    async (step, { actor }) => {
      await step('record the order', () => lc.db.recordPurchaseAuthorizationOrder({ paId, actor }));
      orderedAt = Date.now();
      if (lc.status === 'pending') lc.setStatus('ordered');
      return state();
    },
    () => {
      if (orderedAt !== null) notChangeable('An order has already been placed under this purchase authorization.');
      if (lc.status !== 'pending' && lc.status !== 'overdue')
        notChangeable(`The purchase authorization is ${lc.status}.`);
    },
  );
  /** P2-P4: the reseller moves the PA to `to` where `rules` allow it; answers with its state. */
  const statusUpdate = (
    def: UpdateDefinition<PurchaseAuthorizationState, [{ actor: string }]>,
    to: PurchaseAuthorizationTransition,
    rules: () => void,
  ) =>
    lc.update(
      def,
      async (step, { actor }) => {
        await changeStatus(step, to, actor);
        return state();
      },
      rules,
    );
  // P2: payment at any point restores the licenses, even after deactivation; D6: it enters the balance with the
  // status change, in one step. It must cover what the PA costs.
  lc.update(
    recordPaymentUpdate,
    async (step, { actor, payment }) => {
      await changeStatus(step, 'paid', actor, payment);
      return state();
    },
    ({ payment }) => {
      if (!payment) lc.refuse('A payment needs its amount and evidence (P2).', PurchaseAuthorizationFailure.Invalid);
      const shortfall = paymentShortfall(input.amount, payment);
      if (shortfall) lc.refuse(shortfall, PurchaseAuthorizationFailure.Invalid);
      if (!['pending', 'ordered', 'overdue', 'deactivated'].includes(lc.status))
        notChangeable(`The purchase authorization is ${lc.status}.`);
    },
  );
  statusUpdate(cancelPurchaseAuthorizationUpdate, 'cancelled', () => {
    if (orderedAt !== null)
      notChangeable('An order has been placed under this purchase authorization: request a return instead (P4).');
    if (lc.status !== 'pending')
      notChangeable(`Only a pending purchase authorization can be cancelled; this one is ${lc.status} (P3).`);
    if (assigned > 0) notChangeable(`${assigned} of its licenses are assigned; unassign them before cancelling (P3).`);
  });
  // P4: a return authorization is requested, then processed (the main loop's timer); before returns were
  // requests (the patch), it took effect at once.
  lc.update(
    requestReturnUpdate,
    async (step, { actor }) => {
      if (patched(RETURN_REQUESTS_PATCH)) {
        await changeStatus(step, 'return_requested', actor);
        returnRequestedAt = Date.now();
      } else {
        await changeStatus(step, 'returned', actor);
      }
      return state();
    },
    () => {
      const until = returnableUntil();
      if (until === null)
        notChangeable('No order has been placed under this purchase authorization: cancel it instead (P3, P4).');
      if (!['ordered', 'paid', 'overdue'].includes(lc.status))
        notChangeable(`The purchase authorization is ${lc.status}.`);
      if (Date.now() > (until as number))
        notChangeable(`A return can be requested within ${terms.returnWindow} of the order (P4).`);
    },
  );
  lc.update(
    assignLicensesUpdate,
    async (step, { assigned: n, actor }) => {
      await step('assign the licenses', () => lc.db.assignPurchaseAuthorizationLicenses({ paId, assigned: n, actor }));
      assigned = n;
      return state();
    },
    ({ assigned: n }) => {
      if (!Number.isInteger(n) || n < 0 || n > input.quantity)
        lc.refuse(`assigned must be a whole number from 0 to ${input.quantity}.`, PurchaseAuthorizationFailure.Invalid);
      if (!LICENSES_USABLE.includes(lc.status))
        notChangeable(`The purchase authorization is ${lc.status}; its licenses cannot be assigned.`);
    },
  );

  try {
    await lc.store('store the purchase authorization', (a) => a.storePurchaseAuthorization({ input }));
  } catch (err) {
    if (!(err instanceof ApplicationFailure) || err.type !== PurchaseAuthorizationFailure.Refused) throw err;
    refusal = err.message;
    lc.setStatus('refused');
    await lc.finish();
    return state();
  }
  lc.setStatus('pending');
  // C5/R1: the first purchase may just have set the customer's anniversary (a trigger): its renewal run starts.
  await ensureRenewal(lc, input.customerId);

  // The deadline the last wait ran out at. Once its timer has fired, that deadline has passed, whatever the clock of
  // the task that woke the run says: a worker that rebuilt the run after another was killed (issue 11 soak) got a
  // clock behind the timer, re-armed the same timer, and every later replay, with the right clock, broke on it.
  let reached = Number.NEGATIVE_INFINITY;
  for (;;) {
    await lc.settled();
    const now = Math.max(Date.now(), reached);
    const status = lc.status;
    const until = returnableUntil();
    if (status === 'cancelled' || status === 'returned') break;
    // P4: the requested return is processed once its time has come.
    const processAt = returnProcessedBy();
    if (status === 'return_requested' && processAt !== null && now >= processAt) {
      await deadlinePassed(['return_requested'], 'returned');
      continue;
    }
    // Paid: the run stays while a return can still be requested (P4).
    if (status === 'paid' && (until === null || now > until)) break;
    // Unpaid: each deadline's warning, then the deadline itself (a warning whose deadline passed is not sent).
    const due = (notice: PurchaseAuthorizationNotice) =>
      !noticesDone.has(notice) && warnAt[notice] !== undefined && now >= (warnAt[notice] as number);
    if (status === 'pending' || status === 'ordered') {
      if (now >= overdueAt) {
        await deadlinePassed(['pending', 'ordered'], 'overdue');
        await notify('overdue');
        continue;
      }
      if (due('overdue_warning')) {
        await notify('overdue_warning');
        continue;
      }
    }
    if (status === 'overdue') {
      if (now >= deactivateAt) {
        await deadlinePassed(['overdue'], 'deactivated');
        await notify('deactivated');
        continue;
      }
      if (due('deactivation_warning')) {
        await notify('deactivation_warning');
        continue;
      }
    }
    const pending = (notice: PurchaseAuthorizationNotice) =>
      noticesDone.has(notice) ? Number.POSITIVE_INFINITY : (warnAt[notice] ?? Number.POSITIVE_INFINITY);
    const deadline =
      status === 'pending' || status === 'ordered'
        ? Math.min(pending('overdue_warning'), overdueAt)
        : status === 'overdue'
          ? Math.min(pending('deactivation_warning'), deactivateAt)
          : status === 'paid'
            ? (until as number) + 1
            : status === 'return_requested'
              ? processAt
              : null;
    // Wakes early for any change; a deactivated PA waits for payment however long it takes.
    const changed = () => lc.status !== status || lc.busy;
    if (deadline === null) await condition(changed);
    else if (!(await condition(changed, Math.max(deadline - now, 1)))) reached = deadline;
  }
  await lc.finish();
  return state();
}
