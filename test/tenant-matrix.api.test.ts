// The tenant matrix (T1, T2), generated from the OpenAPI document: every /v1 operation × {no key, a revoked key,
// another reseller's ids, a user lacking the permission, the right user} → 401 / 401 / 404 / 403 / 2xx, and no answer
// ever carries another reseller's ids, names or emails. Against the dev server, Postgres and the mail catcher.
//
// Outside the matrix, because none of them takes a reseller user's API key, so there are no tenant users to tell
// apart: the contacts' link pages (/invitations, /licenses, /reseller-change, /subscription-contact) and the contact
// API (/contact), which act through single-purpose tokens and contact sessions (T3); the payment webhook
// (/webhooks/payments), signed by the provider; /healthz and /openapi.json, public. Each has its own tests.
//
// A new /v1 operation fails this file until it has a row in TABLE below; a row for an operation the document no
// longer lists fails it too. A row names the call on a tenant's shared resources, and, when the right user's call
// changes what it acts on, fresh resources for it (so the cases may run in any order).
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import request from 'supertest';
import type { Permission } from '../db/api-keys';
import { loadConfig } from '../config';
import { customerBody, newReseller, uniqueEmail } from './helpers/fixtures';
import { startFlakySmtp } from './helpers/flaky-smtp';
import { startStack, type Stack } from './helpers/stack';
import {
  buildTenant,
  COMMITMENT_BODY,
  type Fresh,
  freshOf,
  incidentOf,
  type Operation,
  operationsOf,
  operatorsTenant,
  orderBody,
  paBody,
  subscriptionBody,
  type Tenant,
  type User,
  unknownPair,
  v1Operations,
} from './helpers/tenant-world';

interface World {
  A: Tenant;
  B: Tenant;
  /** T4: support staff, in the operators' own tenant. */
  operators: User;
  /** Lifecycles of A's waiting for support: one to retry, one to skip. */
  incidents: { retry: string; skip: string };
  fresh: Fresh;
}

/** What a call sends besides its credentials. */
interface Call {
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: object;
}

interface Row {
  /** T2: the permission the operation needs (checked against the document's `x-permission`), or why none. */
  permission: Permission | { none: string };
  /** The call on tenant `t`'s shared resources: A's for 401 and 403; B's, with A's right user, for 404. */
  call: (t: Tenant, w: World) => Call;
  /** The right user's call, on fresh resources of A's when it changes what it acts on; `call(A)` when not given. */
  right?: (w: World) => Promise<Call>;
  /** The right user's answer shows this of A's: it is A's data, not an empty answer. */
  shows?: (t: Tenant) => string;
  /** When another reseller's ids are not a 404 (or the case does not apply): what instead, and why. */
  foreign?: { status: number; why: string; call: (other: Tenant, w: World) => Call } | { skip: string };
  /** When the operation succeeds for no one, by a rule: what the right user gets instead. */
  refused?: { status: number; code: string; why: string };
  /** More of A's right user's calls that name another reseller's ids (in a body beside A's own path, say). */
  more?: { name: string; call: (w: World) => Call; status: number; code: string }[];
}

// --- The table: one row per /v1 operation -------------------------------------------------------------
// Adding a row: the permission the route declares; `call` on a tenant's shared resources (`t`), which decides the 401,
// 403 and 404 cases; `right` when the call changes what it acts on (fresh resources: `freshOf` in
// helpers/tenant-world.ts); `foreign` only when another reseller's ids are not a 404 by a rule. An `admin` route
// (users, API keys) finds its right user in `A.users.admin` and its lacking one in `A.lacking.admin`.
const READ = { none: 'T2: every user of the reseller may read it' };
const id = (value: string, body?: object): Call => ({ params: { id: value }, ...(body ? { body } : {}) });
const LIST = { limit: '200' };
const SUPPORT = {
  skip:
    "T4: support staff are the engine's operators, not a reseller's users: every tenant's lifecycle is theirs to " +
    "act on (the right user's case acts on A's from the operators' own tenant); a reseller's user is a 403",
};

/** P2: a payment a billing user records, with its evidence (a reference of its own each time). */
const payment = () => ({ amountMinor: 12_000, currency: 'EUR', reference: `TRF-${randomUUID()}` });

const TABLE: Record<string, Row> = {
  // Customers (C1-C8, D1, D2, D7)
  'POST /v1/customers': {
    permission: 'order',
    call: () => ({ body: customerBody() }),
    foreign: { skip: "a create names nothing of another reseller's: the customer is always the caller's" },
  },
  'GET /v1/customers': {
    permission: READ,
    call: () => ({ query: LIST }),
    shows: (t) => t.customer.id,
    foreign: {
      status: 200,
      why: "a list names no ids: searching for another reseller's customer finds nothing",
      call: (other) => ({ query: { q: other.customer.organizationName } }),
    },
  },
  'GET /v1/customers.csv': {
    permission: READ,
    call: () => ({}),
    shows: (t) => t.customer.vipId,
    foreign: {
      status: 200,
      why: "an export names no ids: filtering by another reseller's contact finds nothing",
      call: (other) => ({ query: { email: other.customer.email } }),
    },
  },
  'GET /v1/customers/{id}': { permission: READ, call: (t) => id(t.customer.id), shows: (t) => t.customer.vipId },
  'PATCH /v1/customers/{id}': {
    permission: 'order',
    call: (t) => id(t.customer.id, { managedBy: t.users.order.userId }),
    more: [
      {
        name: "another reseller's user as the manager of one's own customer",
        call: (w) => id(w.A.customer.id, { managedBy: w.B.users.order.userId }),
        // The same answer as for an id nobody has: it tells nothing of the other reseller's users. 422: the id is
        // as the document says, the reseller has no such user (issue 11).
        status: 422,
        code: 'validation_failed',
      },
    ],
  },
  'DELETE /v1/customers/{id}': {
    permission: 'order',
    call: (t) => id(t.customer.id),
    right: async (w) => id(await w.fresh.customer()),
  },
  'GET /v1/customers/{id}/audit': { permission: READ, call: (t) => id(t.customer.id) },
  'GET /v1/customers/{id}/admins': {
    permission: READ,
    call: (t) => id(t.customer.id),
    shows: (t) => t.customerAdmin.email,
  },
  'POST /v1/customers/{id}/admins': {
    permission: 'order',
    call: (t) => id(t.customer.id, { email: 'matrix-admin@customer.test', firstName: 'Matrix', lastName: 'Admin' }),
  },
  'DELETE /v1/customers/{id}/admins/{adminId}': {
    permission: 'order',
    call: (t) => ({ params: { id: t.customer.id, adminId: t.customerAdmin.id } }),
    right: async (w) => ({ params: { id: w.A.customer.id, adminId: await w.fresh.customerAdmin() } }),
  },
  'POST /v1/customers/{id}/invitation/reminders': {
    permission: 'order',
    call: (t) => id(t.customer.id, {}),
    right: async (w) => id(await w.fresh.customer(), {}),
  },

  // Subscriptions (E1-E3)
  'POST /v1/subscriptions': { permission: 'order', call: (t) => ({ body: subscriptionBody(t.customer.id) }) },
  'GET /v1/subscriptions': {
    permission: READ,
    call: () => ({ query: LIST }),
    shows: (t) => t.subscription.id,
    foreign: { skip: "no parameter names a row; the right user's list is checked to hold none of another's" },
  },
  'GET /v1/subscriptions/{id}': {
    permission: READ,
    call: (t) => id(t.subscription.id),
    shows: (t) => t.subscription.companyName,
  },
  'PATCH /v1/subscriptions/{id}': {
    permission: 'order',
    call: (t) => id(t.subscription.id, { users: 30 }),
    right: async (w) => id(await w.fresh.subscription(), { users: 30 }),
  },
  'POST /v1/subscriptions/{id}/contact-invitations': {
    permission: 'order',
    call: (t) => id(t.subscription.id),
    refused: {
      status: 409,
      code: 'subscription_contact_not_expired',
      why: "E2: only a contact whose link expired is invited again (the workflow test crosses the link's 14 days)",
    },
  },
  'GET /v1/subscriptions/{id}/invoices': {
    permission: 'billing',
    call: (t) => id(t.subscription.id),
  },
  'GET /v1/subscriptions/{id}/signatures': {
    permission: READ,
    call: (t) => id(t.subscription.id),
    shows: (t) => t.subscription.companyName,
  },
  'PUT /v1/subscriptions/{id}/signatures': {
    permission: 'order',
    // The tenant's subscription has no contact: the customer may not edit its signatures, so the reseller does (E2).
    call: (t) => id(t.subscription.id, { signatureTemplate: '<p>{{name}}</p>' }),
  },
  'POST /v1/subscriptions/{id}/cancel': {
    permission: 'order',
    call: (t) => id(t.subscription.id),
    right: async (w) => id(await w.fresh.subscription()),
  },

  // Reseller changes (X1-X4)
  'POST /v1/reseller-changes': {
    permission: 'order',
    call: () => ({ body: unknownPair() }),
    foreign: {
      status: 202,
      why:
        "X1: asking for another reseller's customer is what the request is for; the answer never tells whether " +
        'the pair matched, and carries nothing of the customer',
      call: (other) => ({ body: { vipId: other.customer.vipId, adminEmail: other.customer.email } }),
    },
  },
  'GET /v1/reseller-changes/{id}': { permission: READ, call: (t) => id(t.resellerChange.id) },
  'POST /v1/reseller-changes/{id}/resend': {
    permission: 'order',
    call: (t) => id(t.resellerChange.id),
    right: async (w) => id(await w.fresh.lockedResellerChange()),
  },
  'POST /v1/reseller-changes/{id}/redeem': {
    permission: 'order',
    call: (t) => id(t.resellerChange.id, { code: 'AAAAA-AAAAA' }),
    right: async (w) => {
      const { id: requestId, code } = await w.fresh.redeemable();
      return id(requestId, { code });
    },
  },

  // Orders and trials (O1-O8)
  'POST /v1/orders': { permission: 'order', call: (t) => ({ body: orderBody(t.customer.id) }) },
  'GET /v1/orders': {
    permission: READ,
    call: () => ({ query: LIST }),
    shows: (t) => t.order.id,
    foreign: {
      status: 200,
      why: "a filter by another reseller's customer lists nothing",
      call: (other) => ({ query: { customerId: other.customer.id } }),
    },
  },
  'GET /v1/orders/{id}': { permission: READ, call: (t) => id(t.order.id), shows: (t) => t.order.serialNumber },
  'DELETE /v1/orders/{id}': {
    permission: 'order',
    call: (t) => ({ ...id(t.order.id), query: { confirm: 'true' } }),
    right: async (w) => ({ ...id(await w.fresh.order()), query: { confirm: 'true' } }),
  },
  'GET /v1/orders/{id}/audit': { permission: READ, call: (t) => id(t.order.id) },
  'POST /v1/orders/{id}/extend': {
    permission: 'order',
    call: (t) => id(t.trial.id),
    right: async (w) => id(await w.fresh.order('trial')),
  },
  'POST /v1/orders/{id}/convert': {
    permission: 'order',
    call: (t) => id(t.trial.id),
    right: async (w) => id(await w.fresh.order('trial')),
  },
  'PUT /v1/orders/{id}/drivers': {
    permission: 'order',
    call: (t) => id(t.order.id, { drivers: ['summa-s2'] }),
    right: async (w) => id(await w.fresh.order(), { drivers: ['summa-s2'] }),
  },
  'POST /v1/orders/{id}/activate': {
    permission: { none: 'O7: refused to every reseller user alike; only its order must be the caller’s' },
    call: (t) => id(t.order.id),
    refused: { status: 403, code: 'oem_only', why: 'O7: activating a license is an OEM-only function' },
  },

  // Purchase authorizations (P1-P5)
  'POST /v1/purchase-authorizations': { permission: 'order', call: (t) => ({ body: paBody(t.customer.id) }) },
  'GET /v1/purchase-authorizations': {
    permission: READ,
    call: (t) => ({ query: { customerId: t.customer.id } }),
    shows: (t) => t.pa.id,
  },
  'GET /v1/purchase-authorizations/{id}': { permission: READ, call: (t) => id(t.pa.id), shows: (t) => t.pa.id },
  'POST /v1/purchase-authorizations/{id}/order': {
    permission: 'order',
    call: (t) => id(t.pa.id),
    right: async (w) => id(await w.fresh.pa()),
  },
  'POST /v1/purchase-authorizations/{id}/payment': {
    permission: 'billing',
    call: (t) => id(t.pa.id, payment()),
    right: async (w) => id(await w.fresh.pa(), payment()),
  },
  'POST /v1/purchase-authorizations/{id}/cancel': {
    permission: 'order',
    call: (t) => id(t.pa.id),
    right: async (w) => id(await w.fresh.pa()),
  },
  'POST /v1/purchase-authorizations/{id}/return': {
    permission: 'order',
    call: (t) => id(t.pa.id),
    right: async (w) => id(await w.fresh.pa(undefined, 4, true)),
  },
  'PUT /v1/purchase-authorizations/{id}/assignments': {
    permission: 'order',
    call: (t) => id(t.pa.id, { assigned: 1 }),
    right: async (w) => id(await w.fresh.pa(), { assigned: 1 }),
  },

  // Renewals (R1-R5, C5, C6)
  'GET /v1/renewals/{customerId}': {
    permission: READ,
    call: (t) => ({ params: { customerId: t.customer.id } }),
    shows: (t) => t.customer.id,
  },
  'POST /v1/renewals/{customerId}/renew': {
    permission: 'order',
    call: (t) => ({ params: { customerId: t.customer.id }, body: { quantity: 4 } }),
    right: async (w) => ({ params: { customerId: await w.fresh.customerWithPa(4) }, body: { quantity: 4 } }),
  },
  'POST /v1/renewals/{customerId}/three-year-commitment': {
    permission: 'order',
    call: (t) => ({ params: { customerId: t.customer.id }, body: COMMITMENT_BODY }),
    // R5: after VIP Select, which 10 licenses in a term grant.
    right: async (w) => ({ params: { customerId: await w.fresh.customerWithPa(12) }, body: COMMITMENT_BODY }),
  },
  'GET /v1/renewals/{customerId}/three-year-commitment': {
    permission: READ,
    call: (t) => ({ params: { customerId: t.commitment.customerId } }),
    shows: (t) => t.commitment.id,
  },
  'POST /v1/renewals/{customerId}/three-year-commitment/accept': {
    permission: 'order',
    call: (t) => ({ params: { customerId: t.commitment.customerId }, body: { acceptedBy: 'admin@customer.test' } }),
    right: async (w) => ({
      params: { customerId: await w.fresh.commitment() },
      body: { acceptedBy: 'admin@customer.test' },
    }),
  },
  'POST /v1/renewals/{customerId}/three-year-commitment/cancel': {
    permission: 'order',
    call: (t) => ({ params: { customerId: t.commitment.customerId } }),
    right: async (w) => ({ params: { customerId: await w.fresh.commitment() } }),
  },

  // Billing (S1, S2, B1, D6)
  'POST /v1/billing/subscriptions': {
    permission: 'order',
    call: (t) => ({ body: { orderId: t.order.id } }),
    right: async (w) => ({ body: { orderId: await w.fresh.order('order', true) } }),
  },
  'GET /v1/billing/subscriptions/{orderId}': {
    permission: READ,
    call: (t) => ({ params: { orderId: t.order.id } }),
    shows: (t) => t.invoice.id,
  },
  'POST /v1/billing/subscriptions/{orderId}/suspend': {
    permission: 'order',
    call: (t) => ({ params: { orderId: t.order.id } }),
    right: async (w) => ({ params: { orderId: await w.fresh.billing() } }),
  },
  'POST /v1/billing/subscriptions/{orderId}/revoke-suspension': {
    permission: 'order',
    call: (t) => ({ params: { orderId: t.order.id } }),
    right: async (w) => ({ params: { orderId: await w.fresh.billing('suspend') } }),
  },
  'POST /v1/billing/subscriptions/{orderId}/stop': {
    permission: 'order',
    call: (t) => ({ params: { orderId: t.order.id } }),
    right: async (w) => ({ params: { orderId: await w.fresh.billing() } }),
  },
  'POST /v1/billing/subscriptions/{orderId}/reactivate': {
    permission: 'order',
    call: (t) => ({ params: { orderId: t.order.id } }),
    right: async (w) => ({ params: { orderId: await w.fresh.billing('stop') } }),
  },
  'GET /v1/invoices': {
    permission: 'billing',
    call: () => ({ query: LIST }),
    shows: (t) => t.invoice.number,
    foreign: {
      status: 200,
      why: "a filter by another reseller's order lists nothing",
      call: (other) => ({ query: { orderId: other.order.id } }),
    },
  },
  'GET /v1/invoices/{id}': { permission: 'billing', call: (t) => id(t.invoice.id), shows: (t) => t.invoice.number },
  'GET /v1/invoices/{id}/pdf': { permission: 'billing', call: (t) => id(t.invoice.id) },
  'GET /v1/balance': {
    permission: 'billing',
    call: () => ({ query: LIST }),
    shows: (t) => t.invoice.id,
    foreign: { skip: "no parameter names a row; the right user's balance is checked to hold none of another's" },
  },

  // Users and API keys (T2): the license owner's (`admin`)
  'GET /v1/users': {
    permission: 'admin',
    call: () => ({}),
    shows: (t) => t.users.order.email,
    foreign: { skip: "no parameter names a row; the right user's list is checked to hold none of another's" },
  },
  'POST /v1/users': {
    permission: 'admin',
    call: () => ({ body: { email: uniqueEmail('invited'), name: 'Invited User', permissions: ['order'] } }),
    foreign: { skip: "an invitation names nothing of another reseller's: the user is always the caller's" },
  },
  'GET /v1/users/{id}': {
    permission: 'admin',
    call: (t) => id(t.users.order.userId),
    shows: (t) => t.users.order.email,
  },
  'PUT /v1/users/{id}/permissions': {
    permission: 'admin',
    call: (t) => id(t.users.order.userId, { permissions: ['billing'] }),
    right: async (w) => id(await w.fresh.user(), { permissions: ['billing'] }),
  },
  'POST /v1/users/{id}/deactivate': {
    permission: 'admin',
    call: (t) => id(t.users.order.userId),
    right: async (w) => id(await w.fresh.user()),
  },
  'GET /v1/users/{id}/api-keys': { permission: 'admin', call: (t) => id(t.key.userId), shows: (t) => t.key.keyId },
  'POST /v1/users/{id}/api-keys': {
    permission: 'admin',
    call: (t) => id(t.users.order.userId, { name: 'Another key' }),
    right: async (w) => id(await w.fresh.user(), { name: 'Another key' }),
  },
  'DELETE /v1/users/{id}/api-keys/{keyId}': {
    permission: 'admin',
    call: (t) => ({ params: { id: t.key.userId, keyId: t.key.keyId } }),
    right: async (w) => ({ params: await w.fresh.apiKey() }),
  },

  // Webhook endpoints (issue 12): the license owner's (`admin`)
  'POST /v1/webhook-endpoints': {
    permission: 'admin',
    call: () => ({ body: { url: 'http://127.0.0.1:9/engine-events' } }),
    foreign: { skip: "an endpoint names nothing of another reseller's: it is always the caller's" },
  },
  'GET /v1/webhook-endpoints': {
    permission: 'admin',
    call: () => ({}),
    shows: (t) => t.webhook.endpointId,
    foreign: { skip: "no parameter names a row; the right user's list is checked to hold none of another's" },
  },
  'GET /v1/webhook-endpoints/{id}': {
    permission: 'admin',
    call: (t) => id(t.webhook.endpointId),
    shows: (t) => t.webhook.endpointId,
  },
  'DELETE /v1/webhook-endpoints/{id}': {
    permission: 'admin',
    call: (t) => id(t.webhook.endpointId),
    right: async (w) => id(await w.fresh.webhookEndpoint()),
  },
  'GET /v1/webhook-endpoints/{id}/deliveries': {
    permission: 'admin',
    // The page that starts at the tenant's first delivery, whatever was delivered since.
    call: (t) => ({
      ...id(t.webhook.endpointId),
      query: { before: String(BigInt(t.webhook.deliveryId) + 1n), limit: '1' },
    }),
    shows: (t) => t.webhook.eventId,
  },
  'POST /v1/webhook-endpoints/{id}/deliveries/{deliveryId}/redeliver': {
    permission: 'admin',
    call: (t) => ({ params: { id: t.webhook.endpointId, deliveryId: t.webhook.deliveryId } }),
    refused: {
      status: 409,
      code: 'delivery_not_failed',
      why: 'the delivery is still being retried (nothing answers at its endpoint): only a failed one is sent again',
    },
  },

  // Search (D3)
  'GET /v1/search': {
    permission: READ,
    call: (t) => ({ query: { q: t.customer.vipId } }),
    shows: (t) => t.customer.id,
    foreign: {
      status: 200,
      why: "a search names no ids: another reseller's VIP id finds nothing",
      call: (other) => ({ query: { q: other.customer.vipId } }),
    },
  },

  // The portal's map and reports (D4, D5)
  'GET /v1/customers/map': {
    permission: READ,
    call: () => ({}),
    // The tenant's customer is in the US (the fixture's country): its point carries the country, no ids.
    shows: () => '"country":"US"',
    foreign: {
      status: 200,
      why: "a map names no ids: filtering by another reseller's contact counts nothing",
      call: (other) => ({ query: { email: other.customer.email } }),
    },
  },
  'GET /v1/reports/expiring-licenses': {
    permission: READ,
    call: () => ({ query: { withinDays: '90' } }),
    // O2: the tenant's trial ends TRIAL_LENGTH (30 days) after it was made.
    shows: (t) => t.trial.serialNumber,
    foreign: { skip: "no parameter names a row; the right user's report is checked to hold none of another's" },
  },
  'GET /v1/reports/expiring-licenses.csv': {
    permission: READ,
    call: () => ({ query: { withinDays: '90' } }),
    shows: (t) => t.trial.serialNumber,
    foreign: { skip: "no parameter names a row; the right user's export is checked to hold none of another's" },
  },
  'GET /v1/reports/expiring-subscriptions': {
    permission: READ,
    call: () => ({ query: { withinDays: '90' } }),
    // B1: the tenant's monthly SaaS order is billed again at the end of its first cycle.
    shows: (t) => t.order.serialNumber,
    foreign: { skip: "no parameter names a row; the right user's report is checked to hold none of another's" },
  },
  'GET /v1/reports/expiring-subscriptions.csv': {
    permission: READ,
    call: () => ({ query: { withinDays: '90' } }),
    shows: (t) => t.order.id,
    foreign: { skip: "no parameter names a row; the right user's export is checked to hold none of another's" },
  },

  // Support (T4)
  'GET /v1/support/incidents': { permission: 'support', call: () => ({}), foreign: SUPPORT },
  'POST /v1/support/incidents/{workflowId}/retry': {
    permission: 'support',
    call: (_t, w) => ({ params: { workflowId: w.incidents.retry }, body: { reason: 'tenant matrix' } }),
    foreign: SUPPORT,
  },
  'POST /v1/support/incidents/{workflowId}/skip': {
    permission: 'support',
    call: (_t, w) => ({ params: { workflowId: w.incidents.skip }, body: { reason: 'tenant matrix' } }),
    foreign: SUPPORT,
  },
};

// --- The cases, from the document and the table ------------------------------------------------------------
const OPERATIONS = v1Operations();

type CaseKind = 'no key' | 'revoked key' | 'lacking' | 'foreign' | 'more' | 'right';
interface Case {
  name: string;
  kind: CaseKind;
  /** Which of the row's `more` calls. */
  index?: number;
}

const permissionOf = (row: Row): Permission | null => (typeof row.permission === 'string' ? row.permission : null);

function casesOf(op: Operation, row: Row): Case[] {
  const permission = permissionOf(row);
  const foreign = row.foreign ?? { status: 404, why: '' };
  const cases: Case[] = [];
  if (op.secured) {
    cases.push({ kind: 'no key', name: 'T1: no key → 401' });
    cases.push({ kind: 'revoked key', name: 'T1: a revoked key → 401' });
  }
  if (permission) cases.push({ kind: 'lacking', name: `T2: a user without "${permission}" → 403` });
  if (!('skip' in foreign))
    cases.push({
      kind: 'foreign',
      name: `T1: another reseller's ids → ${foreign.status}${foreign.why ? ` (${foreign.why})` : ''}, nothing of theirs`,
    });
  for (const [index, more] of (row.more ?? []).entries())
    cases.push({ kind: 'more', index, name: `T1: ${more.name} → ${more.status}, nothing of theirs` });
  const who = permission === 'support' ? 'support staff' : permission ? `"${permission}"` : 'no permission';
  const expected = row.refused ? `${row.refused.status} ${row.refused.code} (${row.refused.why})` : '2xx';
  cases.push({ kind: 'right', name: `T1 T2: the right user (${who}) → ${expected}, nothing of another reseller's` });
  return cases;
}

const CASE_COUNT = OPERATIONS.reduce((n, op) => n + (TABLE[op.key] ? casesOf(op, TABLE[op.key]!).length : 0), 0);

// --- Requests ----------------------------------------------------------------------------------------
interface Answer {
  status: number;
  text: string;
  code: string | null;
  /** Everything the request itself sent (lower case): a mark the caller sent is an echo, not a leak. */
  sent: string;
}

/** Every answer as raw bytes, whatever its type (JSON, CSV, PDF), so the leak check reads all of it. */
function rawBody(res: request.Response, done: (err: Error | null, body: Buffer) => void): void {
  // superagent hands its parser the Node response stream.
  const stream = res as unknown as IncomingMessage;
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  stream.on('end', () => done(null, Buffer.concat(chunks)));
  stream.on('error', (err) => done(err, Buffer.alloc(0)));
}

async function send(op: Operation, key: string | null, call: Call): Promise<Answer> {
  const path = op.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = call.params?.[name];
    if (value === undefined) throw new Error(`${op.key}: the row gives no value for {${name}}`);
    return encodeURIComponent(value);
  });
  const query = new URLSearchParams(call.query ?? {}).toString();
  const url = query ? `${path}?${query}` : path;
  let req = request(stack.app)[op.method](url).buffer(true).parse(rawBody);
  if (key) req = req.set('authorization', `Bearer ${key}`);
  if (call.body !== undefined) req = req.send(call.body);
  const res = await req;
  const text = (res.body as Buffer).toString('utf8');
  let code: string | null = null;
  if (/json/.test(res.get('content-type') ?? ''))
    code = (JSON.parse(text) as { error?: { code?: string } }).error?.code ?? null;
  return { status: res.status, text, code, sent: `${url} ${JSON.stringify(call.body ?? null)}`.toLowerCase() };
}

/** The marks of `tenants` an answer carries that its request did not send. */
const leaks = (answer: Answer, ...tenants: Tenant[]): string[] => {
  const text = answer.text.toLowerCase();
  return tenants
    .flatMap((t) => t.marks)
    .map((m) => m.toLowerCase())
    .filter((m) => !answer.sent.includes(m) && text.includes(m));
};

/** The status (and error code), with the answer's start beside it so a failure shows why. */
function expectAnswer(answer: Answer, status: number, code?: string): void {
  expect({ status: answer.status, code: answer.code, answer: answer.text.slice(0, 300) }).toMatchObject({
    status,
    ...(code ? { code } : {}),
  });
}

// --- The world ---------------------------------------------------------------------------------------
let stack: Stack;
let smtp: Awaited<ReturnType<typeof startFlakySmtp>>;
const w = {} as World;

beforeAll(async () => {
  const config = loadConfig();
  // A front door to the mail catcher that refuses one chosen email for good: support's incidents (T4).
  smtp = await startFlakySmtp({ host: config.SMTP_HOST, port: config.SMTP_PORT }, 0, '550 5.7.1 Relaying denied');
  stack = await startStack({
    SMTP_PORT: smtp.port,
    // R2: the renewal window open for a first-year anniversary, so a renewal succeeds now.
    RENEWAL_NOTICE_BEFORE: '400 days',
    RENEWAL_EARLY_FROM: '380 days',
    // X4 counts per reseller and day; A asks more than 5 times here.
    RESELLER_CHANGE_DAILY_LIMIT: 50,
  });
  const ownerA = await newReseller(stack.sql);
  const operators = await operatorsTenant(stack);
  // Before anything else sends mail, so the one refused connection is each incident's own.
  const incidents = { retry: await incidentOf(stack, ownerA, smtp), skip: await incidentOf(stack, ownerA, smtp) };
  const [A, B] = await Promise.all([buildTenant(stack, 'A', ownerA), buildTenant(stack, 'B')]);
  Object.assign(w, { A, B, operators, incidents, fresh: freshOf(stack, A) });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await smtp?.close();
});

function rightUser(row: Row): User {
  const permission = permissionOf(row);
  if (permission === 'support') return w.operators;
  return w.A.users[permission ?? 'none'];
}

async function run(op: Operation, row: Row, { kind, index }: Case): Promise<void> {
  const { A, B } = w;
  switch (kind) {
    case 'no key':
    case 'revoked key': {
      const answer = await send(op, kind === 'no key' ? null : A.revokedKey, row.call(A, w));
      expectAnswer(answer, 401, 'unauthenticated');
      expect(leaks(answer, A, B)).toEqual([]);
      return;
    }
    case 'lacking': {
      const answer = await send(op, A.lacking[permissionOf(row) as Permission].apiKey, row.call(A, w));
      expectAnswer(answer, 403, 'forbidden');
      expect(leaks(answer, A, B)).toEqual([]);
      return;
    }
    case 'foreign': {
      const foreign = row.foreign && !('skip' in row.foreign) ? row.foreign : null;
      const answer = await send(op, rightUser(row).apiKey, foreign ? foreign.call(B, w) : row.call(B, w));
      if (foreign) expectAnswer(answer, foreign.status);
      else expectAnswer(answer, 404, 'not_found');
      expect(leaks(answer, B)).toEqual([]);
      return;
    }
    case 'more': {
      const more = row.more?.[index ?? 0];
      if (!more) throw new Error(`${op.key}: no more[${index}]`);
      const answer = await send(op, rightUser(row).apiKey, more.call(w));
      expectAnswer(answer, more.status, more.code);
      expect(leaks(answer, B)).toEqual([]);
      return;
    }
    case 'right': {
      const answer = await send(op, rightUser(row).apiKey, row.right ? await row.right(w) : row.call(A, w));
      if (row.refused) expectAnswer(answer, row.refused.status, row.refused.code);
      else expectAnswer(answer, op.success.includes(answer.status) ? answer.status : (op.success[0] ?? 200));
      expect(leaks(answer, B)).toEqual([]);
      if (row.shows) expect(answer.text).toContain(row.shows(A));
      return;
    }
  }
}

describe('the tenant matrix (T1, T2): every /v1 operation of the OpenAPI document', () => {
  it(`T1 T2: every operation has a row, every row an operation, with the document's permission (${OPERATIONS.length} operations, ${CASE_COUNT} cases)`, async () => {
    const served = operationsOf((await request(stack.app).get('/openapi.json')).body).filter((op) =>
      op.path.startsWith('/v1/'),
    );
    expect(served.map((op) => op.key)).toEqual(OPERATIONS.map((op) => op.key));
    const documented = Object.fromEntries(OPERATIONS.map((op) => [op.key, op.permission]));
    const tabled = Object.fromEntries(Object.entries(TABLE).map(([key, row]) => [key, permissionOf(row)]));
    expect(tabled).toEqual(documented);
    // Every /v1 operation asks for an API key (T1).
    expect(OPERATIONS.filter((op) => !op.secured).map((op) => op.key)).toEqual([]);
  });

  describe.each(OPERATIONS.map((op) => [op.key, op] as const))('%s', (_key, op) => {
    const row = TABLE[op.key];
    if (!row) {
      it('has a row in the matrix table', () => {
        throw new Error(`${op.key} is in the OpenAPI document but not in TABLE (test/tenant-matrix.api.test.ts)`);
      });
      return;
    }
    it.each(casesOf(op, row))('$name', async (c) => run(op, row, c));
  });
});
