// R5: the 3-year commitment (DOMAIN.md R4, R5, C6). The reseller requests it (the API checks VIP Select and the
// extended term as it stores the request); the customer accepts within the window, or the request is declined when
// the window closes; the reseller may cancel it while it is requested. Accepted, the unit price is locked and a
// payment falls due at once and at each anniversary of the acceptance, three in all; after three years it expires.
// Temporal cost, "committed and run to the end" (counted by hand): start 3; request email 6; the window's timer
// started+cancelled 2; accept update 2 + its step 6; year 1 invoice and email 12; years 2 and 3, a timer 2 + 12
// each 28; the end's timer 2 + expiry step 6 + status upserts (committed, expired) 2 + completion 1 ≈ 70 events.
import { condition, sleep } from '@temporalio/workflow';
import { addCalendarMonths } from '../lib/dates';
import {
  acceptThreeYearCommitmentUpdate,
  cancelThreeYearCommitmentUpdate,
  type ThreeYearCommitmentInput,
  type ThreeYearCommitmentState,
  type ThreeYearCommitmentStatus,
  ThreeYearCommitmentFailure,
  threeYearCommitmentStateQuery,
} from './definitions';
import { Lifecycle } from './kernel';

const YEARS = 3;

export async function threeYearCommitmentWorkflow(input: ThreeYearCommitmentInput): Promise<ThreeYearCommitmentState> {
  const { commitmentId, customerId } = input;
  const lc = new Lifecycle({
    name: 'three-year-commitment',
    status: 'requested' as ThreeYearCommitmentStatus,
    failures: ThreeYearCommitmentFailure,
    entity: { type: 'customer', id: customerId },
  });
  let committedAt: number | null = null;
  let paymentsInvoiced = 0;
  const state = (): ThreeYearCommitmentState => ({
    commitmentId,
    customerId,
    status: lc.status,
    acceptBy: input.acceptBy,
    committedAt: committedAt === null ? null : new Date(committedAt).toISOString(),
    paymentsInvoiced,
    incident: lc.incident,
  });
  lc.query(threeYearCommitmentStateQuery, state);
  const stillRequested = () => lc.assertStatus('requested', ThreeYearCommitmentFailure.NotRequested);
  lc.update(
    acceptThreeYearCommitmentUpdate,
    async (step, { actor }) => {
      await step('lock the price and commit', () => lc.db.acceptThreeYearCommitment({ commitmentId, actor }));
      committedAt = Date.now();
      lc.setStatus('committed');
      return state();
    },
    stillRequested,
  );
  lc.transition(cancelThreeYearCommitmentUpdate, 'cancelled', {
    step: 'cancel the request',
    call: ({ actor }) => lc.db.closeThreeYearCommitment({ commitmentId, status: 'cancelled', actor }),
    validate: stillRequested,
  });

  await lc.step(
    'tell the customer and the reseller',
    () => lc.email.sendThreeYearCommitmentNotice({ commitmentId, kind: 'requested', year: 0 }),
    { skip: () => 0 },
  );

  // The window: an acceptance or a cancellation ends it early; unanswered, the request is declined.
  const answered = await condition(
    () => lc.status !== 'requested',
    Math.max(Date.parse(input.acceptBy) - Date.now(), 1),
  );
  if (!answered) {
    await lc.exclusive(async () => {
      if (lc.status !== 'requested') return; // accepted as the window closed
      await lc.step('decline: the window closed', () =>
        lc.db.closeThreeYearCommitment({ commitmentId, status: 'declined', actor: 'system' }),
      );
      lc.setStatus('declined');
    });
  }
  await lc.settled();
  if (lc.status !== 'committed' || committedAt === null) {
    await lc.finish();
    return state();
  }

  const start = new Date(committedAt);
  for (let year = 1; year <= YEARS; year++) {
    const dueAt = addCalendarMonths(start, 12 * (year - 1)).getTime();
    if (dueAt > Date.now()) await sleep(dueAt - Date.now());
    await lc.step(`invoice year ${year}`, () =>
      lc.db.invoiceThreeYearCommitmentYear({ commitmentId, year, dueAt: new Date(dueAt).toISOString() }),
    );
    paymentsInvoiced = year;
    await lc.step(
      `email the year ${year} payment`,
      () => lc.email.sendThreeYearCommitmentNotice({ commitmentId, kind: 'payment', year }),
      { skip: () => 0 },
    );
  }
  await sleep(Math.max(addCalendarMonths(start, 12 * YEARS).getTime() - Date.now(), 1));
  await lc.step('expire the commitment', () =>
    lc.db.closeThreeYearCommitment({ commitmentId, status: 'expired', actor: 'system' }),
  );
  lc.setStatus('expired');
  await lc.finish();
  return state();
}
