// The renewal of one term (DOMAIN.md R1-R5, C6): notices from 45 days out, the renewal window around
// the anniversary, expiry without a renewal; a renewal starts the next term's run under its own id.
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  ParentClosePolicy,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import {
  commitThreeYearsUpdate,
  CustomerIdKey,
  LifecycleKey,
  LifecycleStatusKey,
  ResellerIdKey,
  RenewalFailure,
  renewalStateQuery,
  renewalWorkflowId,
  renewUpdate,
  type RenewalInput,
  type RenewalState,
  type RenewalStatus,
  type RenewalTiming,
} from './definitions';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { durationMs } from './duration';
import { ChangeLock } from './change-lock';
import { db, email } from './activity-proxies';

export async function renewalWorkflow(input: RenewalInput): Promise<RenewalState> {
  const { terms } = input;
  const anniversary = Date.parse(`${input.anniversaryDate}T00:00:00Z`);
  const noticeAt = anniversary - durationMs(terms.noticeBefore);
  const opensAt = anniversary - durationMs(terms.earlyFrom);
  const earlyEndsAt = anniversary - durationMs(terms.earlyUntil);
  const closesAt = anniversary + durationMs(terms.lateUntil);
  let status = 'scheduled' as RenewalStatus;
  let noticesSent = 0;
  let renewedQuantity: number | null = null;
  let nextAnniversaryDate: string | null = null;
  const lock = new ChangeLock();

  const state = (): RenewalState => ({
    customerId: input.customerId,
    anniversaryDate: input.anniversaryDate,
    status,
    noticesSent,
    windowOpensAt: new Date(opensAt).toISOString(),
    windowClosesAt: new Date(closesAt).toISOString(),
    renewedQuantity,
    nextAnniversaryDate,
  });
  const setStatus = (next: RenewalStatus) => {
    status = next;
    upsertSearchAttributes([{ key: LifecycleStatusKey, value: next }]);
  };
  const ended = () => status === 'renewed' || status === 'expired';
  const timingAt = (t: number): RenewalTiming => (t <= earlyEndsAt ? 'early' : t < anniversary ? 'on_time' : 'late');
  const refuse = (message: string, type: string = RenewalFailure.OutsideWindow): never => {
    throw ApplicationFailure.create({ message, type, nonRetryable: true });
  };

  setHandler(renewalStateQuery, state);
  setHandler(
    renewUpdate,
    async ({ quantity, actor }) => {
      await lock.run(async () => {
        const { termEndsOn } = await db.recordRenewal({
          customerId: input.customerId,
          resellerId: input.resellerId,
          renewalDate: input.anniversaryDate,
          timing: timingAt(Date.now()),
          quantity,
          actor,
        });
        renewedQuantity = quantity;
        nextAnniversaryDate = termEndsOn;
        setStatus('renewed');
      });
      return state();
    },
    {
      validator: ({ quantity }) => {
        if (!Number.isInteger(quantity) || quantity < 1)
          refuse('quantity must be a whole number of licenses, at least 1.', 'RenewalInvalid');
        if (lock.busy) refuse('Another change to this renewal is in progress; try again.', 'RenewalBusy');
        if (status === 'renewed')
          refuse(`This term was already renewed; the next term runs to ${nextAnniversaryDate}.`);
        if (status === 'expired') refuse('The renewal window has closed and the licenses have expired (R2).');
        const now = Date.now();
        if (now < opensAt)
          refuse(
            `The renewal window opens on ${new Date(opensAt).toISOString().slice(0, 10)}, ${terms.earlyFrom} before the anniversary (R2).`,
          );
        if (now > closesAt)
          refuse(`Late renewal is possible only up to ${terms.lateUntil} after the anniversary (R2).`);
      },
    },
  );
  setHandler(
    commitThreeYearsUpdate,
    async ({ quantity, actor }) => {
      await lock.run(() =>
        db.commitThreeYears({ customerId: input.customerId, resellerId: input.resellerId, quantity, actor }),
      );
      return state();
    },
    {
      validator: ({ quantity }) => {
        if (!Number.isInteger(quantity) || quantity < 1)
          refuse('quantity must be a whole number of licenses, at least 1.', 'RenewalInvalid');
      },
    },
  );

  /** Waits until `t`, or until the term is renewed; then lets a renewal in flight finish before deciding. */
  const until = async (t: number) => {
    while (!ended() && Date.now() < t) await condition(ended, Math.max(t - Date.now(), 1));
    await condition(() => !lock.busy);
  };
  const notice = async (kind: 'upcoming' | 'ready') => {
    await email.sendRenewalNotice({
      customerId: input.customerId,
      anniversaryDate: input.anniversaryDate,
      kind,
      key: `${workflowInfo().workflowId}/${kind}`,
    });
    noticesSent++;
  };

  // R1: upcoming from 45 days out; R2: ready when the window opens; late after the date; expired after the grace.
  await until(noticeAt);
  if (!ended()) {
    setStatus('upcoming');
    await notice('upcoming');
  }
  await until(opensAt);
  if (!ended()) {
    setStatus('ready');
    await notice('ready');
  }
  await until(anniversary);
  if (!ended()) setStatus('late');
  await until(closesAt);
  if (!ended()) {
    await db.expireRenewal({
      customerId: input.customerId,
      resellerId: input.resellerId,
      renewalDate: input.anniversaryDate,
    });
    setStatus('expired');
  }
  if (status === 'renewed' && nextAnniversaryDate) {
    const next: RenewalInput = { ...input, anniversaryDate: nextAnniversaryDate };
    try {
      await startChild(renewalWorkflow, {
        workflowId: renewalWorkflowId(input.customerId, nextAnniversaryDate),
        args: [next],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        typedSearchAttributes: [
          { key: ResellerIdKey, value: input.resellerId },
          { key: CustomerIdKey, value: input.customerId },
          { key: LifecycleKey, value: 'renewal' },
          { key: LifecycleStatusKey, value: 'scheduled' },
        ],
      });
    } catch (err) {
      // The API may have started the next term's run already: it is the same one.
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  }
  await condition(allHandlersFinished);
  return state();
}
