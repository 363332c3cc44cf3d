import { createHmac, randomUUID } from 'node:crypto';
import { constants, inflateSync } from 'node:zlib';
import request from 'supertest';
import { issueApiKey } from '../db/api-keys';
import { customerBody, newReseller } from './helpers/fixtures';
import { signedIn, stackForSuite } from './helpers/stack';

const stack = stackForSuite();
let reseller: Awaited<ReturnType<typeof newReseller>>;
let orderId: string;

const as = (key: string) => signedIn(stack.app, key);

/** Places a monthly SaaS order through the API; `active` marks its license activated (the customer's step). */
async function order(key: string, active = true): Promise<string> {
  const c = customerBody();
  const customer = await as(key).post('/v1/customers').send(c);
  const placed = await as(key)
    .post('/v1/orders')
    .send({
      kind: 'order',
      customerId: customer.body.id,
      priceList: 'EUR',
      drivers: ['hp-latex-800', 'summa-s2'],
      subscriptionType: 'saas-monthly',
      plan: 'production',
    });
  expect(placed.status).toBe(201);
  if (active)
    await stack.sql`UPDATE licenses SET status = 'active', activated_at = now() WHERE order_id = ${placed.body.id}`;
  return placed.body.id;
}

/** The text of a PDF: inflates its content streams and decodes the hex strings of TJ operators (pdfkit's standard fonts). */
function pdfText(pdf: Buffer): string {
  const raw = pdf.toString('latin1');
  const texts: string[] = [];
  for (const m of raw.matchAll(/stream\n([\s\S]*?)\n+endstream/g)) {
    let content: string;
    try {
      content = inflateSync(Buffer.from(m[1]!, 'latin1'), { finishFlush: constants.Z_SYNC_FLUSH }).toString('latin1');
    } catch {
      content = m[1]!;
    }
    for (const tj of content.matchAll(/\[([^\]]*)\]\s*TJ/g)) {
      texts.push(
        [...tj[1]!.matchAll(/<([0-9a-fA-F]*)>/g)].map((h) => Buffer.from(h[1]!, 'hex').toString('latin1')).join(''),
      );
    }
  }
  return texts.join('\n');
}

const sign = (body: string, secret = stack.config.PAYMENT_WEBHOOK_SECRET) =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
const webhook = (body: string, signature: string) =>
  request(stack.app)
    .post('/webhooks/payments')
    .set('content-type', 'application/json')
    .set('payment-signature', signature)
    .send(body);

beforeAll(async () => {
  reseller = await newReseller(stack.sql);
  await stack.sql`UPDATE resellers SET discount_percent = 10 WHERE id = ${reseller.resellerId}`;
  orderId = await order(reseller.apiKey);
  const started = await as(reseller.apiKey).post('/v1/billing/subscriptions').send({ orderId });
  expect(started.status).toBe(201);
});

describe('billing through the API, against the dev server', () => {
  it("B1: the cycle's invoice is listed net of the reseller's discount (B2: EUR list), and downloads as a PDF with its number and total", async () => {
    const list = await as(reseller.apiKey).get(`/v1/invoices?orderId=${orderId}`);
    expect(list.status).toBe(200);
    expect(list.body.data).toHaveLength(1);
    const invoice = list.body.data[0];
    expect(invoice).toMatchObject({
      orderId,
      status: 'open',
      discountPercent: 10,
      subtotal: { amountMinor: 23_700, currency: 'EUR' },
      discount: { amountMinor: 2_370, currency: 'EUR' },
      total: { amountMinor: 21_330, currency: 'EUR' },
    });
    const one = await as(reseller.apiKey).get(`/v1/invoices/${invoice.id}`);
    expect(one.body.lines.map((l: { item: string }) => l.item)).toEqual(['production', 'hp-latex-800', 'summa-s2']);

    const pdf = await as(reseller.apiKey)
      .get(`/v1/invoices/${invoice.id}/pdf`)
      .buffer(true)
      .parse((res, cb) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => cb(null, Buffer.concat(chunks)));
      });
    expect(pdf.status).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    const body = pdf.body as Buffer;
    expect(body.subarray(0, 5).toString()).toBe('%PDF-');
    const text = pdfText(body);
    expect(text).toContain(invoice.number);
    expect(text).toContain('213.30 EUR');

    const state = await as(reseller.apiKey).get(`/v1/billing/subscriptions/${orderId}`);
    expect(state.body).toMatchObject({
      orderId,
      cycle: 'monthly',
      entitlement: 'active',
      billing: 'active',
      currentInvoiceId: invoice.id,
    });
    expect((await as(reseller.apiKey).post('/v1/billing/subscriptions').send({ orderId })).status).toBe(200);
  });

  it('D6: a signed payment marks the invoice paid once, however often it is replayed (B1: a bad signature is 401)', async () => {
    const [invoice] = (await as(reseller.apiKey).get(`/v1/invoices?orderId=${orderId}`)).body.data;
    const body = JSON.stringify({
      id: `evt_${randomUUID()}`,
      type: 'payment.succeeded',
      data: { invoiceId: invoice.id, amountMinor: 21_330, currency: 'EUR' },
    });
    expect((await webhook(body, sign(body, 'not-the-secret-at-all'))).status).toBe(401);
    expect((await webhook(body, 'sha256=')).status).toBe(401);
    expect((await as(reseller.apiKey).get(`/v1/invoices/${invoice.id}`)).body.status).toBe('open');

    const first = await webhook(body, sign(body));
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ received: true, duplicate: false });
    const replay = await webhook(body, sign(body));
    expect(replay.body).toEqual({ received: true, duplicate: true });
    expect((await as(reseller.apiKey).get(`/v1/invoices/${invoice.id}`)).body).toMatchObject({
      status: 'paid',
      paidAt: expect.any(String),
    });
    expect((await stack.sql`SELECT 1 FROM payments WHERE invoice_id = ${invoice.id}`).length).toBe(1);

    const balance = await as(reseller.apiKey).get('/v1/balance');
    expect(balance.status).toBe(200);
    expect(balance.body.balances).toEqual([{ amountMinor: 0, currency: 'EUR' }]);
    expect(
      balance.body.transactions.map((t: { kind: string; amount: { amountMinor: number } }) => [
        t.kind,
        t.amount.amountMinor,
      ]),
    ).toEqual([
      ['payment', -21_330],
      ['invoice', 21_330],
    ]);
    const other = JSON.stringify({
      id: `evt_${randomUUID()}`,
      type: 'payment.succeeded',
      data: { invoiceId: invoice.id, amountMinor: 21_330, currency: 'EUR' },
    });
    expect((await webhook(other, sign(other))).status).toBe(422);
  });

  it('S1 S2: suspend (revocable), stop and reactivate through the API', async () => {
    const base = `/v1/billing/subscriptions/${orderId}`;
    expect((await as(reseller.apiKey).post(`${base}/suspend`).send({})).body).toMatchObject({
      suspendAtCycleEnd: true,
      entitlement: 'active',
    });
    const again = await as(reseller.apiKey).post(`${base}/suspend`).send({});
    expect(again.status).toBe(409);
    expect(again.body.error.message).toMatch(/already suspended/);
    expect((await as(reseller.apiKey).post(`${base}/revoke-suspension`).send({})).body).toMatchObject({
      suspendAtCycleEnd: false,
    });
    expect((await as(reseller.apiKey).post(`${base}/stop`).send({})).body).toMatchObject({ entitlement: 'stopped' });
    expect((await as(reseller.apiKey).get(`/v1/orders/${orderId}`)).body.licenseStatus).toBe('suspended');
    expect((await as(reseller.apiKey).post(`${base}/reactivate`).send({})).body).toMatchObject({
      entitlement: 'active',
    });
    expect((await as(reseller.apiKey).get(`/v1/orders/${orderId}`)).body.licenseStatus).toBe('active');
    const audit = await as(reseller.apiKey).get(`/v1/orders/${orderId}/audit`);
    expect(audit.body.data.map((e: { action: string }) => e.action)).toEqual(
      expect.arrayContaining([
        'license.suspension_scheduled',
        'license.suspension_revoked',
        'license.stopped',
        'license.reactivated',
      ]),
    );
  });

  it('S1: billing starts only for an active SaaS order', async () => {
    const pending = await order(reseller.apiKey, false);
    const res = await as(reseller.apiKey).post('/v1/billing/subscriptions').send({ orderId: pending });
    expect(res.status).toBe(409);
    expect((await as(reseller.apiKey).post('/v1/billing/subscriptions').send({ orderId: 'nope' })).status).toBe(400);
  });

  it('T2: a user without billing gets 403 on invoices and balance; without order, 403 on suspend', async () => {
    const [invoice] = (await as(reseller.apiKey).get(`/v1/invoices?orderId=${orderId}`)).body.data;
    const orderOnly = randomUUID();
    await stack.sql`INSERT INTO reseller_users (id, reseller_id, email, name, permissions) VALUES (${orderOnly}, ${reseller.resellerId}, ${`o-${orderOnly}@reseller.test`}, 'Order only', ${['order']})`;
    const billingOnly = randomUUID();
    await stack.sql`INSERT INTO reseller_users (id, reseller_id, email, name, permissions) VALUES (${billingOnly}, ${reseller.resellerId}, ${`b-${billingOnly}@reseller.test`}, 'Billing only', ${['billing']})`;
    const orderKey = await issueApiKey(stack.sql, orderOnly);
    const billingKey = await issueApiKey(stack.sql, billingOnly);
    expect((await as(orderKey).get('/v1/invoices')).status).toBe(403);
    expect((await as(orderKey).get(`/v1/invoices/${invoice.id}/pdf`)).status).toBe(403);
    expect((await as(orderKey).get('/v1/balance')).status).toBe(403);
    expect((await as(billingKey).get('/v1/invoices')).status).toBe(200);
    expect((await as(billingKey).post(`/v1/billing/subscriptions/${orderId}/stop`).send({})).status).toBe(403);
  });

  it("T1: another reseller's invoices, billing and orders answer 404", async () => {
    const [invoice] = (await as(reseller.apiKey).get(`/v1/invoices?orderId=${orderId}`)).body.data;
    const other = await newReseller(stack.sql);
    expect((await as(other.apiKey).get(`/v1/invoices/${invoice.id}`)).status).toBe(404);
    expect((await as(other.apiKey).get(`/v1/invoices/${invoice.id}/pdf`)).status).toBe(404);
    expect((await as(other.apiKey).get(`/v1/billing/subscriptions/${orderId}`)).status).toBe(404);
    expect((await as(other.apiKey).post(`/v1/billing/subscriptions/${orderId}/stop`).send({})).status).toBe(404);
    expect((await as(other.apiKey).post('/v1/billing/subscriptions').send({ orderId })).status).toBe(404);
    expect((await as(other.apiKey).get('/v1/invoices')).body.data).toEqual([]);
    expect((await as(other.apiKey).get('/v1/balance')).body).toMatchObject({ balances: [], transactions: [] });
  });
});
