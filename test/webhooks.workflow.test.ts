import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { recordAudit } from '../db/audit';
import { createWebhookEndpoint, listWebhookDeliveries, redeliverWebhook } from '../db/webhooks';
import { verifyWebhookSignature } from '../lib/webhook-signature';
import { startWebhookWakeups } from '../worker/webhook-wakeups';
import { webhookDeliveryStateQuery, webhookEndpointWorkflowId } from '../workflows/definitions';
import { newReseller } from './helpers/fixtures';
import { eventually, timeSkippingSuite } from './helpers/temporal';

// Issue 12, part 4: lifecycle events to the portal backend. Every change a lifecycle makes is audited in its own
// transaction, and the audit row queues a delivery per endpoint in that same transaction (migration 00024); each
// endpoint's workflow POSTs them in order, signed, retried with backoff for a day. On the time-skipping server the
// receiver is down for an hour, and a day, of workflow time.

const suite = timeSkippingSuite();
const { sql } = suite;

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  answered: number;
}

/** The portal backend's receiver: answers 503 while down, 204 while up; keeps every request. */
function receiver() {
  const got: Received[] = [];
  let up = false;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      const answered = up ? 204 : 503;
      got.push({ headers: req.headers, body, answered });
      res.writeHead(answered).end();
    });
  });
  return {
    got,
    setUp: (v: boolean) => {
      up = v;
    },
    url: async () => {
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
    },
    close: () => new Promise((r) => server.close(r)),
  };
}

let wakeups: { stop: () => Promise<void> } | undefined;
const terms = {
  WEBHOOK_ATTEMPT_TIMEOUT: '5 seconds',
  WEBHOOK_RETRY_FOR: '1 day',
  WEBHOOK_RETRY_INITIAL_INTERVAL: '30 seconds',
  WEBHOOK_RETRY_MAX_INTERVAL: '10 minutes',
  WEBHOOK_RESCAN_EVERY: '5 minutes',
};
beforeAll(async () => {
  // eventually() below needs the suite's env; the listener starts once the suite is ready.
  wakeups = await startWebhookWakeups({
    sql,
    client: suite.env().client,
    config: { ...suite.config, ...terms },
    taskQueue: suite.taskQueue(),
    log: pino({ level: 'silent' }),
  });
});
afterAll(async () => {
  // The suite's own afterAll may have closed the pool first.
  await wakeups?.stop().catch(() => undefined);
});

async function endpointFor(resellerId: string, url: string) {
  const endpoint = await createWebhookEndpoint(sql, {
    id: randomUUID(),
    resellerId,
    url,
    secret: `whsec_${randomUUID()}`,
    eventTypes: [],
    description: null,
    actor: 'test',
  });
  return endpoint!;
}

/** A change to a customer, audited as every lifecycle's change is (the outbox's one way in). */
const change = (resellerId: string, customerId: string, action: string, n: number) =>
  recordAudit(sql, {
    resellerId,
    entityType: 'customer',
    entityId: customerId,
    action,
    actor: 'test',
    after: { n },
  });

interface Event {
  id: string;
  type: string;
  customerId: string;
  data: { after: { n: number } };
}

it('issue 12 lifecycle events: the receiver down for an hour of workflow time, then up: each event arrives once, signed, in order per customer', async () => {
  const r = receiver();
  const url = await r.url();
  const { resellerId } = await newReseller(sql);
  const endpoint = await endpointFor(resellerId, url);
  const [a, b] = [randomUUID(), randomUUID()];
  // Interleaved changes of two customers, each in its own transaction.
  const sent: [string, string, number][] = [
    [a, 'invitation.accepted', 1],
    [b, 'invitation.accepted', 1],
    [a, 'license.activated', 2],
    [b, 'trial.ending', 2],
    [a, 'purchase_authorization.overdue', 3],
  ];
  // Their ids cross a power of ten (…98, 99, 100…): the order is the ids' as numbers, never as text.
  const [{ next } = { next: '1' }] = await sql<{ next: string }[]>`
    SELECT (10 ^ ceil(log(greatest(last_value, 10) + 10)))::bigint - 3 AS next FROM webhook_deliveries_id_seq`;
  await sql`SELECT setval('webhook_deliveries_id_seq', ${next})`;
  for (const [customer, action, n] of sent) await change(resellerId, customer, action, n);

  const handle = suite.env().client.workflow.getHandle(webhookEndpointWorkflowId(endpoint.id));
  // The first attempt is refused: the receiver is down.
  await eventually(async () => expect(r.got.length).toBeGreaterThan(0));
  await suite.env().sleep('1 hour');
  const refused = r.got.length;
  expect(refused).toBeGreaterThan(3); // retried with backoff across the hour
  expect(r.got.every((g) => g.answered === 503)).toBe(true);
  expect((await handle.query(webhookDeliveryStateQuery)).delivered).toBe(0);

  r.setUp(true);
  await suite.env().sleep('10 minutes'); // the longest backoff
  await eventually(async () => expect(r.got.filter((g) => g.answered === 204)).toHaveLength(sent.length));

  const accepted = r.got.filter((g) => g.answered === 204);
  const events = accepted.map((g) => JSON.parse(g.body) as Event);
  // Once each: five distinct event ids, each accepted once, its id in the Webhook-Id header.
  expect(new Set(events.map((e) => e.id)).size).toBe(sent.length);
  expect(accepted.map((g) => g.headers['webhook-id'])).toEqual(events.map((e) => e.id));
  // Signed with the endpoint's secret over the timestamp and the body as sent.
  for (const g of accepted) {
    const header = String(g.headers['webhook-signature']);
    expect(verifyWebhookSignature(endpoint.secret, header, g.body, Math.floor(Date.now() / 1000))).toBe(true);
    expect(verifyWebhookSignature('whsec_wrong', header, g.body, Math.floor(Date.now() / 1000))).toBe(false);
  }
  // In order: all of them as they happened, so each customer's too.
  expect(events.map((e) => [e.customerId, e.type, e.data.after.n])).toEqual(sent);
  expect(events.every((e) => e.type && e.id)).toBe(true);

  const rows = await listWebhookDeliveries(sql, { endpointId: endpoint.id, limit: 10 });
  expect(rows.map((d) => d.status)).toEqual(Array(sent.length).fill('delivered'));
  expect(rows.at(-1)!.attempts).toBeGreaterThan(3);
  await r.close();
});

it('issue 12 lifecycle events: a delivery refused for a day is failed and listed; redelivered on request, it arrives once', async () => {
  const r = receiver();
  const url = await r.url();
  const { resellerId } = await newReseller(sql);
  const endpoint = await endpointFor(resellerId, url);
  const customer = randomUUID();
  await change(resellerId, customer, 'invitation.accepted', 1);
  await eventually(async () => expect(r.got.length).toBeGreaterThan(0));

  await suite.env().sleep('25 hours');
  const failedOnes = () => listWebhookDeliveries(sql, { endpointId: endpoint.id, status: 'failed', limit: 10 });
  await eventually(async () => expect(await failedOnes()).toHaveLength(1));
  const [row] = await failedOnes();
  expect(row!.lastStatus).toBe(503);
  expect(row!.attempts).toBeGreaterThan(10);

  // The next event is not held up behind the failed one.
  r.setUp(true);
  await change(resellerId, customer, 'license.activated', 2);
  await eventually(async () => expect(r.got.filter((g) => g.answered === 204)).toHaveLength(1));

  const again = await redeliverWebhook(sql, {
    endpointId: endpoint.id,
    resellerId,
    deliveryId: row!.id,
    actor: 'test',
  });
  expect(again.outcome).toBe('requeued');
  await eventually(async () => expect(r.got.filter((g) => g.answered === 204)).toHaveLength(2));
  const [second, redelivered] = r.got.filter((g) => g.answered === 204).map((g) => JSON.parse(g.body) as Event);
  expect(second!.type).toBe('license.activated');
  // The same event as the failed delivery, under its id.
  expect(redelivered!.id).toBe(row!.eventId);
  expect(
    (await redeliverWebhook(sql, { endpointId: endpoint.id, resellerId, deliveryId: row!.id, actor: 'test' })).outcome,
  ).toBe('not-failed');
  await r.close();
});
