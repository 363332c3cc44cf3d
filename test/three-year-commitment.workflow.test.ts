import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/client';
import { requestThreeYearCommitment } from '../db/three-year-commitments';
import { threeYearCommitmentWorkflow } from '../workflows';
import {
  acceptThreeYearCommitmentUpdate,
  cancelThreeYearCommitmentUpdate,
  ThreeYearCommitmentFailure,
  threeYearCommitmentStateQuery,
  threeYearCommitmentWorkflowId,
} from '../workflows/definitions';
import { registeredCustomer } from './helpers/fixtures';
import { eventually, refusalType, timeSkippingSuite } from './helpers/temporal';

// R5 on the time-skipping server, crossing its real timers: the window to accept (7 days), the payments at
// acceptance and at each anniversary of it, the expiry after three years.

const suite = timeSkippingSuite();
const { sql, mailbox } = suite;
const PRODUCT = 'Creative Cloud All Apps';

/** A customer with VIP Select level 2 (commercial: 10 % off), and a requested commitment of 20 licenses. */
async function requested(acceptWithinMs = 7 * 24 * 3600_000) {
  const c = await registeredCustomer(sql);
  await sql`UPDATE customers SET vip_select_level = 2 WHERE id = ${c.customerId}`;
  const commitmentId = randomUUID();
  const acceptBy = new Date(Date.now() + acceptWithinMs);
  const made = await sql.begin((tx) =>
    requestThreeYearCommitment(tx, {
      id: commitmentId,
      resellerId: c.reseller.resellerId,
      customerId: c.customerId,
      product: PRODUCT,
      currency: 'EUR',
      quantity: 20,
      acceptBy,
      actor: 'test',
    }),
  );
  expect(made.outcome).toBe('requested');
  const handle = await suite.start(threeYearCommitmentWorkflow, {
    workflowId: threeYearCommitmentWorkflowId(commitmentId),
    args: [
      { commitmentId, customerId: c.customerId, resellerId: c.reseller.resellerId, acceptBy: acceptBy.toISOString() },
    ],
  });
  return { ...c, commitmentId, handle };
}

const row = async (id: string) =>
  (
    await sql<{ status: string; unitPriceMinor: number | null; discountPercent: number | null }[]>`
      SELECT status, unit_price_minor::float8 AS unit_price_minor, discount_percent FROM three_year_commitments WHERE id = ${id}`
  )[0];
const payments = (id: string) =>
  sql<{ year: number; amountMinor: string }[]>`
    SELECT year, amount_minor FROM three_year_commitment_payments WHERE commitment_id = ${id} ORDER BY year`;
const committedQuantity = async (customerId: string) =>
  (
    await sql<
      { q: number | null }[]
    >`SELECT three_year_commitment_quantity AS q FROM customers WHERE id = ${customerId}`
  )[0]?.q;

/** Waits until the customer's payment email for `year` has arrived. */
async function yearMail(email: string, year: number): Promise<void> {
  await eventually(async () =>
    expect((await mailbox.to(email)).some((m) => m.subject.includes(`year ${year} payment`))).toBe(true),
  );
}

it('R5: a request the customer does not accept within its 7-day window is declined; the customer was told', async () => {
  const c = await requested();
  const [mail] = await mailbox.waitFor(c.email, 1);
  expect(mail!.subject).toContain('3-year commitment requested');
  expect(mail!.text).toContain(`20 × ${PRODUCT}`);

  await suite.env().sleep('6 days');
  expect((await c.handle.query(threeYearCommitmentStateQuery)).status).toBe('requested');
  await suite.env().sleep('1 day');
  await expect(c.handle.result()).resolves.toMatchObject({ status: 'declined', paymentsInvoiced: 0 });
  expect((await row(c.commitmentId))?.status).toBe('declined');
  expect(await committedQuantity(c.customerId)).toBeNull();
});

it('R5: accepted, the price is locked with the VIP Select discount; a payment at once, after 12 and 24 months; expired after 3 years', async () => {
  const c = await requested();
  const accepted = await c.handle.executeUpdate(acceptThreeYearCommitmentUpdate, {
    args: [{ actor: `customer:${c.email}` }],
  });
  expect(accepted.status).toBe('committed');
  // 850.00 EUR per license and year, 10 % off at level 2: 765.00 × 20 licenses.
  expect(await row(c.commitmentId)).toMatchObject({ status: 'committed', unitPriceMinor: 76_500, discountPercent: 10 });
  expect(await committedQuantity(c.customerId)).toBe(20);
  await eventually(async () => expect((await payments(c.commitmentId)).map((p) => p.year)).toEqual([1]));
  expect(Number((await payments(c.commitmentId))[0]!.amountMinor)).toBe(1_530_000);
  // Time is skipped only once the run is idle on its next timer (the year 1 email sent): skipping while a step
  // is still being handed out races the test server's clock.
  await yearMail(c.email, 1);
  // Committed, the run goes on for three years and refuses a second acceptance.
  expect(
    await refusalType(c.handle.executeUpdate(acceptThreeYearCommitmentUpdate, { args: [{ actor: 'customer:x' }] })),
  ).toBe(ThreeYearCommitmentFailure.NotRequested);

  await suite.env().sleep('300 days');
  expect((await payments(c.commitmentId)).map((p) => p.year)).toEqual([1]);
  await suite.env().sleep('66 days');
  await eventually(async () => expect((await payments(c.commitmentId)).map((p) => p.year)).toEqual([1, 2]));
  await yearMail(c.email, 2);
  await suite.env().sleep('366 days');
  await eventually(async () => expect((await payments(c.commitmentId)).map((p) => p.year)).toEqual([1, 2, 3]));
  await yearMail(c.email, 3);
  // The same fixed amount each year.
  expect(new Set((await payments(c.commitmentId)).map((p) => Number(p.amountMinor)))).toEqual(new Set([1_530_000]));
  const yearMails = (await mailbox.to(c.email)).filter((m) => /year \d payment/.test(m.subject));
  expect(yearMails.map((m) => m.subject.match(/year (\d)/)?.[1]).sort()).toEqual(['1', '2', '3']);

  expect((await c.handle.query(threeYearCommitmentStateQuery)).status).toBe('committed');
  await suite.env().sleep('366 days');
  await expect(c.handle.result()).resolves.toMatchObject({ status: 'expired', paymentsInvoiced: 3 });
  expect((await row(c.commitmentId))?.status).toBe('expired');
  expect(await committedQuantity(c.customerId)).toBeNull();
});

it('R5: the reseller cancels a request while it awaits acceptance; it can no longer be accepted', async () => {
  const c = await requested();
  const cancelled = await c.handle.executeUpdate(cancelThreeYearCommitmentUpdate, { args: [{ actor: 'user:test' }] });
  expect(cancelled.status).toBe('cancelled');
  // Cancelled, the run ends: an acceptance finds no run to take it (the API answers 409 lifecycle_ended).
  await expect(c.handle.result()).resolves.toMatchObject({ status: 'cancelled' });
  await expect(
    c.handle.executeUpdate(acceptThreeYearCommitmentUpdate, { args: [{ actor: 'customer:x' }] }),
  ).rejects.toBeInstanceOf(WorkflowNotFoundError);
  expect((await row(c.commitmentId))?.status).toBe('cancelled');
  expect(await payments(c.commitmentId)).toEqual([]);
});
