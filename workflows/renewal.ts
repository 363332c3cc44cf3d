// The renewal of one term (DOMAIN.md R1-R5, C6): notices from 45 days out to the customer and its reseller, the
// renewal window around the anniversary, expiry of the licenses it covers without a renewal; a renewal starts the
// next term's run under its own id.
import { condition } from '@temporalio/workflow';
import {
  commitThreeYearsUpdate,
  type RenewalInput,
  type RenewalNotice,
  type RenewalState,
  type RenewalStatus,
  type RenewalTiming,
  RenewalFailure,
  renewalStateQuery,
  renewUpdate,
} from './definitions';
import { durationMs } from './duration';
import { Lifecycle } from './kernel';
import { ensureRenewal } from './renewal-start';

export async function renewalWorkflow(input: RenewalInput): Promise<RenewalState> {
  // input.resellerId tags the run only; every step reads the customer's current reseller from the database.
  const { customerId, anniversaryDate, terms } = input;
  const lc = new Lifecycle({
    name: 'renewal',
    status: 'scheduled' as RenewalStatus,
    failures: RenewalFailure,
    entity: { type: 'customer', id: customerId },
  });
  const anniversary = Date.parse(`${anniversaryDate}T00:00:00Z`);
  const noticeAt = anniversary - durationMs(terms.noticeBefore);
  const opensAt = anniversary - durationMs(terms.earlyFrom);
  const earlyEndsAt = anniversary - durationMs(terms.earlyUntil);
  const closesAt = anniversary + durationMs(terms.lateUntil);
  let noticesSent = 0;
  let renewedQuantity: number | null = null;
  let nextAnniversaryDate: string | null = null;

  const state = (): RenewalState => ({
    customerId,
    anniversaryDate,
    status: lc.status,
    noticesSent,
    windowOpensAt: new Date(opensAt).toISOString(),
    windowClosesAt: new Date(closesAt).toISOString(),
    renewedQuantity,
    nextAnniversaryDate,
    incident: lc.incident,
  });
  const ended = () => lc.status === 'renewed' || lc.status === 'expired';
  const timingAt = (t: number): RenewalTiming => (t <= earlyEndsAt ? 'early' : t < anniversary ? 'on_time' : 'late');
  const assertQuantity = (quantity: number) => {
    if (!Number.isInteger(quantity) || quantity < 1)
      lc.refuse('quantity must be a whole number of licenses, at least 1.', RenewalFailure.Invalid);
  };

  lc.query(renewalStateQuery, state);
  // R2/R3: a renewal order inside the window, early, on time or late.
  lc.update(
    renewUpdate,
    async (step, { quantity, actor }) => {
      const { termEndsOn } = await step('record the renewal order', () =>
        lc.db.recordRenewal({
          customerId,
          renewalDate: anniversaryDate,
          timing: timingAt(Date.now()),
          quantity,
          actor,
        }),
      );
      renewedQuantity = quantity;
      nextAnniversaryDate = termEndsOn;
      lc.setStatus('renewed');
      return state();
    },
    ({ quantity }) => {
      assertQuantity(quantity);
      if (lc.status === 'renewed')
        lc.refuse(
          `This term was already renewed; the next term runs to ${nextAnniversaryDate}.`,
          RenewalFailure.AlreadyRenewed,
        );
      if (lc.status === 'expired')
        lc.refuse('The renewal window has closed and the licenses have expired (R2).', RenewalFailure.Expired);
      const now = Date.now();
      if (now < opensAt)
        lc.refuse(
          `The renewal window opens on ${new Date(opensAt).toISOString().slice(0, 10)}, ` +
            `${terms.earlyFrom} before the anniversary (R2).`,
          RenewalFailure.OutsideWindow,
        );
      if (now > closesAt)
        lc.refuse(
          `Late renewal is possible only up to ${terms.lateUntil} after the anniversary (R2).`,
          RenewalFailure.OutsideWindow,
        );
    },
  );
  // R5: refused by the database's rules (VIP Select first, never on an extended term) as CommitmentRefused.
  lc.update(
    commitThreeYearsUpdate,
    async (step, { quantity, actor }) => {
      await step('record the 3-year commitment', () => lc.db.commitThreeYears({ customerId, quantity, actor }));
      return state();
    },
    ({ quantity }) => assertQuantity(quantity),
  );

  /** Waits until `t`, or until the term is renewed; then lets a change in flight finish before deciding. */
  const until = async (t: number) => {
    while (!ended() && Date.now() < t) await condition(ended, Math.max(t - Date.now(), 1));
    await lc.settled();
  };
  // R1: to the customer and its current reseller; the lifecycle goes on without it, and drops it once renewed.
  const notice = async (kind: RenewalNotice) => {
    const sent = await lc.step(
      `send the ${kind} renewal notice`,
      () => lc.email.sendRenewalNotice({ customerId, anniversaryDate, kind }),
      { skip: () => null, moot: ended },
    );
    if (sent !== null) noticesSent++;
  };

  // R1: upcoming from 45 days out; R2: ready when the window opens; late after the date; expired after the grace.
  await until(noticeAt);
  if (!ended()) {
    lc.setStatus('upcoming');
    await notice('upcoming');
  }
  await until(opensAt);
  if (!ended()) {
    lc.setStatus('ready');
    await notice('ready');
  }
  await until(anniversary);
  if (!ended()) lc.setStatus('late');
  await until(closesAt);
  await lc.exclusive(async () => {
    if (ended()) return;
    // R2: only the licenses the renewal covers (the customer's purchase authorization licenses) expire.
    await lc.step('expire the licenses', () => lc.db.expireRenewal({ customerId, renewalDate: anniversaryDate }));
    lc.setStatus('expired');
  });
  // C5/R1: the renewed term's end is the next anniversary: its run starts now, for whoever owns the customer then.
  if (lc.status === 'renewed') await ensureRenewal(lc, customerId);
  await lc.finish();
  return state();
}
