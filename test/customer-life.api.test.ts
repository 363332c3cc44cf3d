// A customer's whole life through the API, on the real dev server, Postgres and the mail catcher, with the
// lifecycles' durations compressed by configuration: invite, accept, trial, convert before activation,
// activate, purchase authorization, overdue, paid, renewal, reseller change. Afterwards the new reseller sees
// and is billed for everything live; the old one gets 404 on all of it and keeps the invoices it issued.
import request from 'supertest';
import { billingWorkflowId, purchaseAuthorizationWorkflowId, ResellerIdKey } from '../workflows/definitions';
import { customerBody, newReseller, uniqueEmail } from './helpers/fixtures';
import { linkIn, tokenOf } from './helpers/mailbox';
import { signedIn, stackForSuite } from './helpers/stack';

const stack = stackForSuite({
  // P2 in seconds instead of days; the renewal window (R1, R2) already open for a first-year anniversary.
  PA_WARN_BEFORE: '2 seconds',
  PA_OVERDUE_AFTER: '4 seconds',
  PA_DEACTIVATE_AFTER: '1 hour',
  RENEWAL_NOTICE_BEFORE: '400 days',
  RENEWAL_EARLY_FROM: '380 days',
});
let oldR: Awaited<ReturnType<typeof newReseller>>;
let newR: Awaited<ReturnType<typeof newReseller>>;

beforeAll(async () => {
  oldR = await newReseller(stack.sql);
  newR = await newReseller(stack.sql);
});

const as = (key: string) => signedIn(stack.app, key);

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
const mailTo = (address: string, subject: RegExp) =>
  until(`an email "${subject}" to ${address}`, async () =>
    (await stack.mailbox.to(address)).find((m) => subject.test(m.subject)),
  );

describe("a customer's whole life, across lifecycles and resellers", () => {
  it('C2 O6 O7 P2 R1 R2 X2: invite → accept → trial → convert before activation → activate → PA → overdue → paid → renewal → reseller change; the new reseller owns and is billed for everything live, the old one gets 404 and keeps its invoices', async () => {
    const old = as(oldR.apiKey);
    const contact = uniqueEmail('life');

    // C1/C2: invite; the contact accepts through the link.
    const body = customerBody({ contact: { firstName: 'Astrid', lastName: 'Lind', email: contact } });
    const created = await old.post('/v1/customers').send(body);
    expect(created.status).toBe(201);
    const customerId = created.body.id as string;
    const vipId = created.body.vipId as string;
    const invitation = await mailTo(contact, /invites/);
    const accepted = await request(stack.app)
      .post('/invitations/accept')
      .type('form')
      .send({ token: tokenOf(linkIn(invitation)), agree: 'yes' });
    expect(accepted.status).toBe(200);

    // O2: a SaaS trial; O6: converted into an order BEFORE the customer activated it.
    const trial = await old.post('/v1/orders').send({
      kind: 'trial',
      customerId,
      priceList: 'USD',
      drivers: ['hp-latex-800', 'summa-s2'],
      subscriptionType: 'saas-monthly',
      plan: 'production',
    });
    expect(trial.status).toBe(201);
    const orderId = trial.body.id as string;
    const activationMail = await until('the activation email', async () =>
      (await stack.mailbox.to(contact)).find((m) => m.text.includes(trial.body.serialNumber)),
    );
    const converted = await old.post(`/v1/orders/${orderId}/convert`).send({});
    expect(converted.status).toBe(200);
    expect(converted.body.kind).toBe('order');

    // O7: the same link still activates the converted trial, through the customer only.
    const activated = await request(stack.app)
      .post('/licenses/activate')
      .type('form')
      .send({ token: tokenOf(linkIn(activationMail)) });
    expect(activated.status).toBe(200);
    await until('the order active', async () => (await old.get(`/v1/orders/${orderId}`)).body.status === 'active');

    // S1/B1: the activated SaaS order started its billing by itself, invoiced to the old reseller.
    const billing = await until('billing to start', async () => {
      const res = await old.get(`/v1/billing/subscriptions/${orderId}`);
      return res.status === 200 && res.body.currentInvoiceId ? res.body : undefined;
    });
    const firstInvoiceId = billing.currentInvoiceId as string;
    expect((await old.get(`/v1/invoices/${firstInvoiceId}`)).status).toBe(200);

    // P1/P2: a purchase authorization: warned, overdue, then paid.
    const pa = await old
      .post('/v1/purchase-authorizations')
      .send({ customerId, product: 'Creative Cloud All Apps', quantity: 12 });
    expect(pa.status).toBe(201);
    const paId = pa.body.id as string;
    // P2: the customer and the reseller are warned before overdue, then told it is overdue.
    await mailTo(contact, /Payment for your .* is due by/);
    await mailTo(contact, /Payment overdue/);
    await mailTo(oldR.email, /Payment due by/);
    await until(
      'the PA overdue',
      async () => (await old.get(`/v1/purchase-authorizations/${paId}`)).body.status === 'overdue',
    );
    const paid = await old
      .post(`/v1/purchase-authorizations/${paId}/payment`)
      .send({ amountMinor: 120000, currency: 'EUR', reference: `life-${paId}` });
    expect(paid.status).toBe(200);
    expect(paid.body.status).toBe('paid');

    // C5/R1/R2: the anniversary the first order set started its renewal run; notices went out; renewed early.
    const renewal = await until('the renewal run', async () => {
      const res = await old.get(`/v1/renewals/${customerId}`);
      return res.status === 200 && res.body.renewal?.status === 'ready' ? res.body : undefined;
    });
    // R1: the notices reach the customer and the reseller.
    await mailTo(contact, /Ready for renewal/);
    await mailTo(oldR.email, /Ready for renewal/);
    const renewed = await old.post(`/v1/renewals/${customerId}/renew`).send({ quantity: 12 });
    expect(renewed.status).toBe(200);
    // R3: in the history; the next term's run is scheduled from the renewed term's end.
    expect(renewed.body.history).toEqual([
      expect.objectContaining({ quantity: 12, renewalDate: renewal.anniversaryDate }),
    ]);
    expect(renewed.body.renewal).toMatchObject({ status: 'scheduled' });
    expect(renewed.body.renewal.anniversaryDate > renewal.anniversaryDate).toBe(true);

    // A perpetual order placed before the change, still waiting for the customer's activation.
    const perpetual = await old.post('/v1/orders').send({
      kind: 'order',
      customerId,
      priceList: 'USD',
      drivers: ['summa-s2'],
      subscriptionType: 'perpetual',
      plan: 'production',
    });
    expect(perpetual.status).toBe(201);
    const perpetualMail = await until('the perpetual activation email', async () =>
      (await stack.mailbox.to(contact)).find((m) => m.text.includes(perpetual.body.serialNumber)),
    );

    // X1/X2: the new reseller asks for the change; the admin's code moves the customer.
    const asked = await as(newR.apiKey).post('/v1/reseller-changes').send({ vipId, adminEmail: contact });
    expect(asked.status).toBe(202);
    const codeMail = await mailTo(contact, /reseller change code/i);
    const code = codeMail.text.match(/\b([0-9A-Z]{5}-[0-9A-Z]{5})\b/)?.[1];
    const redeemed = await as(newR.apiKey).post(`/v1/reseller-changes/${asked.body.id}/redeem`).send({ code });
    expect(redeemed.status).toBe(200);

    // Everything live now belongs to the new reseller; the old one gets 404 on all of it.
    const live = [
      `/v1/customers/${customerId}`,
      `/v1/orders/${orderId}`,
      `/v1/orders/${perpetual.body.id}`,
      `/v1/purchase-authorizations/${paId}`,
      `/v1/billing/subscriptions/${orderId}`,
      `/v1/renewals/${customerId}`,
    ];
    for (const path of live) {
      expect([path, (await as(newR.apiKey).get(path)).status]).toEqual([path, 200]);
      expect([path, (await old.get(path)).status]).toEqual([path, 404]);
    }
    // ...including changing it: the old reseller cannot suspend billing or reconfigure the order.
    expect((await old.post(`/v1/billing/subscriptions/${orderId}/suspend`).send({})).status).toBe(404);
    expect((await old.put(`/v1/orders/${orderId}/drivers`).send({ drivers: ['summa-s2'] })).status).toBe(404);
    const listed = await as(newR.apiKey).get(`/v1/orders?customerId=${customerId}`);
    expect(listed.body.data.map((o: { id: string }) => o.id)).toContain(orderId);

    // Operators find the customer's running lifecycles under the new owner in the Temporal UI too.
    const ownerOf = async (workflowId: string) =>
      (await stack.temporal.workflow.getHandle(workflowId).describe()).typedSearchAttributes.get(ResellerIdKey);
    for (const workflowId of [billingWorkflowId(orderId), purchaseAuthorizationWorkflowId(paId), `trial:${orderId}`]) {
      await until(`${workflowId} under the new reseller`, async () => (await ownerOf(workflowId)) === newR.resellerId);
    }

    // Issued documents stay where they were issued: the old reseller keeps its invoice.
    expect((await old.get(`/v1/invoices/${firstInvoiceId}`)).status).toBe(200);
    expect((await as(newR.apiKey).get(`/v1/invoices/${firstInvoiceId}`)).status).toBe(404);

    // Billed from now on to the new reseller: the perpetual order the customer activates now is invoiced to it.
    const activatedLater = await request(stack.app)
      .post('/licenses/activate')
      .type('form')
      .send({ token: tokenOf(linkIn(perpetualMail)) });
    expect(activatedLater.status).toBe(200);
    const billedToNew = await until('the perpetual invoice to the new reseller', async () => {
      const res = await as(newR.apiKey).get(`/v1/invoices?orderId=${perpetual.body.id}`);
      return res.body.data?.length ? res.body.data : undefined;
    });
    expect(billedToNew).toHaveLength(1);
    expect((await old.get(`/v1/invoices?orderId=${perpetual.body.id}`)).body.data).toHaveLength(0);
    // ...and the new reseller acts on the live billing, which the old one no longer can.
    expect((await as(newR.apiKey).post(`/v1/billing/subscriptions/${orderId}/suspend`).send({})).status).toBe(200);
  });
});
