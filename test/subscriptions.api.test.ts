import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { subscriptionWorkflowId, LifecycleKey, ResellerIdKey } from '../workflows/definitions';
import { invoiceSubscriptionMonth } from '../db/subscriptions';
import { customerDetails, newReseller, resellerForSuite, uniqueEmail } from './helpers/fixtures';
import { linkIn, tokenOf } from './helpers/mailbox';
import { invalidFields, openApiListing, sentThriceUnderOneKey, signedIn, stackForSuite } from './helpers/stack';

const stack = stackForSuite();
const reseller = resellerForSuite(stack);
const other = resellerForSuite(stack);

const STRONG_PASSWORD = 'Lantern-Quiver-Oatmeal-93';

/** A valid request body for POST /v1/subscriptions (E1), with a contact who edits signatures (E2). */
function body(overrides: Record<string, unknown> = {}) {
  return {
    product: 'signatures-microsoft-365',
    companyName: `Fjord Mail ${randomUUID().slice(0, 6)} AS`,
    users: 25,
    customerCanEditSignatures: true,
    contact: { name: 'Ingrid Berg', email: uniqueEmail('signatures') },
    ...overrides,
  };
}
const withoutContact = (overrides: Record<string, unknown> = {}) => {
  const { contact: _c, ...b } = body({ customerCanEditSignatures: false, ...overrides });
  return b;
};
const api = (key = reseller.apiKey) => signedIn(stack.app, key);
const countSubscriptions = async (resellerId: string) =>
  (await stack.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM subscriptions WHERE reseller_id = ${resellerId}`)[0]!
    .n;

async function setupLink(email: string): Promise<string> {
  const [mail] = await stack.mailbox.waitFor(email, 1);
  return tokenOf(linkIn(mail!));
}
const submitSetup = (token: string, password: string, extra: Record<string, string> = {}) =>
  request(stack.app)
    .post('/subscription-contact/setup')
    .type('form')
    .send({ token, name: 'Ingrid Berg', phone: '+47 555 0100', password, passwordConfirm: password, ...extra });

describe('subscriptions API against the dev server, Postgres and the mail catcher', () => {
  it('E1: creates a subscription with the product, the company name and the exact number of users', async () => {
    const b = withoutContact({ product: 'signatures-google-workspace', users: 1234 });
    const res = await api().post('/v1/subscriptions').send(b);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      product: 'signatures-google-workspace',
      customer: { id: null, companyName: b.companyName },
      users: 1234,
      status: 'active',
      active: true,
      customerCanEditSignatures: false,
      contact: null,
    });
    expect(res.headers.location).toBe(`/v1/subscriptions/${res.body.id}`);
    const description = await stack.temporal.workflow.getHandle(subscriptionWorkflowId(res.body.id)).describe();
    expect(description.status.name).toBe('RUNNING');
    expect(description.typedSearchAttributes.get(ResellerIdKey)).toBe(reseller.resellerId);
    expect(description.typedSearchAttributes.get(LifecycleKey)).toBe('subscription');
  });

  it("E1: links an existing customer of the same reseller; another tenant's customer is 404", async () => {
    const customerId = (
      await api()
        .post('/v1/customers')
        .send({ ...customerDetails(), addressLine2: undefined, taxId: undefined, anniversaryDate: undefined })
    ).body.id as string;
    const mine = await api().post('/v1/subscriptions').send(withoutContact({ customerId }));
    expect(mine.status).toBe(201);
    expect(mine.body.customer.id).toBe(customerId);
    const before = await countSubscriptions(other.resellerId);
    const theirs = await api(other.apiKey).post('/v1/subscriptions').send(withoutContact({ customerId }));
    expect(theirs.status).toBe(404);
    expect(await countSubscriptions(other.resellerId)).toBe(before);
  });

  describe('E1: bad input gets a 400 naming the field, and nothing is written', () => {
    const cases: [string, Record<string, unknown>, string][] = [
      ['zero users', { users: 0 }, 'users'],
      ['a fractional number of users', { users: 1.5 }, 'users'],
      ['more than 100000 users', { users: 100_001 }, 'users'],
      ['users as text', { users: '25' }, 'users'],
      ['an unknown product', { product: 'signatures-lotus-notes' }, 'product'],
      ['a missing company name', { companyName: '  ' }, 'companyName'],
      ['no contact when the customer edits signatures', { contact: undefined }, 'contact'],
      ['a contact without an email', { contact: { name: 'Ingrid Berg' } }, 'contact.email'],
      ['a contact when the customer does not edit signatures', { customerCanEditSignatures: false }, 'contact'],
      [
        'a customerCanEditSignatures that is not a boolean',
        { customerCanEditSignatures: 'yes' },
        'customerCanEditSignatures',
      ],
      ['a malformed customer id', { customerId: 'nope' }, 'customerId'],
    ];
    it.each(cases)('E1: %s', async (_name, overrides, field) => {
      const before = await countSubscriptions(reseller.resellerId);
      const res = await api().post('/v1/subscriptions').send(body(overrides));
      expect(invalidFields(res)).toContain(field);
      expect(await countSubscriptions(reseller.resellerId)).toBe(before);
    });
  });

  it('T2: a user without the order permission cannot create subscriptions (403)', async () => {
    const billingOnly = await newReseller(stack.sql, ['billing']);
    const res = await api(billingOnly.apiKey).post('/v1/subscriptions').send(body());
    expect(res.status).toBe(403);
    expect(await countSubscriptions(billingOnly.resellerId)).toBe(0);
  });

  it('E1: repeating a create with the same Idempotency-Key creates one subscription and sends one invitation', async () => {
    const b = body();
    const key = `sub-${randomUUID()}`;
    const before = await countSubscriptions(reseller.resellerId);
    await sentThriceUnderOneKey(() => api().post('/v1/subscriptions').set('Idempotency-Key', key).send(b));
    expect(await countSubscriptions(reseller.resellerId)).toBe(before + 1);
    await stack.mailbox.waitFor(b.contact.email, 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(await stack.mailbox.to(b.contact.email)).toHaveLength(1);
    expect(
      (
        await api()
          .post('/v1/subscriptions')
          .set('Idempotency-Key', key)
          .send({ ...b, users: 26 })
      ).status,
    ).toBe(422);
  });

  it('E2: invitation email → link page → weak password refused → strong accepted → login → signatures, never billing', async () => {
    const b = body();
    const created = await api().post('/v1/subscriptions').send(b);
    expect(created.status).toBe(201);
    expect(created.body.contact).toEqual({ name: 'Ingrid Berg', email: b.contact.email, setUp: false });
    const id = created.body.id as string;

    const [mail] = await stack.mailbox.waitFor(b.contact.email, 1);
    expect(mail!.subject).toContain(b.companyName);
    expect(mail!.text).toContain(`Your username is your email address, ${b.contact.email}`);
    const token = await setupLink(b.contact.email);

    const form = await request(stack.app).get(`/subscription-contact/setup?token=${token}`);
    expect(form.status).toBe(200);
    expect(form.headers['cache-control']).toBe('no-store');
    expect(form.text).toContain(b.contact.email);
    expect(form.text).toContain('<label for="password">');

    const short = await submitSetup(token, 'Tr0ub4dor&3');
    expect(short.status).toBe(400);
    expect(short.text).toContain('at least 12 characters');
    const weak = await submitSetup(token, 'password1234');
    expect(weak.status).toBe(400);
    expect(weak.text).toContain('too easy to guess');
    expect(weak.text).toContain('role="alert"');
    const mismatch = await submitSetup(token, STRONG_PASSWORD, { passwordConfirm: `${STRONG_PASSWORD}x` });
    expect(mismatch.status).toBe(400);

    const done = await submitSetup(token, STRONG_PASSWORD);
    expect(done.status).toBe(200);
    expect(done.text).toContain('Your account is ready');

    // The link is single use: opening or sending it again is refused.
    expect((await request(stack.app).get(`/subscription-contact/setup?token=${token}`)).status).toBe(410);
    expect((await submitSetup(token, 'Another-Strong-Phrase-77')).status).toBe(410);

    expect(
      (await request(stack.app).post('/contact/login').send({ email: b.contact.email, password: 'wrong-password-123' }))
        .status,
    ).toBe(401);
    expect(
      (
        await request(stack.app)
          .post('/contact/login')
          .send({ email: uniqueEmail('nobody'), password: STRONG_PASSWORD })
      ).status,
    ).toBe(401);
    const login = await request(stack.app)
      .post('/contact/login')
      .send({ email: b.contact.email.toUpperCase(), password: STRONG_PASSWORD });
    expect(login.status).toBe(201);
    const session = login.body.token as string;
    expect(session).toMatch(/^cs_/);
    const [stored] =
      await stack.sql`SELECT count(*)::int AS n FROM contact_sessions WHERE token_hash = ${Buffer.from(session)}`;
    expect(stored?.n).toBe(0);

    const contact = api(session);
    const settings = await contact.get('/contact/v1/signatures');
    expect(settings.status).toBe(200);
    expect(settings.body).toEqual({
      subscriptionId: id,
      product: b.product,
      companyName: b.companyName,
      signatureTemplate: '',
    });
    const changed = await contact
      .put('/contact/v1/signatures')
      .send({ signatureTemplate: '{{name}} | {{title}} | Fjord Mail' });
    expect(changed.status).toBe(200);
    expect((await contact.get('/contact/v1/signatures')).body.signatureTemplate).toBe(
      '{{name}} | {{title}} | Fjord Mail',
    );

    const billing = await contact.get('/contact/v1/billing');
    expect(billing.status).toBe(403);
    expect(billing.body.error.message).toMatch(/Billing is not available to customer contacts/);
    expect((await contact.get('/v1/subscriptions')).status).toBe(401);
    expect((await contact.get(`/v1/subscriptions/${id}`)).status).toBe(401);
    expect((await contact.patch(`/v1/subscriptions/${id}`).send({ users: 1 })).status).toBe(401);
    // An API key is not a contact session either.
    expect((await api().get('/contact/v1/signatures')).status).toBe(401);
    expect((await request(stack.app).get('/contact/v1/signatures')).status).toBe(401);

    const details = await api().get(`/v1/subscriptions/${id}`);
    expect(details.body).toMatchObject({
      contact: { setUp: true },
      lifecycle: { contactSetup: 'completed', status: 'active' },
    });
    const [row] = await stack.sql`SELECT phone, password_hash FROM subscription_contacts WHERE subscription_id = ${id}`;
    expect(row?.phone).toBe('+47 555 0100');
    expect(row?.passwordHash).toMatch(/^\$argon2id\$/);
  });

  it('E3: the subscription invoices list answers with its monthly invoices, newest first', async () => {
    const made = await api().post('/v1/subscriptions').send(withoutContact());
    const empty = await api().get(`/v1/subscriptions/${made.body.id}/invoices`);
    expect(empty.status).toBe(200);
    expect(empty.body).toEqual({ data: [] });
    // The month's invoice as the lifecycle issues it at the payment date (the workflow test crosses the month).
    await invoiceSubscriptionMonth(stack.sql, {
      subscriptionId: made.body.id,
      periodStart: '2026-12-24T00:00:00.000Z',
      periodEnd: '2027-01-24T00:00:00.000Z',
    });
    const listed = await api().get(`/v1/subscriptions/${made.body.id}/invoices`);
    expect(listed.body.data).toEqual([
      expect.objectContaining({
        users: 25,
        unitPrice: { amountMinor: 150, currency: 'EUR' },
        total: { amountMinor: 3750, currency: 'EUR' },
        periodStart: '2026-12-24T00:00:00.000Z',
      }),
    ]);
    expect((await api(other.apiKey).get(`/v1/subscriptions/${made.body.id}/invoices`)).status).toBe(404);
  });

  it("E2: the reseller edits the signatures when the customer may not; when the customer's contact does, 409", async () => {
    const own = await api().post('/v1/subscriptions').send(withoutContact());
    expect(own.status).toBe(201);
    const path = `/v1/subscriptions/${own.body.id}/signatures`;
    const changed = await api().put(path).send({ signatureTemplate: '<p>{{name}} · Fjord Mail</p>' });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({
      subscriptionId: own.body.id,
      signatureTemplate: '<p>{{name}} · Fjord Mail</p>',
    });
    expect((await api().get(path)).body.signatureTemplate).toBe('<p>{{name}} · Fjord Mail</p>');
    const [audited] = await stack.sql<{ actor: string }[]>`
      SELECT actor FROM audit_events WHERE entity_id = ${own.body.id} AND action = 'subscription.signature_template_changed'`;
    expect(audited?.actor).toMatch(/^user:/);

    const theirs = await api().post('/v1/subscriptions').send(body());
    const refused = await api().put(`/v1/subscriptions/${theirs.body.id}/signatures`).send({ signatureTemplate: 'x' });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('customer_edits_signatures');
    expect(
      invalidFields(
        await api()
          .put(path)
          .send({ signatureTemplate: 'x'.repeat(10_001) }),
      ),
    ).toEqual(['signatureTemplate']);
    expect((await api(other.apiKey).get(path)).status).toBe(404);
    expect((await api(other.apiKey).put(path).send({ signatureTemplate: 'x' })).status).toBe(404);
  });

  it('E3: the list shows customer, users, status and next payment date, paginated and filtered by status', async () => {
    const fresh = await newReseller(stack.sql);
    const ids: string[] = [];
    for (const users of [5, 10, 15])
      ids.push((await api(fresh.apiKey).post('/v1/subscriptions').send(withoutContact({ users }))).body.id);
    const cancelled = await api(fresh.apiKey).post(`/v1/subscriptions/${ids[0]}/cancel`);
    expect(cancelled.body).toMatchObject({ status: 'inactive', active: false, nextPaymentDate: null });

    const page1 = await api(fresh.apiKey).get('/v1/subscriptions?limit=2');
    expect(page1.status).toBe(200);
    expect(page1.body.data.map((s: { id: string }) => s.id)).toEqual([ids[2], ids[1]]);
    const [expected] = await stack.sql<{ d: string }[]>`
      SELECT to_char((created_at AT TIME ZONE 'UTC') + interval '1 month', 'YYYY-MM-DD') AS d FROM subscriptions WHERE id = ${ids[2]!}`;
    expect(page1.body.data[0]).toMatchObject({
      customer: { companyName: expect.stringMatching(/^Fjord Mail/) },
      users: 15,
      status: 'active',
      active: true,
      nextPaymentDate: expected!.d,
    });
    const page2 = await api(fresh.apiKey).get(`/v1/subscriptions?limit=2&cursor=${page1.body.nextCursor}`);
    expect(page2.body).toMatchObject({ data: [{ id: ids[0], users: 5, status: 'inactive' }], nextCursor: null });

    const active = await api(fresh.apiKey).get('/v1/subscriptions?status=active');
    expect(active.body.data.map((s: { id: string }) => s.id)).toEqual([ids[2], ids[1]]);
    const inactive = await api(fresh.apiKey).get('/v1/subscriptions?status=inactive');
    expect(inactive.body.data.map((s: { id: string }) => s.id)).toEqual([ids[0]]);
    expect((await api(fresh.apiKey).get('/v1/subscriptions?status=paused')).status).toBe(400);
    expect((await api(fresh.apiKey).get('/v1/subscriptions?cursor=garbage')).status).toBe(400);
  });

  it('E3: changing the number of users is audited with before and after; bad counts are a 400', async () => {
    const id = (
      await api()
        .post('/v1/subscriptions')
        .send(withoutContact({ users: 20 }))
    ).body.id as string;
    const bad = await api().patch(`/v1/subscriptions/${id}`).send({ users: 0 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues.map((i: { field: string }) => i.field)).toContain('users');
    expect((await api().patch(`/v1/subscriptions/${id}`).send({ users: 100_001 })).status).toBe(400);

    const res = await api().patch(`/v1/subscriptions/${id}`).send({ users: 35 });
    expect(res.status).toBe(200);
    expect(res.body.users).toBe(35);
    const audit =
      await stack.sql`SELECT actor, before, after FROM audit_events WHERE entity_id = ${id} AND action = 'subscription.users_changed'`;
    expect(audit).toEqual([{ actor: `user:${reseller.userId}`, before: { users: 20 }, after: { users: 35 } }]);

    await api().post(`/v1/subscriptions/${id}/cancel`);
    const late = await api().patch(`/v1/subscriptions/${id}`).send({ users: 36 });
    expect(late.status).toBe(409);
  });

  it("E3 T1: another reseller's subscription answers 404 on every route, and is not in its list", async () => {
    const id = (await api().post('/v1/subscriptions').send(withoutContact())).body.id as string;
    const intruder = api(other.apiKey);
    expect((await intruder.get(`/v1/subscriptions/${id}`)).status).toBe(404);
    expect((await intruder.patch(`/v1/subscriptions/${id}`).send({ users: 3 })).status).toBe(404);
    expect((await intruder.post(`/v1/subscriptions/${id}/cancel`)).status).toBe(404);
    expect((await intruder.get('/v1/subscriptions')).body.data.map((s: { id: string }) => s.id)).not.toContain(id);
    expect((await api().get(`/v1/subscriptions/${id}`)).status).toBe(200);
    expect((await api().get('/v1/subscriptions/not-a-uuid')).status).toBe(404);
    const [row] = await stack.sql`SELECT users FROM subscriptions WHERE id = ${id}`;
    expect(row?.users).toBe(25);
  });

  it("T3: a cancelled subscription's contact session stops working", async () => {
    const b = body();
    const id = (await api().post('/v1/subscriptions').send(b)).body.id as string;
    expect((await submitSetup(await setupLink(b.contact.email), STRONG_PASSWORD)).status).toBe(200);
    const session = (
      await request(stack.app).post('/contact/login').send({ email: b.contact.email, password: STRONG_PASSWORD })
    ).body.token as string;
    expect((await api(session).get('/contact/v1/signatures')).status).toBe(200);
    await api().post(`/v1/subscriptions/${id}/cancel`);
    expect((await api(session).get('/contact/v1/signatures')).status).toBe(401);
  });

  it('serves the subscription paths in the OpenAPI document', async () => {
    const doc = await openApiListing(stack, [
      '/v1/subscriptions',
      '/v1/subscriptions/{id}',
      '/contact/login',
      '/contact/v1/signatures',
    ]);
    expect(doc.components.schemas.SubscriptionCreate.required).toEqual(
      expect.arrayContaining(['product', 'companyName', 'users', 'customerCanEditSignatures']),
    );
  });
});
