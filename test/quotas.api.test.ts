import { randomInt } from 'node:crypto';
import pino from 'pino';
import request from 'supertest';
import { createApp } from '../api/app';
import type { Config } from '../config';
import { customerBody, newReseller, uniqueEmail } from './helpers/fixtures';
import { signedIn, stackForSuite } from './helpers/stack';

// Issue 10, part 5: quotas on what sends email (429 + Retry-After + a stable code, like X4), sign-in limited per
// account as well as per address, counters shared by every API instance through Postgres, trust proxy from
// configuration.

const stack = stackForSuite();

/** An API instance on this stack's database, Temporal and worker, with other settings. */
const appWith = (settings: Partial<Config>) =>
  createApp({
    sql: stack.sql,
    temporal: stack.temporal,
    config: { ...stack.config, ...settings },
    logger: pino({ level: 'silent' }),
  });

/** A client address of its own (TEST-NET-3), so counters of other tests and runs never meet this one's. */
const someAddress = () => `203.0.113.${randomInt(1, 255)}, 198.51.${randomInt(0, 256)}.${randomInt(1, 255)}`;

const countCustomers = async (resellerId: string) =>
  (await stack.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM customers WHERE reseller_id = ${resellerId}`)[0]!.n;

/** Seconds of a Retry-After header, once it is seen to be a positive number of at most `max`. */
function retryAfter(res: request.Response, max: number): number {
  const seconds = Number(res.headers['retry-after']);
  expect(seconds).toBeGreaterThan(0);
  expect(seconds).toBeLessThanOrEqual(max);
  return seconds;
}

describe('email quotas (issue 10): per reseller per hour, per customer per day', () => {
  it('the reseller quota: the create over it is a 429 reseller_email_quota_exceeded with Retry-After, and sends nothing', async () => {
    const app = appWith({ EMAIL_QUOTA_PER_RESELLER_PER_HOUR: 2 });
    const reseller = await newReseller(stack.sql);
    const api = signedIn(app, reseller.apiKey);
    // A refused request sent nothing and uses none of the quota.
    expect((await api.post('/v1/customers').send({ ...customerBody(), country: 'nowhere' })).status).toBe(400);
    // Its hit is taken back once its answer is out: let that land before counting on it.
    await new Promise((r) => setTimeout(r, 200));
    const bodies = [customerBody(), customerBody(), customerBody()];
    expect((await api.post('/v1/customers').send(bodies[0])).status).toBe(201);
    expect((await api.post('/v1/customers').send(bodies[1])).status).toBe(201);
    const over = await api.post('/v1/customers').send(bodies[2]);
    expect(over.status).toBe(429);
    expect(over.body.error.code).toBe('reseller_email_quota_exceeded');
    expect(over.body.error.message).toContain('2 emails an hour');
    retryAfter(over, 3600);

    expect(await countCustomers(reseller.resellerId)).toBe(2);
    await stack.mailbox.waitFor(bodies[1]!.contact.email, 1);
    expect(await stack.mailbox.to(bodies[2]!.contact.email)).toHaveLength(0);
    // Another reseller's quota is its own.
    const other = signedIn(app, (await newReseller(stack.sql)).apiKey);
    expect((await other.post('/v1/customers').send(customerBody())).status).toBe(201);
  });

  it('C3: the customer quota: the reminder over it is a 429 customer_email_quota_exceeded, and no email goes out', async () => {
    const app = appWith({ EMAIL_QUOTA_PER_CUSTOMER_PER_DAY: 2 });
    const reseller = await newReseller(stack.sql);
    const api = signedIn(app, reseller.apiKey);
    const body = customerBody();
    const created = await api.post('/v1/customers').send(body);
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const remind = () => api.post(`/v1/customers/${id}/invitation/reminders`).send({});
    expect((await remind()).status).toBe(200);
    expect((await remind()).status).toBe(200);
    const over = await remind();
    expect(over.status).toBe(429);
    expect(over.body.error.code).toBe('customer_email_quota_exceeded');
    retryAfter(over, 86_400);
    // Nor to a corrected address: the quota is the customer's, whatever the address.
    const elsewhere = uniqueEmail('corrected');
    expect((await api.post(`/v1/customers/${id}/invitation/reminders`).send({ email: elsewhere })).status).toBe(429);

    // The invitation and two reminders, and nothing after them.
    await stack.mailbox.waitFor(body.contact.email, 3);
    await new Promise((r) => setTimeout(r, 1000));
    expect(await stack.mailbox.to(body.contact.email)).toHaveLength(3);
    expect(await stack.mailbox.to(elsewhere)).toHaveLength(0);
    // Another customer of the same reseller has its own quota.
    const second = await api.post('/v1/customers').send(customerBody());
    expect((await api.post(`/v1/customers/${second.body.id}/invitation/reminders`).send({})).status).toBe(200);
  });

  it('O4: an order emails an activation link, so it counts against the customer quota too', async () => {
    const app = appWith({ EMAIL_QUOTA_PER_CUSTOMER_PER_DAY: 1 });
    const reseller = await newReseller(stack.sql);
    const api = signedIn(app, reseller.apiKey);
    const customer = await api.post('/v1/customers').send(customerBody());
    await stack.sql`UPDATE customers SET invitation_status = 'accepted', accepted_at = now() WHERE id = ${customer.body.id}`;
    const order = {
      kind: 'trial',
      customerId: customer.body.id,
      priceList: 'USD',
      subscriptionType: 'saas-monthly',
      plan: 'production',
      drivers: ['hp-latex-800', 'summa-s2'],
    };
    expect((await api.post('/v1/orders').send(order)).status).toBe(201);
    const over = await api.post('/v1/orders').send(order);
    expect(over.status).toBe(429);
    expect(over.body.error.code).toBe('customer_email_quota_exceeded');
    const [row] = await stack.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM orders WHERE customer_id = ${customer.body.id}`;
    expect(row?.n).toBe(1);
  });

  it('two API instances on one database share the counters', async () => {
    const settings = { EMAIL_QUOTA_PER_RESELLER_PER_HOUR: 2, LOGIN_RATE_LIMIT: 2 };
    const [a, b] = [appWith(settings), appWith(settings)];
    const reseller = await newReseller(stack.sql);
    expect((await signedIn(a, reseller.apiKey).post('/v1/customers').send(customerBody())).status).toBe(201);
    expect((await signedIn(b, reseller.apiKey).post('/v1/customers').send(customerBody())).status).toBe(201);
    expect((await signedIn(a, reseller.apiKey).post('/v1/customers').send(customerBody())).status).toBe(429);
    expect((await signedIn(b, reseller.apiKey).post('/v1/customers').send(customerBody())).status).toBe(429);
    expect(await countCustomers(reseller.resellerId)).toBe(2);

    // The per-address sign-in limit too: one client, alternating between the instances.
    const client = someAddress();
    const attempt = (app: typeof a) =>
      request(app)
        .post('/contact/login')
        .set('x-forwarded-for', client)
        .send({ email: uniqueEmail(), password: 'not-the-password-123' });
    expect((await attempt(a)).status).toBe(401);
    expect((await attempt(b)).status).toBe(401);
    const over = await attempt(a);
    expect(over.status).toBe(429);
    expect(over.body.error.code).toBe('too_many_requests');
    retryAfter(over, 15 * 60);
  });
});

describe('sign-in limits (issue 10): per account as well as per address; trust proxy from configuration', () => {
  it('T3: failed sign-ins to one account are limited even when each comes from another forwarded address', async () => {
    const app = appWith({ TRUST_PROXY: 'loopback', LOGIN_RATE_LIMIT: 100, LOGIN_ACCOUNT_RATE_LIMIT: 3 });
    const account = uniqueEmail();
    const attempt = (email: string) =>
      request(app)
        .post('/contact/login')
        .set('x-forwarded-for', someAddress())
        .send({ email, password: 'not-the-password-123' });
    for (let i = 0; i < 3; i++) expect((await attempt(account)).status).toBe(401);
    const over = await attempt(account);
    expect(over.status).toBe(429);
    expect(over.body.error).toMatchObject({ code: 'too_many_requests', message: expect.stringContaining('account') });
    retryAfter(over, 15 * 60);
    // The same email in another case is the same account; another account is not affected.
    expect((await attempt(account.toUpperCase())).status).toBe(429);
    expect((await attempt(uniqueEmail())).status).toBe(401);
  });

  it('with TRUST_PROXY=loopback each forwarded client has its own address bucket; with false, X-Forwarded-For is ignored', async () => {
    const trusting = appWith({ TRUST_PROXY: 'loopback', LOGIN_RATE_LIMIT: 1 });
    const attempt = (app: ReturnType<typeof appWith>, client: string) =>
      request(app)
        .post('/contact/login')
        .set('x-forwarded-for', client)
        .send({ email: uniqueEmail(), password: 'not-the-password-123' });
    for (let i = 0; i < 3; i++) expect((await attempt(trusting, someAddress())).status).toBe(401);

    // Not trusted, the header is the client's own word: every attempt counts against the socket's address
    // (127.0.0.1, which other tests share, so only the last answer is certain).
    const suspicious = appWith({ TRUST_PROXY: false, LOGIN_RATE_LIMIT: 1 });
    const answers: number[] = [];
    for (let i = 0; i < 2; i++) answers.push((await attempt(suspicious, someAddress())).status);
    expect(answers[1]).toBe(429);
  });

  it('TRUST_PROXY is read from the environment: a number of hops, true/false, or addresses', async () => {
    const { loadConfig } = await import('../config');
    expect(loadConfig({}).TRUST_PROXY).toBe('loopback');
    expect(loadConfig({ TRUST_PROXY: '2' }).TRUST_PROXY).toBe(2);
    expect(loadConfig({ TRUST_PROXY: 'false' }).TRUST_PROXY).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, loopback' }).TRUST_PROXY).toBe('10.0.0.0/8, loopback');
    expect(appWith({ TRUST_PROXY: 1 }).get('trust proxy')).toBe(1);
  });
});
