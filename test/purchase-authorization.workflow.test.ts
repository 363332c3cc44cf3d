import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createCustomerActivities } from '../activities/customers';
import { createMailer } from '../activities/mailer';
import { planCounts } from '../db/purchase-authorizations';
import { purchaseAuthorizationWorkflow } from '../workflows';
import {
  assignLicensesUpdate,
  cancelPurchaseAuthorizationUpdate,
  placeOrderUpdate,
  purchaseAuthorizationStateQuery,
  purchaseAuthorizationStoredUpdate,
  purchaseAuthorizationWorkflowId,
  recordPaymentUpdate,
  requestReturnUpdate,
  type PurchaseAuthorizationInput,
  type PurchaseAuthorizationStatus,
} from '../workflows/definitions';
import { testContext } from './helpers/env';
import { customerDetails, newReseller } from './helpers/fixtures';
import { withTimeSkippingWorker } from './helpers/temporal';

const { config, sql } = testContext();
const mailer = createMailer(config);
const customers = createCustomerActivities({ sql, mailer, config });
let env: TestWorkflowEnvironment;
let taskQueue: string;
withTimeSkippingWorker({ sql, config, mailer }, (suite) => ({ env, taskQueue } = suite));

async function customerOf() {
  const reseller = await newReseller(sql);
  const customerId = randomUUID();
  await customers.registerCustomer({
    customerId,
    resellerId: reseller.resellerId,
    invitedBy: reseller.userId,
    customer: customerDetails(),
    reminderSchedule: [],
  });
  return { reseller, customerId };
}

const paInput = (
  c: Awaited<ReturnType<typeof customerOf>>,
  overrides: Partial<PurchaseAuthorizationInput> = {},
): PurchaseAuthorizationInput => ({
  paId: randomUUID(),
  resellerId: c.reseller.resellerId,
  customerId: c.customerId,
  createdBy: c.reseller.userId,
  product: 'Creative Cloud All Apps',
  quantity: 5,
  extendedTermMonths: null,
  terms: { overdueAfter: '31 days', deactivateAfter: '61 days', returnWindow: '14 days' },
  ...overrides,
});

async function startPa(input: PurchaseAuthorizationInput) {
  const handle = await env.client.workflow.start(purchaseAuthorizationWorkflow, {
    taskQueue,
    workflowId: purchaseAuthorizationWorkflowId(input.paId),
    args: [input],
  });
  const stored = await handle.executeUpdate(purchaseAuthorizationStoredUpdate);
  return { handle, stored };
}

/** Timers fire while the clock skips; their activities finish a moment later. */
async function statusBecomes(
  handle: Awaited<ReturnType<typeof startPa>>['handle'],
  status: PurchaseAuthorizationStatus,
) {
  for (let i = 0; i < 100; i++) {
    if ((await handle.query(purchaseAuthorizationStateQuery)).status === status) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`status never became ${status}`);
}

const rowOf = async (paId: string) =>
  (
    await sql<
      { status: string; licenseStatus: string }[]
    >`SELECT pa.status, l.status AS license_status FROM purchase_authorizations pa JOIN licenses l ON l.purchase_authorization_id = pa.id WHERE pa.id = ${paId}`
  )[0];
const actor = { actor: 'user:test' };
/** The workflow's reason for refusing an update (the failure's cause carries it). */
async function reasonOf(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => null,
    (e: Error & { cause?: Error }) => e,
  );
  if (!err) throw new Error('expected a refusal');
  return err.cause?.message ?? err.message;
}

describe('purchase authorizations on the time-skipping server', () => {
  it('P2: unpaid, a PA is overdue at day 31 (licenses usable, no new PAs), deactivated at day 61, restored by payment at day 70 (P1: immediate access)', async () => {
    const c = await customerOf();
    const input = paInput(c);
    const { handle, stored } = await startPa(input);
    expect(stored).toMatchObject({ status: 'pending', licensesActive: true });
    expect(await rowOf(input.paId)).toEqual({ status: 'pending', licenseStatus: 'active' });

    await env.sleep('30 days');
    expect((await handle.query(purchaseAuthorizationStateQuery)).status).toBe('pending');
    await env.sleep('1 day');
    await statusBecomes(handle, 'overdue');
    expect(await handle.query(purchaseAuthorizationStateQuery)).toMatchObject({ licensesActive: true });
    expect(await rowOf(input.paId)).toEqual({ status: 'overdue', licenseStatus: 'active' });
    const second = await startPa(paInput(c));
    expect(second.stored).toMatchObject({ status: 'refused', refusal: expect.stringContaining('overdue') });

    await env.sleep('29 days');
    expect((await handle.query(purchaseAuthorizationStateQuery)).status).toBe('overdue');
    await env.sleep('1 day');
    await statusBecomes(handle, 'deactivated');
    expect(await rowOf(input.paId)).toEqual({ status: 'deactivated', licenseStatus: 'deactivated' });

    await env.sleep('9 days');
    const paid = await handle.executeUpdate(recordPaymentUpdate, { args: [actor] });
    expect(paid).toMatchObject({ status: 'paid', licensesActive: true });
    expect(await rowOf(input.paId)).toEqual({ status: 'paid', licenseStatus: 'active' });
  });

  it('P3: a PA is cancelled only while pending and with no license assigned; the customer loses access', async () => {
    const c = await customerOf();
    const input = paInput(c);
    const { handle } = await startPa(input);
    await handle.executeUpdate(assignLicensesUpdate, { args: [{ assigned: 2, actor: 'user:test' }] });
    await expect(handle.executeUpdate(cancelPurchaseAuthorizationUpdate, { args: [actor] })).rejects.toThrow();
    await handle.executeUpdate(assignLicensesUpdate, { args: [{ assigned: 0, actor: 'user:test' }] });
    expect(await handle.executeUpdate(cancelPurchaseAuthorizationUpdate, { args: [actor] })).toMatchObject({
      status: 'cancelled',
      licensesActive: false,
    });
    expect(await rowOf(input.paId)).toEqual({ status: 'cancelled', licenseStatus: 'cancelled' });
    expect(await handle.result()).toMatchObject({ status: 'cancelled' });

    const ordered = (await startPa(paInput(c))).handle;
    await ordered.executeUpdate(placeOrderUpdate, { args: [actor] });
    expect(await reasonOf(ordered.executeUpdate(cancelPurchaseAuthorizationUpdate, { args: [actor] }))).toMatch(
      /return/,
    );
  });

  it('P4: a return is requested only after an order, within the return window', async () => {
    const c = await customerOf();
    const input = paInput(c);
    const { handle } = await startPa(input);
    expect(await reasonOf(handle.executeUpdate(requestReturnUpdate, { args: [actor] }))).toMatch(/cancel/);
    await handle.executeUpdate(placeOrderUpdate, { args: [actor] });
    expect(await handle.executeUpdate(requestReturnUpdate, { args: [actor] })).toMatchObject({
      status: 'returned',
      licensesActive: false,
    });
    expect(await rowOf(input.paId)).toEqual({ status: 'returned', licenseStatus: 'returned' });

    const late = (await startPa(paInput(c))).handle;
    await late.executeUpdate(placeOrderUpdate, { args: [actor] });
    await env.sleep('15 days');
    expect(await reasonOf(late.executeUpdate(requestReturnUpdate, { args: [actor] }))).toMatch(/14 days/);
  });

  it('P5: the plans view counts fulfilled and pending, assigned and unassigned licenses', async () => {
    const c = await customerOf();
    const a = await startPa(paInput(c, { quantity: 5 }));
    const b = await startPa(paInput(c, { quantity: 2 }));
    const gone = await startPa(paInput(c, { quantity: 7 }));
    await a.handle.executeUpdate(placeOrderUpdate, { args: [actor] });
    await a.handle.executeUpdate(assignLicensesUpdate, { args: [{ assigned: 3, actor: 'user:test' }] });
    await b.handle.executeUpdate(assignLicensesUpdate, { args: [{ assigned: 1, actor: 'user:test' }] });
    await gone.handle.executeUpdate(cancelPurchaseAuthorizationUpdate, { args: [actor] });
    expect(await planCounts(sql, c.customerId)).toEqual({ fulfilled: 5, pending: 2, assigned: 4, unassigned: 3 });
  });
});
