import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhookSignature } from '../lib/webhook-signature';
import { customerBody, newReseller, resellerForSuite } from './helpers/fixtures';
import { eventually } from './helpers/temporal';
import { invalidFields, sentThriceUnderOneKey, signedIn, stackForSuite } from './helpers/stack';

// Issue 12, part 4, through the API on the dev server: the reseller's admin manages its endpoints; a real lifecycle's
// change (a customer invited) reaches the endpoint signed; a delivery whose retries ran out (a few seconds here) is
// listed as failed and sent again on request.

const stack = stackForSuite({
  WEBHOOK_RETRY_FOR: '3 seconds',
  WEBHOOK_RETRY_INITIAL_INTERVAL: '1 second',
  WEBHOOK_RETRY_MAX_INTERVAL: '1 second',
});
const admin = resellerForSuite(stack);
const api = () => signedIn(stack.app, admin.apiKey);

const received: { headers: IncomingHttpHeaders; body: string }[] = [];
let up = true;
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => {
    body += c;
  });
  req.on('end', () => {
    if (up) received.push({ headers: req.headers, body });
    res.writeHead(up ? 200 : 500).end();
  });
});
let url = '';
beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/engine-events`;
});
afterAll(() => new Promise((r) => server.close(r)));

describe('issue 12 lifecycle events: webhook endpoints', () => {
  it('the admin adds an endpoint (Idempotency-Key: one endpoint, the same secret); a customer invited reaches it signed', async () => {
    const send = () =>
      api()
        .post('/v1/webhook-endpoints')
        .set('Idempotency-Key', `hook-${admin.resellerId}`)
        .send({ url, eventTypes: ['customer.invited'], description: 'Portal backend' });
    const id = await sentThriceUnderOneKey(send);
    const replay = await send();
    expect(replay.body).toMatchObject({ id, url, eventTypes: ['customer.invited'], status: 'enabled' });
    expect(replay.body.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    const listed = await api().get('/v1/webhook-endpoints');
    expect(listed.body.data).toHaveLength(1);
    expect(listed.body.data[0].secret).toBeUndefined();

    const customer = await api().post('/v1/customers').send(customerBody());
    expect(customer.status).toBe(201);
    await eventually(async () => expect(received.some((r) => r.body.includes(customer.body.id))).toBe(true));
    const got = received.find((r) => r.body.includes(customer.body.id))!;
    const event = JSON.parse(got.body);
    expect(event).toMatchObject({
      type: 'customer.invited',
      resellerId: admin.resellerId,
      customerId: customer.body.id,
      data: { entityType: 'customer', entityId: customer.body.id },
    });
    expect(got.headers['webhook-id']).toBe(event.id);
    const signature = String(got.headers['webhook-signature']);
    expect(verifyWebhookSignature(replay.body.secret, signature, got.body, Math.floor(Date.now() / 1000))).toBe(true);

    const deliveries = await api().get(`/v1/webhook-endpoints/${id}/deliveries`);
    expect(deliveries.status).toBe(200);
    expect(deliveries.body.data[0]).toMatchObject({ eventId: event.id, status: 'delivered', attempts: 1 });
  });

  it('a delivery refused until its retries run out is listed as failed; redelivered on request, it arrives with its event id', async () => {
    const made = await api().post('/v1/webhook-endpoints').send({ url });
    expect(made.status).toBe(201);
    const id = made.body.id as string;
    up = false;
    const customer = await api().post('/v1/customers').send(customerBody());
    expect(customer.status).toBe(201);
    const failed = async () => (await api().get(`/v1/webhook-endpoints/${id}/deliveries?status=failed`)).body.data;
    await eventually(async () => expect((await failed()).length).toBeGreaterThan(0), 30_000);
    const [delivery] = await failed();
    expect(delivery).toMatchObject({ status: 'failed', lastStatus: 500 });

    up = true;
    const again = await api().post(`/v1/webhook-endpoints/${id}/deliveries/${delivery.id}/redeliver`);
    expect(again.status).toBe(202);
    expect(again.body.status).toBe('pending');
    await eventually(async () => expect(received.some((r) => r.headers['webhook-id'] === delivery.eventId)).toBe(true));
    const twice = await api().post(`/v1/webhook-endpoints/${id}/deliveries/${delivery.id}/redeliver`);
    expect(twice.status).toBe(409);
    expect(twice.body.error.code).toBe('delivery_not_failed');
  });

  it('T1 T2: another reseller’s endpoint is a 404, a user without admin a 403; bad input names the field; delete', async () => {
    const made = await api().post('/v1/webhook-endpoints').send({ url });
    const id = made.body.id as string;
    const other = await newReseller(stack.sql);
    const theirs = signedIn(stack.app, other.apiKey);
    expect((await theirs.get(`/v1/webhook-endpoints/${id}`)).status).toBe(404);
    expect((await theirs.get(`/v1/webhook-endpoints/${id}/deliveries`)).status).toBe(404);
    expect((await theirs.delete(`/v1/webhook-endpoints/${id}`)).status).toBe(404);
    expect((await theirs.post(`/v1/webhook-endpoints/${id}/deliveries/1/redeliver`)).status).toBe(404);

    const orderOnly = await newReseller(stack.sql, ['order']);
    expect((await signedIn(stack.app, orderOnly.apiKey).get('/v1/webhook-endpoints')).status).toBe(403);

    expect(invalidFields(await api().post('/v1/webhook-endpoints').send({ url: 'ftp://example.com/x' }))).toEqual([
      'url',
    ]);
    expect(
      invalidFields(
        await api()
          .post('/v1/webhook-endpoints')
          .send({ url, eventTypes: ['Not An Event'] }),
      ),
    ).toEqual(['eventTypes.0']);
    expect((await api().get(`/v1/webhook-endpoints/${id}/deliveries?status=lost`)).status).toBe(400);

    expect((await api().delete(`/v1/webhook-endpoints/${id}`)).status).toBe(204);
    expect((await api().get(`/v1/webhook-endpoints/${id}`)).status).toBe(404);
  });
});
