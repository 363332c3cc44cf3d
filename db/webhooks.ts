// Issue 12, part 4: the reseller's webhook endpoints and their deliveries. The deliveries are written by a trigger on
// audit_events (migration 00024) in the transaction of the change they report; the delivery workflow of each
// endpoint takes them in order from here.
import type { Sql, Tx } from '.';
import { recordAudit } from './audit';

export interface WebhookEndpointRow {
  id: string;
  resellerId: string;
  url: string;
  secret: string;
  eventTypes: string[];
  description: string | null;
  status: 'enabled' | 'disabled';
  createdAt: Date;
}

export type WebhookDeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface WebhookDeliveryRow {
  id: string;
  endpointId: string;
  eventId: string;
  eventType: string;
  customerId: string | null;
  payload: unknown;
  status: WebhookDeliveryStatus;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  lastAttemptAt: Date | null;
  deliveredAt: Date | null;
  failedAt: Date | null;
  createdAt: Date;
}

const ENDPOINT = (sql: Sql | Tx) => sql`id, reseller_id, url, secret, event_types, description, status, created_at`;
const DELIVERY = (sql: Sql | Tx) =>
  sql`d.id::text AS id, endpoint_id, event_id, event_type, customer_id, payload, status, attempts, last_status, last_error,
      last_attempt_at, delivered_at, failed_at, created_at`;

/** A new endpoint; a repeat under the same id (an Idempotency-Key) finds the one made first. */
export async function createWebhookEndpoint(
  sql: Sql,
  e: {
    id: string;
    resellerId: string;
    url: string;
    secret: string;
    eventTypes: string[];
    description: string | null;
    actor: string;
  },
): Promise<WebhookEndpointRow | null> {
  return sql.begin(async (tx) => {
    const [made] = await tx<WebhookEndpointRow[]>`
      INSERT INTO webhook_endpoints (id, reseller_id, url, secret, event_types, description, created_by)
      VALUES (${e.id}, ${e.resellerId}, ${e.url}, ${e.secret}, ${e.eventTypes}, ${e.description},
              ${e.actor.startsWith('user:') ? e.actor.slice(5) : null})
      ON CONFLICT (id) DO NOTHING
      RETURNING ${ENDPOINT(tx)}`;
    if (made) {
      await recordAudit(tx, {
        resellerId: e.resellerId,
        entityType: 'webhook_endpoint',
        entityId: e.id,
        action: 'webhook_endpoint.created',
        actor: e.actor,
        after: { url: e.url, eventTypes: e.eventTypes },
      });
      return made;
    }
    const [existing] = await tx<WebhookEndpointRow[]>`
      SELECT ${ENDPOINT(tx)} FROM webhook_endpoints WHERE id = ${e.id} AND reseller_id = ${e.resellerId}`;
    return existing ?? null;
  }) as Promise<WebhookEndpointRow | null>;
}

export async function findWebhookEndpoint(
  sql: Sql,
  resellerId: string,
  id: string,
): Promise<WebhookEndpointRow | null> {
  const [row] = await sql<WebhookEndpointRow[]>`
    SELECT ${ENDPOINT(sql)} FROM webhook_endpoints WHERE id = ${id} AND reseller_id = ${resellerId}`;
  return row ?? null;
}

export function listWebhookEndpoints(sql: Sql, resellerId: string): Promise<WebhookEndpointRow[]> {
  return sql<WebhookEndpointRow[]>`
    SELECT ${ENDPOINT(sql)} FROM webhook_endpoints WHERE reseller_id = ${resellerId} ORDER BY created_at DESC, id`;
}

/** Removes the endpoint and its deliveries; its delivery workflow ends at its next look. */
export async function deleteWebhookEndpoint(
  sql: Sql,
  a: { resellerId: string; id: string; actor: string },
): Promise<boolean> {
  return sql.begin(async (tx) => {
    const [gone] = await tx<{ url: string }[]>`
      DELETE FROM webhook_endpoints WHERE id = ${a.id} AND reseller_id = ${a.resellerId} RETURNING url`;
    if (!gone) return false;
    await recordAudit(tx, {
      resellerId: a.resellerId,
      entityType: 'webhook_endpoint',
      entityId: a.id,
      action: 'webhook_endpoint.deleted',
      actor: a.actor,
      before: { url: gone.url },
    });
    return true;
  }) as Promise<boolean>;
}

/** The endpoint's deliveries, newest first, optionally of one status; keyset pages by id. */
export function listWebhookDeliveries(
  sql: Sql,
  q: { endpointId: string; status?: WebhookDeliveryStatus; limit: number; before?: string },
): Promise<WebhookDeliveryRow[]> {
  return sql<WebhookDeliveryRow[]>`
    SELECT ${DELIVERY(sql)} FROM webhook_deliveries d
    WHERE endpoint_id = ${q.endpointId}
      ${q.status ? sql`AND status = ${q.status}` : sql``}
      ${q.before ? sql`AND d.id < ${q.before}` : sql``}
    ORDER BY d.id DESC LIMIT ${q.limit}`;
}

/**
 * A failed delivery goes back to pending, to be sent again in its turn (after what is pending before it), and its
 * endpoint's workflow is woken. Answers what it found.
 */
export async function redeliverWebhook(
  sql: Sql,
  a: { endpointId: string; resellerId: string; deliveryId: string; actor: string },
): Promise<{ outcome: 'requeued'; delivery: WebhookDeliveryRow } | { outcome: 'not-found' | 'not-failed' }> {
  return sql.begin(async (tx) => {
    const [row] = await tx<{ status: WebhookDeliveryStatus }[]>`
      SELECT status FROM webhook_deliveries WHERE id = ${a.deliveryId} AND endpoint_id = ${a.endpointId} FOR UPDATE`;
    if (!row) return { outcome: 'not-found' as const };
    if (row.status !== 'failed') return { outcome: 'not-failed' as const };
    const [delivery] = await tx<WebhookDeliveryRow[]>`
      UPDATE webhook_deliveries d SET status = 'pending', failed_at = NULL WHERE d.id = ${a.deliveryId}
      RETURNING ${DELIVERY(tx)}`;
    await recordAudit(tx, {
      resellerId: a.resellerId,
      entityType: 'webhook_endpoint',
      entityId: a.endpointId,
      action: 'webhook_endpoint.redelivery_requested',
      actor: a.actor,
      after: { deliveryId: a.deliveryId },
    });
    await tx`SELECT pg_notify(${WEBHOOK_CHANNEL}, ${`${a.endpointId}:${a.resellerId}`})`;
    return { outcome: 'requeued' as const, delivery: delivery as WebhookDeliveryRow };
  }) as Promise<{ outcome: 'requeued'; delivery: WebhookDeliveryRow } | { outcome: 'not-found' | 'not-failed' }>;
}

// --- What the delivery workflow's activities read and write ------------------------------------------------------

/** The channel the trigger notifies, with `<endpoint id>:<reseller id>`, when deliveries are queued. */
export const WEBHOOK_CHANNEL = 'webhook_deliveries';

/** The endpoint's oldest pending delivery; 'gone' once the endpoint is deleted or disabled. */
export async function nextWebhookDelivery(sql: Sql, endpointId: string): Promise<string | null | 'gone'> {
  const [endpoint] = await sql<{ status: string }[]>`SELECT status FROM webhook_endpoints WHERE id = ${endpointId}`;
  if (endpoint?.status !== 'enabled') return 'gone';
  const [next] = await sql<{ id: string }[]>`
    SELECT d.id::text AS id FROM webhook_deliveries d WHERE endpoint_id = ${endpointId} AND status = 'pending'
    ORDER BY d.id LIMIT 1`;
  return next?.id ?? null;
}

export interface WebhookToSend {
  url: string;
  secret: string;
  eventId: string;
  payload: unknown;
  status: WebhookDeliveryStatus;
}

export async function webhookToSend(sql: Sql, deliveryId: string): Promise<WebhookToSend | null> {
  const [row] = await sql<WebhookToSend[]>`
    SELECT e.url, e.secret, d.event_id, d.payload, d.status
    FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
    WHERE d.id = ${deliveryId}`;
  return row ?? null;
}

/** One attempt's outcome: delivered, or the status or error it met (the delivery stays pending). */
export async function recordWebhookAttempt(
  sql: Sql,
  a: { deliveryId: string; delivered: boolean; httpStatus: number | null; error: string | null },
): Promise<void> {
  await sql`
    UPDATE webhook_deliveries SET attempts = attempts + 1, last_attempt_at = now(), last_status = ${a.httpStatus},
      last_error = ${a.error},
      status = CASE WHEN ${a.delivered} THEN 'delivered' ELSE status END,
      delivered_at = CASE WHEN ${a.delivered} THEN now() ELSE delivered_at END
    WHERE id = ${a.deliveryId}`;
}

/** Its retries ran out: failed, listed for the reseller, and redeliverable on request. */
export async function failWebhookDelivery(sql: Sql, a: { deliveryId: string; error: string }): Promise<void> {
  await sql`UPDATE webhook_deliveries SET status = 'failed', failed_at = now(), last_error = COALESCE(last_error, ${a.error})
            WHERE id = ${a.deliveryId} AND status = 'pending'`;
}

/** Endpoints with deliveries waiting, as `<endpoint id>:<reseller id>` (the worker wakes their workflows on start). */
export async function endpointsWithPendingDeliveries(sql: Sql): Promise<string[]> {
  const rows = await sql<{ key: string }[]>`
    SELECT e.id || ':' || e.reseller_id AS key FROM webhook_endpoints e
    WHERE e.status = 'enabled'
      AND EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.endpoint_id = e.id AND d.status = 'pending')`;
  return rows.map((r) => r.key);
}
