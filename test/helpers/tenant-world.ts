// The fixture world of the tenant matrix (T1, T2): two resellers, each with a user per permission, a user lacking
// each, a revoked key and one of every resource the /v1 operations name; an operators' tenant for support (T4);
// and fresh resources of A's for the calls that change what they act on. Built once, through the API where it can be.
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import pino from 'pino';
import { RESOURCES } from '../../api/app';
import { createApi, openApiDocument } from '../../api/http/define-route';
import { loadConfig } from '../../config';
import type { Sql } from '../../db';
import { issueApiKey, type Permission, revokeApiKey } from '../../db/api-keys';
import { incidentQuery, invitationWorkflowId } from '../../workflows/definitions';
import { customerBody, newReseller, type Reseller, uniqueEmail } from './fixtures';
import { addResellerUser } from './ownership';
import { signedIn, type Stack } from './stack';

// --- The OpenAPI document, at collection time --------------------------------------------------------
export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface Operation {
  /** `METHOD /path`, as the matrix table keys it. */
  key: string;
  method: Method;
  path: string;
  /** T2: the document's `x-permission`. */
  permission: Permission | null;
  /** Whether the document asks for credentials (then no key and a revoked key are 401). */
  secured: boolean;
  /** The 2xx statuses the document declares. */
  success: number[];
}

type OperationDoc = { security?: unknown[]; 'x-permission'?: Permission; responses: Record<string, unknown> };

/**
 * The API's /v1 operations as its OpenAPI document lists them, built from the same route declarations as the app
 * (no server needed), so jest can name a test per operation before any hook runs.
 */
export function v1Operations(): Operation[] {
  const api = createApi();
  // Declaring routes touches no dependency: each is used only when a request comes.
  const deps = { sql: {} as Sql, temporal: {} as Client, config: loadConfig(), logger: pino({ level: 'silent' }) };
  for (const resource of RESOURCES) resource(api, deps);
  const doc = openApiDocument(api) as { paths: Record<string, Record<string, OperationDoc>> };
  return operationsOf(doc).filter((op) => op.path.startsWith('/v1/'));
}

export function operationsOf(doc: { paths: Record<string, Record<string, OperationDoc>> }): Operation[] {
  return Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({
      key: `${method.toUpperCase()} ${path}`,
      method: method as Method,
      path,
      permission: op['x-permission'] ?? null,
      secured: (op.security ?? []).length > 0,
      success: Object.keys(op.responses)
        .map(Number)
        .filter((s) => s >= 200 && s < 300),
    })),
  );
}

// --- Tenants -----------------------------------------------------------------------------------------
export interface User {
  userId: string;
  email: string;
  apiKey: string;
}

export interface Tenant {
  label: 'A' | 'B';
  resellerId: string;
  /** The license owner: order, billing and admin. */
  owner: User;
  /** A user holding exactly one permission, and one holding none. */
  users: Record<'order' | 'billing' | 'admin' | 'none', User>;
  /** T2: a user holding every reseller permission but this one (for `support`, every reseller permission). */
  lacking: Record<Permission, User>;
  /** The owner's second key, revoked before it was ever used (so no key cache holds it). */
  revokedKey: string;
  customer: { id: string; vipId: string; email: string; organizationName: string };
  /** X1: the customer's second system admin. */
  customerAdmin: { id: string; email: string };
  /** An active SaaS order, billed by cycle, with its first invoice. */
  order: { id: string; serialNumber: string };
  invoice: { id: string; number: string };
  trial: { id: string; serialNumber: string };
  pa: { id: string };
  subscription: { id: string; companyName: string };
  resellerChange: { id: string };
  /** T2: an API key of the `billing` user's, issued by the owner through the API. */
  key: { userId: string; keyId: string };
  /** R5: a 3-year commitment requested for a customer with VIP Select (12 licenses under a PA). */
  commitment: { customerId: string; id: string };
  /** Issue 12: a webhook endpoint nobody answers at, and its first (pending, retrying) delivery. */
  webhook: { endpointId: string; deliveryId: string; eventId: string };
  /** Every string that identifies this tenant's data: ids, names, emails, numbers. None may reach another tenant. */
  marks: string[];
}

async function userWithKey(sql: Sql, resellerId: string, permissions: Permission[]): Promise<User> {
  const user = await addResellerUser(sql, resellerId, permissions);
  return { ...user, apiKey: await issueApiKey(sql, user.userId) };
}

/** R5: 12 licenses of a product in the catalog, priced from the EUR list. */
export const COMMITMENT_BODY = { product: 'Creative Cloud All Apps', priceList: 'EUR', quantity: 12 };

/** Where the tenants' webhook endpoints point: the discard port, where nothing answers. */
const UNANSWERED_URL = 'http://127.0.0.1:9/engine-events';

/** A VIP id no customer has, and an address nobody reads: a reseller change request that matches nothing. */
export const unknownPair = () => ({
  vipId: `VIP9${String(Math.floor(Math.random() * 1e9)).padStart(9, '0')}`,
  adminEmail: uniqueEmail('nobody'),
});

export const orderBody = (customerId: string, kind: 'order' | 'trial' = 'order') => ({
  kind,
  customerId,
  priceList: 'EUR',
  drivers: ['hp-latex-800'],
  subscriptionType: 'saas-monthly',
  plan: 'production',
});

export const paBody = (customerId: string, quantity = 4) => ({
  customerId,
  product: 'Creative Cloud All Apps',
  quantity,
});

export const subscriptionBody = (customerId: string, companyName = 'Signatures') => ({
  product: 'signatures-microsoft-365',
  companyName,
  users: 25,
  customerCanEditSignatures: false,
  customerId,
});

/** A customer whose names and contact are this tenant's own, so the leak check can tell them apart. */
const tenantCustomer = (tag: string) =>
  customerBody({
    organizationName: `Org ${tag}`,
    organizationNameAscii: `Org ${tag}`,
    contact: { firstName: `First${tag}`, lastName: `Last${tag}`, email: uniqueEmail(tag.toLowerCase()) },
  });

async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

function expectStatus(res: { status: number; body: unknown }, status: number, what: string): void {
  if (res.status !== status)
    throw new Error(`${what}: expected ${status}, got ${res.status} ${JSON.stringify(res.body)}`);
}

/** Creates, as `owner`, a customer through the API (C1); accepted as if its contact had accepted, when asked. */
async function createCustomer(stack: Stack, owner: User, tag: string, accepted: boolean) {
  const body = tenantCustomer(tag);
  const res = await signedIn(stack.app, owner.apiKey).post('/v1/customers').send(body);
  expectStatus(res, 201, 'create a customer');
  const id = res.body.id as string;
  if (accepted)
    await stack.sql`UPDATE customers SET invitation_status = 'accepted', accepted_at = now() WHERE id = ${id}`;
  return { id, vipId: res.body.vipId as string, email: body.contact.email, organizationName: body.organizationName };
}

/** An order through the API; `active` as if the customer had activated its license (an OEM step, O7). */
async function createOrder(stack: Stack, owner: User, customerId: string, kind: 'order' | 'trial', active = false) {
  const res = await signedIn(stack.app, owner.apiKey).post('/v1/orders').send(orderBody(customerId, kind));
  expectStatus(res, 201, `create an ${kind}`);
  const id = res.body.id as string;
  if (active) {
    await stack.sql`UPDATE licenses SET status = 'active', activated_at = now() WHERE order_id = ${id}`;
    await stack.sql`UPDATE orders SET status = 'active' WHERE id = ${id}`;
  }
  return { id, serialNumber: res.body.serialNumber as string };
}

/** Builds one tenant: its users and keys, then one of each resource, through the API as its owner. */
export async function buildTenant(stack: Stack, label: 'A' | 'B', reseller?: Reseller): Promise<Tenant> {
  const { sql } = stack;
  const tag = `${label}${randomUUID().slice(0, 8)}`;
  const { resellerId, ...owner } = reseller ?? (await newReseller(sql));
  const [order, billing, admin, none, lackingOrder, lackingBilling, lackingAdmin] = await Promise.all(
    [['order'], ['billing'], ['admin'], [], ['billing', 'admin'], ['order', 'admin'], ['order', 'billing']].map((p) =>
      userWithKey(sql, resellerId, p as Permission[]),
    ),
  );
  const revokedKey = await issueApiKey(sql, owner.userId);
  await revokeApiKey(sql, revokedKey);

  const as = signedIn(stack.app, owner.apiKey);
  // First, so that what follows is delivered to it (or rather tried: nothing listens there).
  const endpoint = await as.post('/v1/webhook-endpoints').send({ url: UNANSWERED_URL });
  expectStatus(endpoint, 201, 'add a webhook endpoint');
  const customer = await createCustomer(stack, owner, tag, true);
  const customerAdmin = await as
    .post(`/v1/customers/${customer.id}/admins`)
    .send({ email: `admin2-${tag}@customer.test`, firstName: `Admin${tag}`, lastName: `Second${tag}` });
  expectStatus(customerAdmin, 201, 'add a customer admin');
  const billedOrder = await createOrder(stack, owner, customer.id, 'order', true);
  expectStatus(await as.post('/v1/billing/subscriptions').send({ orderId: billedOrder.id }), 201, 'start billing');
  const invoices = await as.get(`/v1/invoices?orderId=${billedOrder.id}`);
  const invoice = { id: invoices.body.data[0].id as string, number: invoices.body.data[0].number as string };
  const trial = await createOrder(stack, owner, customer.id, 'trial');
  const pa = await as.post('/v1/purchase-authorizations').send(paBody(customer.id));
  expectStatus(pa, 201, 'create a purchase authorization');
  const companyName = `Signatures ${tag}`;
  const subscription = await as.post('/v1/subscriptions').send(subscriptionBody(customer.id, companyName));
  expectStatus(subscription, 201, 'create a subscription');
  const change = await as.post('/v1/reseller-changes').send(unknownPair());
  expectStatus(change, 202, 'ask for a reseller change');
  const key = await as.post(`/v1/users/${(billing as User).userId}/api-keys`).send({ name: `Key ${tag}` });
  expectStatus(key, 201, 'issue an API key');
  const committing = await createCustomer(stack, owner, `${tag}c`, true);
  expectStatus(await as.post('/v1/purchase-authorizations').send(paBody(committing.id, 12)), 201, 'a PA of 12');
  const commitment = await as.post(`/v1/renewals/${committing.id}/three-year-commitment`).send(COMMITMENT_BODY);
  expectStatus(commitment, 201, 'request a 3-year commitment');
  const deliveries = await as.get(`/v1/webhook-endpoints/${endpoint.body.id}/deliveries?limit=200`);
  expectStatus(deliveries, 200, 'list webhook deliveries');
  const delivery = deliveries.body.data.at(-1) as { id: string; eventId: string };
  const [{ name } = { name: resellerId }] = await sql<{ name: string }[]>`
    SELECT name FROM resellers WHERE id = ${resellerId}`;

  const users = { order, billing, admin, none } as Record<'order' | 'billing' | 'admin' | 'none', User>;
  const allUsers = [owner, ...Object.values(users), lackingOrder, lackingBilling, lackingAdmin] as User[];
  return {
    label,
    resellerId,
    owner,
    users,
    lacking: {
      order: lackingOrder as User,
      billing: lackingBilling as User,
      admin: lackingAdmin as User,
      support: owner,
    },
    revokedKey,
    customer,
    customerAdmin: { id: customerAdmin.body.id as string, email: customerAdmin.body.email as string },
    order: billedOrder,
    invoice,
    trial,
    pa: { id: pa.body.id as string },
    key: { userId: (billing as User).userId, keyId: key.body.id as string },
    commitment: { customerId: committing.id, id: commitment.body.id as string },
    webhook: { endpointId: endpoint.body.id as string, deliveryId: delivery.id, eventId: delivery.eventId },
    subscription: { id: subscription.body.id as string, companyName },
    resellerChange: { id: change.body.id as string },
    marks: [
      resellerId,
      name,
      ...allUsers.flatMap((u) => [u.userId, u.email]),
      customer.id,
      customer.vipId,
      customer.email,
      customer.organizationName,
      customerAdmin.body.id as string,
      customerAdmin.body.email as string,
      `Admin${tag}`,
      `First${tag}`,
      `Last${tag}`,
      billedOrder.id,
      billedOrder.serialNumber,
      invoice.id,
      invoice.number,
      trial.id,
      trial.serialNumber,
      pa.body.id as string,
      subscription.body.id as string,
      companyName,
      change.body.id as string,
      key.body.id as string,
      endpoint.body.id as string,
      delivery.eventId,
      committing.id,
      commitment.body.id as string,
    ],
  };
}

// --- Support (T4) ------------------------------------------------------------------------------------
/**
 * A customer of `owner` whose invitation email the SMTP front door refuses for good: its lifecycle waits for
 * support. Made before anything else sends mail, so the one refused connection is this email's.
 */
export async function incidentOf(
  stack: Stack,
  owner: User,
  smtp: { refuseNext: (n: number) => void },
): Promise<string> {
  smtp.refuseNext(1);
  const { id } = await createCustomer(stack, owner, `I${randomUUID().slice(0, 8)}`, false);
  const workflowId = invitationWorkflowId(id);
  await until(`an incident on ${workflowId}`, () =>
    stack.temporal.workflow
      .getHandle(workflowId)
      .query(incidentQuery)
      .catch(() => null),
  );
  return workflowId;
}

export async function operatorsTenant(stack: Stack): Promise<User> {
  const support = await newReseller(stack.sql, ['support']);
  return { userId: support.userId, email: support.email, apiKey: support.apiKey };
}

// --- Fresh resources of A's ----------------------------------------------------------------------------
const codeIn = (text: string) => text.match(/\b([0-9A-Z]{5}-[0-9A-Z]{5})\b/)?.[1];

/** Resources of `t` made for one call that changes them, so the order the cases run in does not matter. */
export function freshOf(stack: Stack, t: Tenant) {
  const as = () => signedIn(stack.app, t.owner.apiKey);
  const tag = () => `${t.label}${randomUUID().slice(0, 8)}`;
  const fresh = {
    /** A customer with a pending invitation, or accepted. */
    customer: async (accepted = false) => (await createCustomer(stack, t.owner, tag(), accepted)).id,
    /** A customer with a purchase authorization of `quantity`: its anniversary set and its renewal run started (C5). */
    customerWithPa: async (quantity: number) => {
      const customerId = await fresh.customer(true);
      await fresh.pa(customerId, quantity);
      return customerId;
    },
    /** X1: a second system admin of the tenant's customer. */
    customerAdmin: async () => {
      const res = await as()
        .post(`/v1/customers/${t.customer.id}/admins`)
        .send({ email: `admin-${tag()}@customer.test`, firstName: 'Fresh', lastName: 'Admin' });
      expectStatus(res, 201, 'add a customer admin');
      return res.body.id as string;
    },
    order: async (kind: 'order' | 'trial' = 'order', active = false) =>
      (await createOrder(stack, t.owner, t.customer.id, kind, active)).id,
    /** An order billed by cycle, after `then` (suspend, stop) when given. */
    billing: async (then?: 'suspend' | 'stop') => {
      const orderId = await fresh.order('order', true);
      expectStatus(await as().post('/v1/billing/subscriptions').send({ orderId }), 201, 'start billing');
      if (then) expectStatus(await as().post(`/v1/billing/subscriptions/${orderId}/${then}`).send({}), 200, then);
      return orderId;
    },
    /** A pending purchase authorization, ordered under when asked. */
    pa: async (customerId = t.customer.id, quantity = 4, ordered = false) => {
      const res = await as().post('/v1/purchase-authorizations').send(paBody(customerId, quantity));
      expectStatus(res, 201, 'create a purchase authorization');
      const id = res.body.id as string;
      if (ordered) expectStatus(await as().post(`/v1/purchase-authorizations/${id}/order`).send({}), 200, 'order');
      return id;
    },
    subscription: async () => {
      const res = await as()
        .post('/v1/subscriptions')
        .send(subscriptionBody(t.customer.id, `Signatures ${tag()}`));
      expectStatus(res, 201, 'create a subscription');
      return res.body.id as string;
    },
    /** R5: a customer with VIP Select and a requested 3-year commitment, to accept or cancel. */
    commitment: async () => {
      const customerId = await fresh.customerWithPa(12);
      const res = await as().post(`/v1/renewals/${customerId}/three-year-commitment`).send(COMMITMENT_BODY);
      expectStatus(res, 201, 'request a 3-year commitment');
      return customerId;
    },
    /** Issue 12: a webhook endpoint, to delete. */
    webhookEndpoint: async () => {
      const res = await as().post('/v1/webhook-endpoints').send({ url: UNANSWERED_URL });
      expectStatus(res, 201, 'add a webhook endpoint');
      return res.body.id as string;
    },
    /** T2: a user of `permissions`, to change or deactivate. */
    user: async (permissions: Permission[] = ['order']) =>
      (await addResellerUser(stack.sql, t.resellerId, permissions)).userId,
    /** T2: an API key of a new user's, issued through the API, to revoke. */
    apiKey: async () => {
      const userId = await fresh.user();
      const res = await as()
        .post(`/v1/users/${userId}/api-keys`)
        .send({ name: `Key ${tag()}` });
      expectStatus(res, 201, 'issue an API key');
      return { id: userId, keyId: res.body.id as string };
    },
    /** X3: a request locked by wrong codes, so a new code may be sent. */
    lockedResellerChange: async () => {
      const asked = await as().post('/v1/reseller-changes').send(unknownPair());
      expectStatus(asked, 202, 'ask for a reseller change');
      const id = asked.body.id as string;
      await until('the request locked', async () => {
        const res = await as().post(`/v1/reseller-changes/${id}/redeem`).send({ code: 'ZZZZZ-ZZZZZ' });
        return res.status === 409 && /locked/i.test(res.body.error?.message ?? '');
      });
      return id;
    },
    /** X1: a pending request for a third reseller's customer, and the code its admin received. */
    redeemable: async () => {
      const third = await newReseller(stack.sql);
      const customer = await createCustomer(stack, third, tag(), true);
      const asked = await as().post('/v1/reseller-changes').send({ vipId: customer.vipId, adminEmail: customer.email });
      expectStatus(asked, 202, 'ask for a reseller change');
      const code = await until('the reseller change code', async () =>
        codeIn(
          (await stack.mailbox.to(customer.email)).find((m) => /reseller change code/i.test(m.subject))?.text ?? '',
        ),
      );
      return { id: asked.body.id as string, code };
    },
  };
  return fresh;
}

export type Fresh = ReturnType<typeof freshOf>;
