import request from 'supertest';
import { customerBody, newReseller } from './helpers/fixtures';
import { linkIn } from './helpers/mailbox';
import { signedIn, stackForSuite } from './helpers/stack';

const stack = stackForSuite();
let reseller: Awaited<ReturnType<typeof newReseller>>;
let customer: { id: string; email: string };

beforeAll(async () => {
  reseller = await newReseller(stack.sql);
  const c = customerBody();
  const created = await as(reseller.apiKey).post('/v1/customers').send(c);
  customer = { id: created.body.id, email: c.contact.email };
});

const as = (key: string) => signedIn(stack.app, key);
const form = (overrides: Record<string, unknown> = {}) => ({
  kind: 'order',
  customerId: customer.id,
  priceList: 'EUR',
  poNumber: 'PO-2026-17',
  promoCode: 'WELCOME10',
  drivers: ['hp-latex-800', 'summa-s2'],
  subscriptionType: 'saas-annual',
  plan: 'production',
  ...overrides,
});

describe('orders and trials through the API, against the dev server', () => {
  it('O1: the form (O3: customer found by email) → (O4: activation email) (O8: serial) → activation through the link, never by the reseller (O7: OEM only) → (O5: deletion refused)', async () => {
    const found = await as(reseller.apiKey).get(
      `/v1/customers?email=${encodeURIComponent(customer.email.toUpperCase())}`,
    );
    expect(found.body.data.map((c: { id: string }) => c.id)).toEqual([customer.id]);

    const placed = await as(reseller.apiKey).post('/v1/orders').set('Idempotency-Key', `o-${customer.id}`).send(form());
    expect(placed.status).toBe(201);
    expect(placed.body).toMatchObject({
      kind: 'order',
      status: 'pending_activation',
      serialNumber: expect.stringMatching(/^PF-/),
      subtotal: { amountMinor: 237000, currency: 'EUR' },
      discount: { amountMinor: 23700, currency: 'EUR' },
      total: { amountMinor: 213300, currency: 'EUR' },
    });
    expect(placed.body.lines).toHaveLength(2);
    // O4: the vendor's registration help, for the reseller to share, and in the email.
    const help = 'https://help.printfactory.cloud/knowledge-base/license-registration-and-online-activation/';
    expect(placed.body.activationHelpUrl).toBe(help);

    const mails = await stack.mailbox.waitFor(customer.email, 2);
    const activation = mails.find((m) => m.text.includes(placed.body.serialNumber))!;
    expect(activation.text).toContain(`registering and activating the license: ${help}`);
    expect(activation.html).toContain(help);
    const link = new URL(linkIn(activation));
    const pageRes = await request(stack.app).get(`${link.pathname}${link.search}`);
    expect(pageRes.text).toContain('Activate license');

    const byReseller = await as(reseller.apiKey).post(`/v1/orders/${placed.body.id}/activate`).send({});
    expect(byReseller.status).toBe(403);

    const activated = await request(stack.app)
      .post('/licenses/activate')
      .type('form')
      .send({ token: link.searchParams.get('token') });
    expect(activated.status).toBe(200);
    expect(activated.text).toContain('License activated');
    expect((await as(reseller.apiKey).get(`/v1/orders/${placed.body.id}`)).body).toMatchObject({
      status: 'active',
      licenseStatus: 'active',
    });

    const refused = await as(reseller.apiKey).delete(`/v1/orders/${placed.body.id}?confirm=true`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(/activated/);

    const audit = await as(reseller.apiKey).get(`/v1/orders/${placed.body.id}/audit`);
    expect(audit.body.data.map((e: { action: string }) => e.action)).toEqual(['order.created', 'license.activated']);
  });

  it('O5: a trial is deleted before activation only after confirmation; the customer stays for the next order', async () => {
    const trial = await as(reseller.apiKey)
      .post('/v1/orders')
      .send(form({ kind: 'trial', promoCode: undefined }));
    expect(trial.status).toBe(201);
    expect(trial.body).toMatchObject({ kind: 'trial', total: { amountMinor: 0 } });
    expect(trial.body.trialEndsAt).not.toBeNull();
    const unconfirmed = await as(reseller.apiKey).delete(`/v1/orders/${trial.body.id}`);
    expect(unconfirmed.status).toBe(400);
    expect(unconfirmed.body.error.issues[0].field).toBe('confirm');
    expect((await as(reseller.apiKey).delete(`/v1/orders/${trial.body.id}?confirm=true`)).status).toBe(204);
    expect((await as(reseller.apiKey).get(`/v1/orders/${trial.body.id}`)).status).toBe(404);
    expect((await as(reseller.apiKey).get(`/v1/customers/${customer.id}`)).status).toBe(200);
    const customerAudit = await as(reseller.apiKey).get(`/v1/customers/${customer.id}/audit`);
    expect(customerAudit.body.data.map((e: { action: string }) => e.action)).toContain('customer.invited');
  });

  it('O6: "+" extends a trial and converts it into an order; an order cannot be extended', async () => {
    const trial = await as(reseller.apiKey)
      .post('/v1/orders')
      .send(form({ kind: 'trial' }));
    const extended = await as(reseller.apiKey).post(`/v1/orders/${trial.body.id}/extend`).send({});
    expect(extended.status).toBe(200);
    expect(Date.parse(extended.body.trialEndsAt)).toBeGreaterThan(Date.parse(trial.body.trialEndsAt));
    const converted = await as(reseller.apiKey).post(`/v1/orders/${trial.body.id}/convert`).send({});
    expect(converted.status).toBe(200);
    expect(converted.body).toMatchObject({ kind: 'order', total: { amountMinor: 213300 }, trialEndsAt: null });
    expect((await as(reseller.apiKey).post(`/v1/orders/${trial.body.id}/extend`).send({})).status).toBe(409);
  });

  // 400: what the OpenAPI document refuses; 422: what it allows but the catalog refuses (issue 11).
  describe('O1: every field of the form with a wrong value gets a 400 or 422 naming it', () => {
    const cases: [string, Record<string, unknown>, string, 400 | 422][] = [
      ['kind', { kind: 'quote' }, 'kind', 400],
      ['customerId', { customerId: 'abc' }, 'customerId', 400],
      ['priceList', { priceList: 'EURO' }, 'priceList', 400],
      ['priceList without a list', { priceList: 'JPY' }, 'priceList', 422],
      ['poNumber', { poNumber: 'x'.repeat(51) }, 'poNumber', 400],
      ['promoCode unknown', { promoCode: 'FREE100' }, 'promoCode', 422],
      ['promoCode expired', { promoCode: 'SPRING15' }, 'promoCode', 422],
      ['drivers empty', { drivers: [] }, 'drivers', 400],
      ['drivers twice', { drivers: ['summa-s2', 'summa-s2'] }, 'drivers', 400],
      ['drivers unknown', { drivers: ['canon-9000'] }, 'drivers', 422],
      ['subscriptionType unknown', { subscriptionType: 'lifetime' }, 'subscriptionType', 422],
      ['plan unknown', { plan: 'enterprise' }, 'plan', 422],
    ];
    it.each(cases)('O1: %s', async (_n, overrides, field, status) => {
      const res = await as(reseller.apiKey).post('/v1/orders').send(form(overrides));
      expect(res.status).toBe(status);
      expect(res.body.error.code).toBe('validation_failed');
      expect(res.body.error.issues.map((i: { field: string }) => i.field)).toContain(field);
    });

    it("O1: a subscription type not offered in the customer's region is refused", async () => {
      const c = customerBody({ country: 'BR' });
      const br = await as(reseller.apiKey).post('/v1/customers').send(c);
      const res = await as(reseller.apiKey)
        .post('/v1/orders')
        .send(form({ customerId: br.body.id, subscriptionType: 'perpetual' }));
      expect(res.status).toBe(422);
      expect(res.body.error.issues[0]).toMatchObject({
        field: 'subscriptionType',
        message: expect.stringContaining('BR'),
      });
    });
  });

  it('O6: configure swaps drivers: a higher tier charges the prorated difference, a lower one never refunds more than was paid', async () => {
    const placed = await as(reseller.apiKey)
      .post('/v1/orders')
      .send(form({ promoCode: undefined, drivers: ['epson-surecolor-s80600'] }));
    const up = await request(stack.app)
      .put(`/v1/orders/${placed.body.id}/drivers`)
      .set('authorization', `Bearer ${reseller.apiKey}`)
      .send({ drivers: ['durst-p5-250'] });
    expect(up.status).toBe(200);
    // Tier 1 → tier 3 on an annual plan, right after ordering: almost the whole difference (1490.00 − 490.00).
    expect(up.body.adjustment.amountMinor).toBeGreaterThan(99_000);
    expect(up.body.adjustment.amountMinor).toBeLessThanOrEqual(100_000);
    expect(up.body.lines.map((l: { driverCode: string }) => l.driverCode)).toEqual(['durst-p5-250']);
    const down = await request(stack.app)
      .put(`/v1/orders/${placed.body.id}/drivers`)
      .set('authorization', `Bearer ${reseller.apiKey}`)
      .send({ drivers: ['summa-s2'] });
    expect(down.body.adjustment.amountMinor).toBeLessThan(0);
    expect(-down.body.adjustment.amountMinor).toBeLessThanOrEqual(
      placed.body.total.amountMinor + up.body.adjustment.amountMinor,
    );
    const bad = await request(stack.app)
      .put(`/v1/orders/${placed.body.id}/drivers`)
      .set('authorization', `Bearer ${reseller.apiKey}`)
      .send({ drivers: ['nope'] });
    expect(bad.status).toBe(422);
    expect(bad.body.error.issues[0].field).toBe('drivers');
    const audit = await as(reseller.apiKey).get(`/v1/orders/${placed.body.id}/audit`);
    expect(audit.body.data.filter((e: { action: string }) => e.action === 'order.configured')).toHaveLength(2);
  });

  it("T1 T2: a user without order gets 403; another reseller's order and customer get 404", async () => {
    const placed = await as(reseller.apiKey).post('/v1/orders').send(form());
    const billing = await newReseller(stack.sql, ['billing']);
    expect((await as(billing.apiKey).post('/v1/orders').send(form())).status).toBe(403);
    const other = await newReseller(stack.sql);
    expect((await as(other.apiKey).get(`/v1/orders/${placed.body.id}`)).status).toBe(404);
    expect((await as(other.apiKey).delete(`/v1/orders/${placed.body.id}?confirm=true`)).status).toBe(404);
    expect((await as(other.apiKey).post('/v1/orders').send(form())).status).toBe(404);
  });
});
