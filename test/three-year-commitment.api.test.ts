import { customerBody, newReseller, resellerForSuite } from './helpers/fixtures';
import { eventually } from './helpers/temporal';
import { acceptedCustomer, invalidFields, sentThriceUnderOneKey, signedIn, stackForSuite } from './helpers/stack';
import { COMMITMENT_BODY, paBody } from './helpers/tenant-world';

// R5 through the API on the dev server: the request's rules, its answer and the customer told, the acceptance the
// portal records, the locked price and the first payment; tenancy and bad input.

const stack = stackForSuite();
const reseller = resellerForSuite(stack);
const api = () => signedIn(stack.app, reseller.apiKey);
const path = (customerId: string) => `/v1/renewals/${customerId}/three-year-commitment`;

/** A customer with VIP Select: 12 licenses under a purchase authorization (R4). */
async function vipCustomer() {
  const c = await acceptedCustomer(stack, reseller.apiKey);
  expect((await api().post('/v1/purchase-authorizations').send(paBody(c.id, 12))).status).toBe(201);
  return c;
}

describe('R5: the 3-year commitment through the API', () => {
  it('R5: requested (Idempotency-Key: one request), the customer told; accepted: the price locked, the first payment invoiced', async () => {
    const c = await vipCustomer();
    const send = () => api().post(path(c.id)).set('Idempotency-Key', `3yc-${c.id}`).send(COMMITMENT_BODY);
    const id = await sentThriceUnderOneKey(send);
    const got = await api().get(path(c.id));
    expect(got.body).toMatchObject({
      id,
      status: 'requested',
      product: COMMITMENT_BODY.product,
      quantity: 12,
      unitPrice: null,
      payments: [],
      workflowId: `three-year-commitment:${id}`,
    });
    const requestMail = async () =>
      (await stack.mailbox.to(c.body.contact.email)).find((m) => /3-year commitment requested/.test(m.subject));
    await eventually(async () => expect(await requestMail()).toBeDefined());
    const mail = await requestMail();
    expect(mail?.text).toContain(`12 × ${COMMITMENT_BODY.product}`);

    // Another while this one is open: refused.
    const again = await api().post(path(c.id)).send(COMMITMENT_BODY);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('commitment_open');

    const accepted = await api()
      .post(`${path(c.id)}/accept`)
      .send({ acceptedBy: c.body.contact.email });
    expect(accepted.status).toBe(200);
    // VIP Select level 1 (10+ licenses, commercial): 6 % off 850.00 EUR.
    expect(accepted.body).toMatchObject({
      status: 'committed',
      listPrice: { amountMinor: 85_000, currency: 'EUR' },
      discountPercent: 6,
      unitPrice: { amountMinor: 79_900, currency: 'EUR' },
    });
    await eventually(async () =>
      expect((await api().get(path(c.id))).body.payments).toEqual([
        expect.objectContaining({ year: 1, amount: { amountMinor: 958_800, currency: 'EUR' } }),
      ]),
    );
    const details = await api().get(`/v1/customers/${c.id}`);
    expect(details.body.threeYearCommitment).toMatchObject({ quantity: 12 });
    // Accepted: no longer cancellable.
    const cancel = await api().post(`${path(c.id)}/cancel`);
    expect(cancel.status).toBe(409);
    expect(cancel.body.error.code).toBe('three_year_commitment_not_requested');
  });

  it('R5 R4 C6: refused without VIP Select (409) and on an extended prepaid term (409); a product without a price is 422', async () => {
    const plain = await acceptedCustomer(stack, reseller.apiKey);
    const noVip = await api().post(path(plain.id)).send(COMMITMENT_BODY);
    expect(noVip.status).toBe(409);
    expect(noVip.body.error.code).toBe('no_vip_select');

    const extended = await vipCustomer();
    await stack.sql`UPDATE customers SET extended_term_months = 24 WHERE id = ${extended.id}`;
    const onExtended = await api().post(path(extended.id)).send(COMMITMENT_BODY);
    expect(onExtended.status).toBe(409);
    expect(onExtended.body.error.code).toBe('extended_term');

    const vip = await vipCustomer();
    const unpriced = await api()
      .post(path(vip.id))
      .send({ ...COMMITMENT_BODY, product: 'No Such Product' });
    expect(unpriced.status).toBe(422);
    expect(unpriced.body.error.code).toBe('no_price');
    // Nothing was half-written: no request, and no run.
    expect((await api().get(path(vip.id))).status).toBe(404);
  });

  it('R5 T1: bad input names the field; another reseller’s customer is a 404; cancel while requested', async () => {
    const c = await vipCustomer();
    expect(
      invalidFields(
        await api()
          .post(path(c.id))
          .send({ ...COMMITMENT_BODY, quantity: 0 }),
      ),
    ).toEqual(['quantity']);
    expect(
      invalidFields(
        await api()
          .post(path(c.id))
          .send({ ...COMMITMENT_BODY, priceList: 'eur' }),
      ),
    ).toEqual(['priceList']);
    const made = await api().post(path(c.id)).send(COMMITMENT_BODY);
    expect(made.status).toBe(201);

    const other = signedIn(stack.app, (await newReseller(stack.sql)).apiKey);
    expect((await other.get(path(c.id))).status).toBe(404);
    expect((await other.post(path(c.id)).send(COMMITMENT_BODY)).status).toBe(404);
    expect((await other.post(`${path(c.id)}/cancel`)).status).toBe(404);
    expect((await api().get(path((await api().post('/v1/customers').send(customerBody())).body.id))).status).toBe(404);

    const cancelled = await api().post(`${path(c.id)}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
  });
});
