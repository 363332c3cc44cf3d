import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  findWebhookEndpoint,
  listWebhookDeliveries,
  listWebhookEndpoints,
  redeliverWebhook,
  type WebhookDeliveryRow,
  type WebhookEndpointRow,
} from '../../db/webhooks';
import { type Api, created, defineRoute, empty, json, reply } from '../http/define-route';
import type { AppDeps } from '../http/deps';
import { HttpError, notFound } from '../http/errors';
import { createdHeaders, IdempotencyHeaders, madeOrGone, resourceIdFor } from '../http/idempotency';
import { ownedBy } from '../http/owned';
import { getOwnedRoute, ownedRoute } from '../http/route-kinds';
import { isoTime, pageQuery, requestBody } from '../http/schemas';

// Issue 12, part 4: the reseller's webhook endpoints (its admin manages them), the deliveries to each, and the
// redelivery of a failed one. What is delivered and how: db/webhooks.ts, workflows/webhook-delivery.ts.

const EVENT_TYPE = /^[a-z0-9_]+(\.[a-z0-9_]+)+$/;
const WEBHOOK_URL =
  /^https?:\/\/[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:[0-9]{1,5})?(\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*)?(\?[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*)?$/;

const WebhookEndpoint = z
  .object({
    id: z.uuid(),
    url: z.string(),
    eventTypes: z.array(z.string()).meta({ description: 'The event types delivered; empty: every type' }),
    description: z.string().nullable(),
    status: z.enum(['enabled', 'disabled']),
    createdAt: isoTime,
  })
  .meta({ id: 'WebhookEndpoint' });
const WebhookEndpointCreated = WebhookEndpoint.extend({
  secret: z.string().meta({
    description:
      'The signing secret, in this answer only (and a repeat with the same Idempotency-Key): each delivery carries ' +
      '`Webhook-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` and `Webhook-Id: <event id>`',
  }),
}).meta({ id: 'WebhookEndpointCreated' });
const WebhookEndpointList = z.object({ data: z.array(WebhookEndpoint) }).meta({ id: 'WebhookEndpointList' });
const WebhookEndpointCreate = requestBody('WebhookEndpointCreate', {
  // A pattern rather than z.url(): the document states exactly what is taken (a `format: uri` allows any scheme).
  url: z
    .string()
    .max(2000, 'must be at most 2000 characters')
    .regex(WEBHOOK_URL, 'must be an http or https URL: scheme, host, then an optional port, path and query'),
  eventTypes: z
    .array(z.string().regex(EVENT_TYPE, 'must be an event type such as invitation.accepted').max(100))
    .max(50, 'at most 50 event types')
    .default([])
    .meta({ description: 'Only these event types (such as invitation.accepted, license.activated); empty: all' }),
  description: z.string().trim().max(200, 'must be at most 200 characters').nullable().default(null),
});

const DeliveryStatus = z.enum(['pending', 'delivered', 'failed']);
const WebhookDelivery = z
  .object({
    id: z.string(),
    eventId: z.uuid(),
    eventType: z.string(),
    customerId: z.uuid().nullable(),
    status: DeliveryStatus,
    attempts: z.number().int(),
    lastStatus: z.number().int().nullable().meta({ description: "The endpoint's last HTTP status, if it answered" }),
    lastError: z.string().nullable(),
    lastAttemptAt: isoTime.nullable(),
    deliveredAt: isoTime.nullable(),
    failedAt: isoTime.nullable(),
    createdAt: isoTime,
    payload: z
      .unknown()
      .meta({ description: 'The event as delivered: id, type, createdAt, resellerId, customerId, data' }),
  })
  .meta({ id: 'WebhookDelivery' });
const WebhookDeliveryList = z
  .object({
    data: z.array(WebhookDelivery),
    nextBefore: z.string().nullable().meta({ description: 'Pass as `before` for the next page' }),
  })
  .meta({ id: 'WebhookDeliveryList' });
const DeliveryQuery = z
  .object({
    status: DeliveryStatus.optional(),
    limit: pageQuery.limit,
    before: z
      .string()
      .regex(/^[0-9]{1,18}$/, 'must be a delivery id')
      .optional(),
  })
  .strict();

const iso = (d: Date | null) => (d ? d.toISOString() : null);
const endpointJson = (e: WebhookEndpointRow): z.infer<typeof WebhookEndpoint> => ({
  id: e.id,
  url: e.url,
  eventTypes: e.eventTypes,
  description: e.description,
  status: e.status,
  createdAt: e.createdAt.toISOString(),
});
const deliveryJson = (d: WebhookDeliveryRow): z.infer<typeof WebhookDelivery> => ({
  id: d.id,
  eventId: d.eventId,
  eventType: d.eventType,
  customerId: d.customerId,
  status: d.status,
  attempts: d.attempts,
  lastStatus: d.lastStatus,
  lastError: d.lastError,
  lastAttemptAt: iso(d.lastAttemptAt),
  deliveredAt: iso(d.deliveredAt),
  failedAt: iso(d.failedAt),
  createdAt: d.createdAt.toISOString(),
  payload: d.payload,
});

export function webhookRoutes(api: Api, { sql }: AppDeps): void {
  const path = '/v1/webhook-endpoints';
  const ownEndpoint = ownedBy('Webhook endpoint', (resellerId, id) => findWebhookEndpoint(sql, resellerId, id));

  defineRoute(api, {
    method: 'post',
    path,
    summary: "Add an endpoint the engine POSTs the reseller's lifecycle events to, signed (issue 12)",
    permission: 'admin',
    headers: IdempotencyHeaders,
    body: WebhookEndpointCreate,
    responses: {
      201: json('The endpoint and its signing secret', WebhookEndpointCreated, createdHeaders('The endpoint')),
    },
    errors: [422],
    handler: async ({ principal, actor, headers, body }) => {
      const { id, replayed } = await resourceIdFor(sql, principal.resellerId, headers['Idempotency-Key'], body);
      const endpoint = madeOrGone(
        await createWebhookEndpoint(sql, {
          id,
          resellerId: principal.resellerId,
          url: body.url,
          secret: `whsec_${randomBytes(32).toString('base64url')}`,
          eventTypes: body.eventTypes,
          description: body.description || null,
          actor,
        }),
        'webhook endpoint',
      );
      return created(`${path}/${id}`, { ...endpointJson(endpoint), secret: endpoint.secret }, replayed);
    },
  });

  defineRoute(api, {
    method: 'get',
    path,
    summary: "The reseller's webhook endpoints, newest first",
    permission: 'admin',
    responses: { 200: json('The endpoints (without their secrets)', WebhookEndpointList) },
    handler: async ({ principal }) =>
      reply(200, { data: (await listWebhookEndpoints(sql, principal.resellerId)).map(endpointJson) }),
  });

  getOwnedRoute(api, {
    path: `${path}/{id}`,
    summary: 'One webhook endpoint',
    permission: 'admin',
    response: json('The endpoint (without its secret)', WebhookEndpoint),
    own: ownEndpoint,
    view: endpointJson,
  });

  ownedRoute(api, {
    method: 'delete',
    path: `${path}/{id}`,
    summary: 'Remove an endpoint: nothing more is delivered to it, and its deliveries go with it',
    permission: 'admin',
    responses: { 204: empty('Removed') },
    own: ownEndpoint,
    handler: async (endpoint, { actor }) => {
      await deleteWebhookEndpoint(sql, { resellerId: endpoint.resellerId, id: endpoint.id, actor });
      return reply(204, undefined);
    },
  });

  defineRoute(api, {
    method: 'get',
    path: `${path}/{id}/deliveries`,
    summary: "The endpoint's deliveries, newest first: `status=failed` lists those whose day of retries ran out",
    permission: 'admin',
    params: z.object({ id: z.uuid() }),
    query: DeliveryQuery,
    responses: { 200: json('A page of deliveries and `nextBefore`', WebhookDeliveryList) },
    handler: async ({ principal, params, query }) => {
      const endpoint = await ownEndpoint(principal, params.id);
      const rows = await listWebhookDeliveries(sql, {
        endpointId: endpoint.id,
        status: query.status,
        before: query.before,
        limit: query.limit + 1,
      });
      const page = rows.slice(0, query.limit);
      const nextBefore = rows.length > query.limit ? (page.at(-1)?.id ?? null) : null;
      return reply(200, { data: page.map(deliveryJson), nextBefore });
    },
  });

  defineRoute(api, {
    method: 'post',
    path: `${path}/{id}/deliveries/{deliveryId}/redeliver`,
    summary: 'Send a failed delivery again, in its turn after what is pending, with the same event id',
    permission: 'admin',
    params: z.object({ id: z.uuid(), deliveryId: z.string().regex(/^[0-9]{1,18}$/, 'must be a delivery id') }),
    responses: { 202: json('Queued again (pending)', WebhookDelivery) },
    errors: [[409, 'The delivery has not failed: it is pending or was delivered']],
    handler: async ({ principal, params, actor }) => {
      const endpoint = await ownEndpoint(principal, params.id);
      const result = await redeliverWebhook(sql, {
        endpointId: endpoint.id,
        resellerId: endpoint.resellerId,
        deliveryId: params.deliveryId,
        actor,
      });
      if (result.outcome === 'requeued') return reply(202, deliveryJson(result.delivery));
      if (result.outcome === 'not-found') throw notFound('Delivery');
      throw new HttpError(409, 'delivery_not_failed', 'Only a failed delivery is sent again; this one has not failed.');
    },
  });
}
