// One owner per customer, through the API: after a reseller change (X2) the new reseller sees and acts on
// everything live of the customer, the old one gets 404 on all of it (T1), and issued invoices stay with the
// reseller they were issued to.
import { newReseller } from './helpers/fixtures';
import { acceptedCustomer, signedIn, stackForSuite } from './helpers/stack';

const stack = stackForSuite();

const as = (key: string) => signedIn(stack.app, key);
const codeIn = (text: string) => text.match(/\b([0-9A-Z]{5}-[0-9A-Z]{5})\b/)?.[1];

/** A customer of `owner` with an order being billed (so an invoice is issued), a PA and a linked subscription. */
async function customerWithEverything(ownerKey: string) {
  const { id: customerId, vipId, body: c } = await acceptedCustomer(stack, ownerKey);
  const order = await as(ownerKey)
    .post('/v1/orders')
    .send({
      kind: 'order',
      customerId,
      priceList: 'EUR',
      drivers: ['hp-latex-800'],
      subscriptionType: 'saas-monthly',
      plan: 'production',
    });
  expect(order.status).toBe(201);
  const orderId = order.body.id as string;
  // The customer activates its license (an OEM step, O7), then the order is billed by cycle.
  await stack.sql`UPDATE licenses SET status = 'active', activated_at = now() WHERE order_id = ${orderId}`;
  expect((await as(ownerKey).post('/v1/billing/subscriptions').send({ orderId })).status).toBe(201);
  const invoices = await as(ownerKey).get(`/v1/invoices?orderId=${orderId}`);
  expect(invoices.body.data).toHaveLength(1);
  const pa = await as(ownerKey)
    .post('/v1/purchase-authorizations')
    .send({ customerId, product: 'Creative Cloud All Apps', quantity: 4 });
  expect(pa.status).toBe(201);
  const subscription = await as(ownerKey).post('/v1/subscriptions').send({
    product: 'signatures-microsoft-365',
    companyName: c.organizationName,
    users: 25,
    customerCanEditSignatures: false,
    customerId,
  });
  expect(subscription.status).toBe(201);
  return {
    customerId,
    vipId,
    adminEmail: c.contact.email,
    orderId,
    invoiceId: invoices.body.data[0].id as string,
    invoiceNumber: invoices.body.data[0].number as string,
    serialNumber: order.body.serialNumber as string,
    paId: pa.body.id as string,
    subscriptionId: subscription.body.id as string,
  };
}

/** X1/X2 through the API: the new reseller asks, an admin gives the code, the new reseller redeems it. */
async function transfer(newKey: string, c: { vipId: string; adminEmail: string; customerId: string }) {
  const asked = await as(newKey).post('/v1/reseller-changes').send({ vipId: c.vipId, adminEmail: c.adminEmail });
  expect(asked.status).toBe(202);
  // The admin also holds the invitation and the order's emails: wait for the code's.
  let code: string | undefined;
  for (let n = 1; !code; n++) {
    const mails = await stack.mailbox.waitFor(c.adminEmail, n);
    code = codeIn(mails.find((m) => m.subject.startsWith('Your reseller change code'))?.text ?? '');
  }
  const redeemed = await as(newKey).post(`/v1/reseller-changes/${asked.body.id}/redeem`).send({ code });
  expect(redeemed.status).toBe(200);
  expect(redeemed.body).toMatchObject({ status: 'redeemed', customerId: c.customerId });
}

describe('one owner per customer through the API, against the dev server', () => {
  it("X2 T1: after the change, the new reseller sees and acts on the customer's orders, PAs, billing and subscriptions; the old one gets 404; invoices stay with the old", async () => {
    const oldR = await newReseller(stack.sql);
    const newR = await newReseller(stack.sql);
    const c = await customerWithEverything(oldR.apiKey);
    await transfer(newR.apiKey, c);

    const reads = [
      `/v1/customers/${c.customerId}`,
      `/v1/orders/${c.orderId}`,
      `/v1/purchase-authorizations/${c.paId}`,
      `/v1/billing/subscriptions/${c.orderId}`,
      `/v1/subscriptions/${c.subscriptionId}`,
    ];
    for (const url of reads) {
      expect([url, (await as(newR.apiKey).get(url)).status]).toEqual([url, 200]);
      expect([url, (await as(oldR.apiKey).get(url)).status]).toEqual([url, 404]);
    }
    // D7: the new owner's details page shows the customer's plans, orders and authorizations.
    const details = (await as(newR.apiKey).get(`/v1/customers/${c.customerId}`)).body;
    expect(details.orders.map((o: { id: string }) => o.id)).toEqual([c.orderId]);
    expect(details.authorizations.map((a: { id: string }) => a.id)).toEqual([c.paId]);
    expect(details.plans.length).toBeGreaterThan(0);
    const newList = (await as(newR.apiKey).get('/v1/orders')).body.data.map((o: { id: string }) => o.id);
    const oldList = (await as(oldR.apiKey).get('/v1/orders')).body.data.map((o: { id: string }) => o.id);
    expect(newList).toContain(c.orderId);
    expect(oldList).not.toContain(c.orderId);

    // The old reseller can change none of it: every mutating call answers 404, and nothing changed.
    const oldWrites = [
      as(oldR.apiKey)
        .put(`/v1/orders/${c.orderId}/drivers`)
        .send({ drivers: ['summa-s2'] }),
      as(oldR.apiKey).post(`/v1/purchase-authorizations/${c.paId}/cancel`).send({}),
      as(oldR.apiKey).post(`/v1/billing/subscriptions/${c.orderId}/suspend`).send({}),
      as(oldR.apiKey).patch(`/v1/subscriptions/${c.subscriptionId}`).send({ users: 99 }),
      as(oldR.apiKey).patch(`/v1/customers/${c.customerId}`).send({ managedBy: null }),
    ];
    for (const write of oldWrites) expect((await write).status).toBe(404);
    const [sub] = await stack.sql`SELECT users FROM subscriptions WHERE id = ${c.subscriptionId}`;
    expect(sub?.users).toBe(25);

    // The new reseller acts on them.
    const changed = await as(newR.apiKey).patch(`/v1/subscriptions/${c.subscriptionId}`).send({ users: 30 });
    expect(changed.status).toBe(200);
    expect(changed.body.users).toBe(30);
    const cancelled = await as(newR.apiKey).post(`/v1/purchase-authorizations/${c.paId}/cancel`).send({});
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    const suspended = await as(newR.apiKey).post(`/v1/billing/subscriptions/${c.orderId}/suspend`).send({});
    expect(suspended.status).toBe(200);

    // The issued invoice stays with the reseller it was issued to.
    expect((await as(oldR.apiKey).get(`/v1/invoices/${c.invoiceId}`)).status).toBe(200);
    expect((await as(newR.apiKey).get(`/v1/invoices/${c.invoiceId}`)).status).toBe(404);

    // D3: one search box finds the customer and its serial at the new reseller, the invoice at the old.
    const found = async (key: string, q: string) =>
      (await as(key).get(`/v1/search?q=${encodeURIComponent(q)}`)).body.results.map((h: { type: string }) => h.type);
    expect(await found(newR.apiKey, c.vipId)).toContain('company');
    expect(await found(oldR.apiKey, c.vipId)).toEqual([]);
    expect(await found(newR.apiKey, c.serialNumber)).toContain('serial');
    expect(await found(oldR.apiKey, c.serialNumber)).toEqual([]);
    expect(await found(oldR.apiKey, c.invoiceNumber)).toContain('invoice');
    expect(await found(newR.apiKey, c.invoiceNumber)).toEqual([]);
  });
});
