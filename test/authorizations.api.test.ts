import { customerBody, newReseller } from './helpers/fixtures';
import { signedIn, stackForSuite } from './helpers/stack';

const stack = stackForSuite();
let reseller: Awaited<ReturnType<typeof newReseller>>;
let customerId: string;

beforeAll(async () => {
  reseller = await newReseller(stack.sql);
  const c = customerBody();
  customerId = (await as(reseller.apiKey).post('/v1/customers').send(c)).body.id;
});

const as = (key: string) => signedIn(stack.app, key);
const pa = (overrides: Record<string, unknown> = {}) => ({
  customerId,
  product: 'Creative Cloud All Apps',
  quantity: 4,
  ...overrides,
});

describe('purchase authorizations and renewals through the API, against the dev server', () => {
  it('P1: a PA gives immediate access; (P3: cancelled while pending) (P5: the plans view) (C5: it sets the anniversary and its renewal run)', async () => {
    const created = await as(reseller.apiKey).post('/v1/purchase-authorizations').send(pa());
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      status: 'pending',
      licenseStatus: 'active',
      licensesActive: true,
      serialNumber: expect.stringMatching(/^PA-/),
    });
    expect((await as(reseller.apiKey).get(`/v1/purchase-authorizations/${created.body.id}`)).body.id).toBe(
      created.body.id,
    );

    const kept = await as(reseller.apiKey)
      .post('/v1/purchase-authorizations')
      .send(pa({ quantity: 6 }));
    await as(reseller.apiKey).post(`/v1/purchase-authorizations/${kept.body.id}/order`).send({});
    expect(
      (await as(reseller.apiKey).put(`/v1/purchase-authorizations/${kept.body.id}/assignments`).send({ assigned: 2 }))
        .status,
    ).toBe(200);
    const plans = await as(reseller.apiKey).get(`/v1/purchase-authorizations?customerId=${customerId}`);
    expect(plans.body.plans).toEqual({ fulfilled: 6, pending: 4, assigned: 2, unassigned: 8 });

    const cancelled = await as(reseller.apiKey).post(`/v1/purchase-authorizations/${created.body.id}/cancel`).send({});
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', licenseStatus: 'cancelled', licensesActive: false });
    const again = await as(reseller.apiKey).post(`/v1/purchase-authorizations/${created.body.id}/cancel`).send({});
    expect(again.status).toBe(409);
    // P4: after an order, a return instead of a cancellation.
    const afterOrder = await as(reseller.apiKey).post(`/v1/purchase-authorizations/${kept.body.id}/cancel`).send({});
    expect(afterOrder.status).toBe(409);
    expect(afterOrder.body.error.message).toMatch(/return/);

    const renewal = await as(reseller.apiKey).get(`/v1/renewals/${customerId}`);
    expect(renewal.status).toBe(200);
    expect(renewal.body.anniversaryDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(renewal.body.renewal).toMatchObject({ status: 'scheduled', anniversaryDate: renewal.body.anniversaryDate });
    const early = await as(reseller.apiKey).post(`/v1/renewals/${customerId}/renew`).send({ quantity: 4 });
    expect(early.status).toBe(409);
    expect(early.body.error.message).toMatch(/R2/);
  });

  it('C7: a team customer buys enterprise licenses beside its team ones, and an enterprise customer team ones; the product comes from the catalog', async () => {
    for (const type of ['team', 'enterprise'] as const) {
      const c = await as(reseller.apiKey).post('/v1/customers').send(customerBody({ type }));
      expect(c.status).toBe(201);
      const buy = (product: string) =>
        as(reseller.apiKey).post('/v1/purchase-authorizations').send({ customerId: c.body.id, product, quantity: 3 });
      const team = await buy('Creative Cloud All Apps');
      const enterprise = await buy('Creative Cloud All Apps for enterprise');
      expect([team.status, enterprise.status]).toEqual([201, 201]);
      expect([team.body.licenseType, enterprise.body.licenseType]).toEqual(['team', 'enterprise']);
      // Side by side in the customer's plans (P5), both usable.
      const plans = await as(reseller.apiKey).get(`/v1/purchase-authorizations?customerId=${c.body.id}`);
      expect(
        plans.body.data
          .map((p: { licenseType: string; licenseStatus: string }) => [p.licenseType, p.licenseStatus])
          .sort(),
      ).toEqual([
        ['enterprise', 'active'],
        ['team', 'active'],
      ]);
      expect(plans.body.plans).toMatchObject({ pending: 6, unassigned: 6 });
      // The customer's own type is unchanged by what it buys.
      expect((await as(reseller.apiKey).get(`/v1/customers/${c.body.id}`)).body.type).toBe(type);
    }
    // Not free text: a product the catalog does not offer is refused, naming the field, and nothing is stored.
    const before =
      await stack.sql`SELECT count(*)::int AS n FROM purchase_authorizations WHERE customer_id = ${customerId}`;
    const unknown = await as(reseller.apiKey)
      .post('/v1/purchase-authorizations')
      .send(pa({ product: 'Creative Cloud Al Apps' }));
    expect(unknown.status).toBe(422);
    expect(unknown.body.error.issues).toEqual([{ field: 'product', message: 'is not a product of the catalog' }]);
    expect(
      await stack.sql`SELECT count(*)::int AS n FROM purchase_authorizations WHERE customer_id = ${customerId}`,
    ).toEqual(before);
  });

  it("R4: priced from the catalog, a PA carries the VIP Select discount its segment grants once the term's purchases reach 10 licenses", async () => {
    const unit = async (currency: string) =>
      Number(
        (
          await stack.sql<{ amountMinor: string }[]>`
            SELECT amount_minor FROM vip_product_prices WHERE product = 'Creative Cloud All Apps' AND currency = ${currency}`
        )[0]!.amountMinor,
      );
    const eur = await unit('EUR');
    const buy = (customer: string, quantity: number, priceList = 'EUR') =>
      as(reseller.apiKey)
        .post('/v1/purchase-authorizations')
        .send({ customerId: customer, product: 'Creative Cloud All Apps', quantity, priceList });

    // Commercial: 6 at list price; 5 more make 11 in the term, level 1 (6%), which the second purchase gets.
    const commercial = (await as(reseller.apiKey).post('/v1/customers').send(customerBody())).body.id as string;
    const first = await buy(commercial, 6);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      amount: { amountMinor: 6 * eur, currency: 'EUR' },
      vipSelectDiscountPercent: 0,
    });
    const second = await buy(commercial, 5);
    expect(second.body).toMatchObject({
      amount: { amountMinor: Math.floor((5 * eur * 94) / 100), currency: 'EUR' },
      vipSelectDiscountPercent: 6,
    });
    expect((await as(reseller.apiKey).get(`/v1/customers/${commercial}`)).body.vipSelect).toMatchObject({ level: 1 });
    // Its payment must cover the discounted price, and does (P2).
    const short = await as(reseller.apiKey)
      .post(`/v1/purchase-authorizations/${second.body.id}/payment`)
      .send({ amountMinor: second.body.amount.amountMinor - 1, currency: 'EUR', reference: `r4-${second.body.id}` });
    expect(short.status).toBe(422);

    // Education: 10 at once reach its level 1, 10% off, in another price list.
    const education = (
      await as(reseller.apiKey)
        .post('/v1/customers')
        .send(customerBody({ marketSegment: 'education' }))
    ).body.id as string;
    const usd = await unit('USD');
    expect((await buy(education, 10, 'USD')).body).toMatchObject({
      amount: { amountMinor: Math.floor((10 * usd * 90) / 100), currency: 'USD' },
      vipSelectDiscountPercent: 10,
    });
    // A price list the catalog lacks, or both a price and a price list: refused, naming the field.
    expect((await buy(education, 1, 'JPY')).body.error.issues).toEqual([
      { field: 'priceList', message: 'is not a price list of the catalog' },
    ]);
  });

  describe('bad input is a 400 naming the field', () => {
    const cases: [string, Record<string, unknown>, string][] = [
      ['customerId', { customerId: 'abc' }, 'customerId'],
      ['product', { product: '' }, 'product'],
      ['quantity', { quantity: 0 }, 'quantity'],
      ['quantity as text', { quantity: 'ten' }, 'quantity'],
      ["C6: an extended term beyond every segment's (48 months)", { extendedTermMonths: 49 }, 'extendedTermMonths'],
      ['an unknown field', { discount: 5 }, ''],
    ];
    it.each(cases)('P1: %s', async (_n, overrides, field) => {
      const res = await as(reseller.apiKey).post('/v1/purchase-authorizations').send(pa(overrides));
      expect(res.status).toBe(400);
      if (field) expect(res.body.error.issues.map((i: { field: string }) => i.field)).toContain(field);
    });
    it("C6: an extended term beyond 36 months for a commercial customer is a 422: the document allows it, the customer's segment does not", async () => {
      const res = await as(reseller.apiKey)
        .post('/v1/purchase-authorizations')
        .send(pa({ extendedTermMonths: 40 }));
      expect(res.status).toBe(422);
      expect(res.body.error.issues.map((i: { field: string }) => i.field)).toEqual(['extendedTermMonths']);
    });
    it('R2: a renewal quantity must be a whole number', async () => {
      const res = await as(reseller.apiKey).post(`/v1/renewals/${customerId}/renew`).send({ quantity: 1.5 });
      expect(res.status).toBe(400);
      expect(res.body.error.issues[0].field).toBe('quantity');
    });
  });

  it("T1: another reseller's customer and PA answer 404; T2: without order a PA cannot be created", async () => {
    const mine = await as(reseller.apiKey)
      .post('/v1/purchase-authorizations')
      .send(pa({ quantity: 1 }));
    const other = await newReseller(stack.sql);
    expect((await as(other.apiKey).get(`/v1/purchase-authorizations/${mine.body.id}`)).status).toBe(404);
    expect((await as(other.apiKey).post(`/v1/purchase-authorizations/${mine.body.id}/cancel`).send({})).status).toBe(
      404,
    );
    expect((await as(other.apiKey).get(`/v1/purchase-authorizations?customerId=${customerId}`)).status).toBe(404);
    expect((await as(other.apiKey).post('/v1/purchase-authorizations').send(pa())).status).toBe(404);
    expect((await as(other.apiKey).get(`/v1/renewals/${customerId}`)).status).toBe(404);
    const billingOnly = await newReseller(stack.sql, ['billing']);
    expect((await as(billingOnly.apiKey).post('/v1/purchase-authorizations').send(pa())).status).toBe(403);
  });
});
