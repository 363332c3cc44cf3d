import { createHmac, randomUUID } from 'node:crypto';
import request from 'supertest';
import { issueApiKey, type Permission } from '../db/api-keys';
import { purchaseAuthorizationStateQuery, purchaseAuthorizationWorkflowId } from '../workflows/definitions';
import { customerBody, newReseller, type Reseller, uniqueEmail } from './helpers/fixtures';
import { signedIn, stackForSuite } from './helpers/stack';

// P2/D6: a purchase authorization is paid by a payment with evidence: a `billing` user's record (amount and
// reference) or the payment provider's signed webhook. Unpaid PAs deactivate within seconds here, so a payment can
// be seen to restore their licenses.
const stack = stackForSuite({
  PA_OVERDUE_AFTER: '1 second',
  PA_DEACTIVATE_AFTER: '2 seconds',
  PA_WARN_BEFORE: '0 seconds',
});
let reseller: Reseller;
let orderOnly: string;
let billing: string;

async function addUser(permissions: Permission[]) {
  const userId = randomUUID();
  await stack.sql`INSERT INTO reseller_users (id, reseller_id, email, name, permissions)
                  VALUES (${userId}, ${reseller.resellerId}, ${uniqueEmail('user')}, 'Colleague', ${permissions})`;
  return issueApiKey(stack.sql, userId);
}

beforeAll(async () => {
  reseller = await newReseller(stack.sql);
  orderOnly = await addUser(['order']);
  billing = await addUser(['billing']);
});

const as = (key: string) => signedIn(stack.app, key);
const PRICE = { amountMinor: 480_000, currency: 'EUR' };

/** A PA priced at PRICE, for a customer of its own (an overdue PA stops new ones for its customer). */
async function newPa() {
  const customer = await as(reseller.apiKey).post('/v1/customers').send(customerBody());
  const pa = await as(orderOnly)
    .post('/v1/purchase-authorizations')
    .send({ customerId: customer.body.id, product: 'Creative Cloud All Apps', quantity: 4, amount: PRICE });
  expect(pa.status).toBe(201);
  expect(pa.body.amount).toEqual(PRICE);
  return pa.body.id as string;
}

const pay = (key: string, paId: string, body: Record<string, unknown>) =>
  as(key).post(`/v1/purchase-authorizations/${paId}/payment`).send(body);

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const paRow = async (paId: string) => {
  const [row] = await stack.sql<{ status: string; licenseStatus: string }[]>`
    SELECT pa.status, l.status AS license_status
    FROM purchase_authorizations pa JOIN licenses l ON l.purchase_authorization_id = pa.id WHERE pa.id = ${paId}`;
  return row!;
};
const paymentsOf = (paId: string) =>
  stack.sql<{ amountMinor: number; reference: string | null; providerEventId: string | null }[]>`
    SELECT amount_minor, reference, provider_event_id FROM payments WHERE purchase_authorization_id = ${paId}`;
const transactionsOf = (paId: string) =>
  stack.sql<{ kind: string; amountMinor: number }[]>`
    SELECT kind, amount_minor FROM reseller_balance_transactions WHERE purchase_authorization_id = ${paId} ORDER BY id`;

const sign = (body: string, secret = stack.config.PAYMENT_WEBHOOK_SECRET) =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
const webhook = (body: string, signature: string) =>
  request(stack.app)
    .post('/webhooks/payments')
    .set('content-type', 'application/json')
    .set('payment-signature', signature)
    .send(body);
const paEvent = (paId: string, amount = PRICE, id = `evt_${randomUUID()}`) =>
  JSON.stringify({ id, type: 'payment.succeeded', data: { purchaseAuthorizationId: paId, ...amount } });

describe('paying a purchase authorization (P2, D6)', () => {
  it('P2 T2: a user with `order` only cannot record a payment → 403; nothing is paid', async () => {
    const paId = await newPa();
    const res = await pay(orderOnly, paId, { ...PRICE, reference: `ref-${paId}` });
    expect([res.status, res.body.error.code]).toEqual([403, 'forbidden']);
    expect(await paymentsOf(paId)).toEqual([]);
    expect((await paRow(paId)).status).not.toBe('paid');
  });

  it('P2: a payment without its amount or reference → 400 naming the field; nothing is paid', async () => {
    const paId = await newPa();
    const noAmount = await pay(billing, paId, { currency: 'EUR', reference: 'TRX-1' });
    expect([noAmount.status, noAmount.body.error.issues.map((i: { field: string }) => i.field)]).toEqual([
      400,
      ['amountMinor'],
    ]);
    const noReference = await pay(billing, paId, PRICE);
    expect([noReference.status, noReference.body.error.issues.map((i: { field: string }) => i.field)]).toEqual([
      400,
      ['reference'],
    ]);
    const empty = await pay(billing, paId, {});
    expect(empty.body.error.issues.map((i: { field: string }) => i.field)).toEqual(
      expect.arrayContaining(['amountMinor', 'currency', 'reference']),
    );
    const fractional = await pay(billing, paId, { amountMinor: 10.5, currency: 'EUR', reference: 'TRX-2' });
    expect([fractional.status, fractional.body.error.issues[0].field]).toEqual([400, 'amountMinor']);
    expect(await paymentsOf(paId)).toEqual([]);
  });

  it("P2: a payment that does not cover the PA's amount, or in another currency, is refused (422); nothing is paid", async () => {
    const paId = await newPa();
    const short = await pay(billing, paId, {
      amountMinor: PRICE.amountMinor - 1,
      currency: 'EUR',
      reference: 'SHORT-1',
    });
    expect([short.status, short.body.error.code]).toEqual([422, 'payment_does_not_cover']);
    expect(short.body.error.message).toMatch(/does not cover/);
    const usd = await pay(billing, paId, { amountMinor: PRICE.amountMinor, currency: 'USD', reference: 'USD-1' });
    expect([usd.status, usd.body.error.code]).toEqual([422, 'payment_does_not_cover']);
    expect(await paymentsOf(paId)).toEqual([]);
    expect((await paRow(paId)).status).not.toBe('paid');
  });

  it("P2 D6: a billing user's payment pays a deactivated PA: its workflow is paid, its licenses restored, the balance shows it; audited", async () => {
    const paId = await newPa();
    await until('the PA deactivated', async () => (await paRow(paId)).status === 'deactivated');
    expect((await paRow(paId)).licenseStatus).toBe('deactivated');
    const before = await as(billing).get('/v1/balance');

    const reference = `TRX-${paId}`;
    const paid = await pay(billing, paId, { ...PRICE, reference });
    expect(paid.status).toBe(200);
    expect(paid.body).toMatchObject({ status: 'paid', licenseStatus: 'active', licensesActive: true });
    expect(paid.headers['idempotent-replayed']).toBe('false');
    expect(await paRow(paId)).toEqual({ status: 'paid', licenseStatus: 'active' });
    const state = await stack.temporal.workflow
      .getHandle(purchaseAuthorizationWorkflowId(paId))
      .query(purchaseAuthorizationStateQuery);
    expect(state).toMatchObject({ status: 'paid', licensesActive: true });

    // D6: the PA's charge and the payment that settles it.
    expect(await paymentsOf(paId)).toEqual([{ amountMinor: PRICE.amountMinor, reference, providerEventId: null }]);
    expect(await transactionsOf(paId)).toEqual([
      { kind: 'purchase_authorization', amountMinor: PRICE.amountMinor },
      { kind: 'payment', amountMinor: -PRICE.amountMinor },
    ]);
    const balance = await as(billing).get('/v1/balance');
    expect(balance.status).toBe(200);
    expect(balance.body.transactions.slice(0, 2)).toEqual([
      expect.objectContaining({
        kind: 'payment',
        purchaseAuthorizationId: paId,
        amount: { amountMinor: -PRICE.amountMinor, currency: 'EUR' },
        description: expect.stringContaining(reference),
      }),
      expect.objectContaining({
        kind: 'purchase_authorization',
        purchaseAuthorizationId: paId,
        amount: { amountMinor: PRICE.amountMinor, currency: 'EUR' },
      }),
    ]);
    expect(balance.body.balances).toEqual(
      before.body.balances.length ? before.body.balances : [{ amountMinor: 0, currency: 'EUR' }],
    );

    const [audit] = await stack.sql<{ actor: string; after: { status: string; payment: { reference: string } } }[]>`
      SELECT actor, after FROM audit_events WHERE entity_id = ${paId} AND action = 'purchase_authorization.paid'`;
    expect(audit).toMatchObject({ after: { status: 'paid', payment: { reference, amountMinor: PRICE.amountMinor } } });
    expect(audit!.actor).toMatch(/^user:/);
  });

  it('P2 D6: the same reference twice pays once (a replay answers the same); on another PA it is a conflict', async () => {
    const paId = await newPa();
    const reference = `DUP-${paId}`;
    const [a, b] = await Promise.all([
      pay(billing, paId, { ...PRICE, reference }),
      pay(billing, paId, { ...PRICE, reference }),
    ]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect([a.body.status, b.body.status]).toEqual(['paid', 'paid']);
    const replay = await pay(billing, paId, { ...PRICE, reference });
    expect([replay.status, replay.body.status, replay.headers['idempotent-replayed']]).toEqual([200, 'paid', 'true']);
    expect(await paymentsOf(paId)).toHaveLength(1);
    expect(await transactionsOf(paId)).toHaveLength(2);

    const otherPa = await newPa();
    const reused = await pay(billing, otherPa, { ...PRICE, reference });
    expect([reused.status, reused.body.error.code]).toEqual([409, 'payment_reference_used']);
    expect(await paymentsOf(otherPa)).toEqual([]);
    // A paid PA takes no second payment under another reference.
    const second = await pay(billing, paId, { ...PRICE, reference: `${reference}-2` });
    expect(second.status).toBe(409);
    expect(await paymentsOf(paId)).toHaveLength(1);
  });

  it('P2 D6: the signed provider webhook pays a PA once per event; a bad signature → 401, nothing paid', async () => {
    const paId = await newPa();
    const forged = paEvent(paId);
    const bad = await webhook(forged, sign(forged, 'not-the-webhook-secret-at-all'));
    expect(bad.status).toBe(401);
    expect(await paymentsOf(paId)).toEqual([]);
    const short = paEvent(paId, { amountMinor: 1, currency: 'EUR' });
    expect((await webhook(short, sign(short))).status).toBe(422);

    const event = paEvent(paId);
    const first = await webhook(event, sign(event));
    expect([first.status, first.body]).toEqual([200, { received: true, duplicate: false }]);
    const again = await webhook(event, sign(event));
    expect([again.status, again.body]).toEqual([200, { received: true, duplicate: true }]);
    expect(await paRow(paId)).toEqual({ status: 'paid', licenseStatus: 'active' });
    expect(await paymentsOf(paId)).toEqual([
      { amountMinor: PRICE.amountMinor, reference: null, providerEventId: JSON.parse(event).id },
    ]);
    expect(await transactionsOf(paId)).toHaveLength(2);

    const unknown = paEvent(randomUUID());
    expect((await webhook(unknown, sign(unknown))).status).toBe(404);
  });
});
