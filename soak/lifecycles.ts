// The mix the soak drives through the HTTP API, as a portal and its customers' contacts would: each scenario
// invites a customer (accepted through the emailed link, or left pending) and takes it through one or more
// lifecycles to a chosen outcome. Every lifecycle records the outcome it was driven to; soak/check.ts checks it.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  billingWorkflowId,
  invitationWorkflowId,
  orderWorkflowId,
  purchaseAuthorizationWorkflowId,
  resellerChangeWorkflowId,
} from '../workflows/definitions';
import type { SoakApi } from './api';
import { type MailWatcher, tokenIn } from './mail';

export const KINDS = [
  'invitation.accepted',
  'invitation.pending',
  'trial.extended',
  'trial.converted',
  'order.activated',
  'order.deleted',
  'billing.suspended',
  'billing.stopped',
  'pa.paid_late',
  'pa.never_paid',
  'reseller_change.redeemed',
  'reseller_change.expired',
] as const;
export type Kind = (typeof KINDS)[number];

export interface Driven {
  kind: Kind;
  /** The business id (customer, order, PA, request); null when the create itself was refused. */
  id: string | null;
  workflowId: string | null;
  /** For a reseller change: the reseller the customer should end with. */
  resellerId?: string;
  /** The driver could not take the lifecycle where it meant to (an unexpected answer, an email that never came). */
  driverError?: string;
}

export interface Reseller {
  resellerId: string;
  apiKey: string;
}

export interface DriveContext {
  api: SoakApi;
  mail: MailWatcher;
  resellers: Reseller[];
  /** How long to wait for an email (longer than the mail catcher's outage and the email step's back-off). */
  emailWaitMs: number;
  /** How long to wait for a lifecycle to reach a state the driver acts on (a PA overdue, billing started). */
  stateWaitMs: number;
  record(d: Driven): void;
}

class DriveError extends Error {}

const fail = (what: string, a: { status: number; body: unknown }): never => {
  throw new DriveError(`${what}: ${a.status} ${JSON.stringify(a.body).slice(0, 200)}`);
};

/** The refusals that say "try again in a moment": another change in progress, a billing cycle still opening. */
const TRY_AGAIN = new Set(['lifecycle_busy', 'billing_not_started']);

/**
 * A change the portal makes to a lifecycle, tried again while the lifecycle answers "try again in a moment" (a
 * portal user clicking again); any other answer is returned.
 */
async function change(
  ctx: DriveContext,
  method: 'POST' | 'DELETE',
  path: string,
  opts: Parameters<SoakApi['call']>[2],
): Promise<Awaited<ReturnType<SoakApi['call']>>> {
  const deadline = Date.now() + ctx.stateWaitMs;
  for (;;) {
    const a = await ctx.api.call(method, path, opts);
    const code = (a.body as { error?: { code?: string } } | null)?.error?.code;
    if (a.status !== 409 || !code || !TRY_AGAIN.has(code) || Date.now() > deadline) return a;
    await sleep(2_000);
  }
}

async function poll<T>(ms: number, probe: () => Promise<T | null | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new DriveError(`timed out waiting for ${what}`);
    await sleep(2_000);
  }
}

interface Customer {
  customerId: string;
  vipId: string;
  email: string;
  reseller: Reseller;
}

/** C1/C2: POST /v1/customers; `accept`: the contact accepts through the newest link emailed to them. */
async function inviteCustomer(ctx: DriveContext, reseller: Reseller, accept: boolean): Promise<Customer | null> {
  const kind: Kind = accept ? 'invitation.accepted' : 'invitation.pending';
  const tag = randomUUID().slice(0, 8);
  const email = `soak-${tag}@customer.test`;
  const created = await ctx.api.call('POST', '/v1/customers', {
    key: reseller.apiKey,
    idempotencyKey: `soak-customer-${tag}`,
    json: {
      organizationName: `Soak ${tag} GmbH`,
      organizationNameAscii: `Soak ${tag} GmbH`,
      marketSegment: 'commercial',
      type: 'team',
      country: 'US',
      addressLine1: '1 Market Street',
      city: 'San Francisco',
      postalCode: '94105',
      contact: { firstName: 'Sam', lastName: 'Soak', email },
    },
  });
  if (created.status !== 201) {
    ctx.record({ kind, id: null, workflowId: null, driverError: `create: ${created.status}` });
    return null;
  }
  const customerId = created.body.id as string;
  const d: Driven = { kind, id: customerId, workflowId: invitationWorkflowId(customerId) };
  const customer = { customerId, vipId: created.body.vipId as string, email, reseller };
  try {
    if (accept) {
      for (let attempt = 1; ; attempt++) {
        const mail = await ctx.mail.waitFor(
          email,
          (m) => tokenIn(m.text, '/invitations/accept') !== null,
          ctx.emailWaitMs,
        );
        if (!mail) throw new DriveError('no invitation email arrived');
        const token = tokenIn(mail.text, '/invitations/accept')!;
        const a = await ctx.api.call('POST', '/invitations/accept', { form: { token, agree: 'yes' } });
        if (a.status === 200) break;
        // A reminder replaced the link meanwhile: the newest email carries the one that works.
        if (attempt >= 5) fail('accept', a);
        await sleep(3_000);
      }
    }
  } catch (err) {
    d.driverError = (err as Error).message;
  }
  ctx.record(d);
  return d.driverError ? null : customer;
}

type OrderKind =
  | 'trial.extended'
  | 'trial.converted'
  | 'order.activated'
  | 'order.deleted'
  | 'billing.suspended'
  | 'billing.stopped';

async function orderLifecycle(ctx: DriveContext, c: Customer, kind: OrderKind): Promise<void> {
  const isTrial = kind.startsWith('trial.');
  const saas = kind.startsWith('billing.');
  const po = `SOAK-${randomUUID().slice(0, 12)}`;
  const created = await ctx.api.call('POST', '/v1/orders', {
    key: c.reseller.apiKey,
    idempotencyKey: po,
    json: {
      kind: isTrial ? 'trial' : 'order',
      customerId: c.customerId,
      priceList: 'USD',
      poNumber: po,
      drivers: ['hp-latex-800', 'summa-s2'],
      subscriptionType: saas ? 'saas-monthly' : 'perpetual',
      plan: 'production',
    },
  });
  if (created.status !== 201) {
    ctx.record({ kind, id: null, workflowId: null, driverError: `create: ${created.status}` });
    return;
  }
  const orderId = created.body.id as string;
  const serial = created.body.serialNumber as string;
  const d: Driven = {
    kind,
    id: orderId,
    workflowId: saas ? billingWorkflowId(orderId) : orderWorkflowId(isTrial ? 'trial' : 'order', orderId),
  };
  const key = c.reseller.apiKey;
  try {
    if (kind === 'trial.extended' || kind === 'trial.converted') {
      const action = kind === 'trial.extended' ? 'extend' : 'convert';
      const a = await change(ctx, 'POST', `/v1/orders/${orderId}/${action}`, { key, json: {} });
      // Another 409 after a lost answer: the first call did it (the check decides).
      if (a.status !== 200 && a.status !== 409) fail(action, a);
    } else if (kind === 'order.deleted') {
      const a = await change(ctx, 'DELETE', `/v1/orders/${orderId}?confirm=true`, { key });
      if (a.status !== 204 && a.status !== 404 && a.status !== 410) fail('delete', a);
    } else {
      // O4/O7: the customer activates through the emailed link.
      const mail = await ctx.mail.waitFor(
        c.email,
        (m) => m.text.includes(serial) && tokenIn(m.text, '/licenses/activate') !== null,
        ctx.emailWaitMs,
      );
      if (!mail) throw new DriveError('no activation email arrived');
      // 409 is the page's "try again" (the run is busy with another change, e.g. its email step after a kill).
      for (let attempt = 1; ; attempt++) {
        const a = await ctx.api.call('POST', '/licenses/activate', {
          form: { token: tokenIn(mail.text, '/licenses/activate')! },
        });
        if (a.status === 200) break;
        if (a.status !== 409 || attempt >= 20) fail('activate', a);
        await sleep(3_000);
      }
      if (saas) {
        // The activated SaaS order starts its billing by itself; then suspend (S1) or stop (S2).
        await poll(
          ctx.stateWaitMs,
          async () => (await ctx.api.call('GET', `/v1/billing/subscriptions/${orderId}`, { key })).status === 200,
          'billing to start',
        );
        const action = kind === 'billing.suspended' ? 'suspend' : 'stop';
        const b = await change(ctx, 'POST', `/v1/billing/subscriptions/${orderId}/${action}`, { key, json: {} });
        if (b.status !== 200 && b.status !== 409) fail(action, b);
      }
    }
  } catch (err) {
    d.driverError = (err as Error).message;
  }
  ctx.record(d);
}

async function paLifecycle(ctx: DriveContext, c: Customer, kind: 'pa.paid_late' | 'pa.never_paid'): Promise<void> {
  const key = c.reseller.apiKey;
  const created = await ctx.api.call('POST', '/v1/purchase-authorizations', {
    key,
    idempotencyKey: `soak-pa-${c.customerId}`,
    json: { customerId: c.customerId, product: 'Creative Cloud All Apps', quantity: 5 },
  });
  if (created.status !== 201) {
    ctx.record({ kind, id: null, workflowId: null, driverError: `create: ${created.status}` });
    return;
  }
  const paId = created.body.id as string;
  const d: Driven = { kind, id: paId, workflowId: purchaseAuthorizationWorkflowId(paId) };
  try {
    if (kind === 'pa.paid_late') {
      // P2: paid once overdue; "payment at any point restores them", so also once deactivated: a warning email held
      // up by the mail catcher's outage can delay the overdue step past the soak's compressed deactivation.
      await poll(
        ctx.stateWaitMs,
        async () => {
          const status = (await ctx.api.call('GET', `/v1/purchase-authorizations/${paId}`, { key })).body.status;
          return status === 'overdue' || status === 'deactivated';
        },
        'the PA overdue',
      );
      const a = await ctx.api.call('POST', `/v1/purchase-authorizations/${paId}/payment`, {
        key,
        json: { amountMinor: 50_000, currency: 'EUR', reference: `soak-${paId}` },
      });
      if (a.status !== 200) fail('payment', a);
    }
  } catch (err) {
    d.driverError = (err as Error).message;
  }
  ctx.record(d);
}

async function resellerChange(
  ctx: DriveContext,
  c: Customer,
  to: Reseller,
  kind: 'reseller_change.redeemed' | 'reseller_change.expired',
): Promise<void> {
  const asked = await ctx.api.call('POST', '/v1/reseller-changes', {
    key: to.apiKey,
    idempotencyKey: `soak-rc-${c.customerId}`,
    json: { vipId: c.vipId, adminEmail: c.email },
  });
  if (asked.status !== 202) {
    ctx.record({ kind, id: null, workflowId: null, driverError: `request: ${asked.status}` });
    return;
  }
  const id = asked.body.id as string;
  const d: Driven = { kind, id, workflowId: resellerChangeWorkflowId(id), resellerId: to.resellerId };
  if (kind === 'reseller_change.expired') d.resellerId = c.reseller.resellerId;
  try {
    if (kind === 'reseller_change.redeemed') {
      const codeOf = (text: string) => /\b([0-9A-Z]{5}-[0-9A-Z]{5})\b/.exec(text)?.[1] ?? null;
      const mail = await ctx.mail.waitFor(c.email, (m) => /reseller change code/i.test(m.subject), ctx.emailWaitMs);
      const code = mail && codeOf(mail.text);
      if (!code) throw new DriveError('no reseller change code arrived');
      const a = await ctx.api.call('POST', `/v1/reseller-changes/${id}/redeem`, { key: to.apiKey, json: { code } });
      if (a.status !== 200 && a.status !== 409) fail('redeem', a);
    }
  } catch (err) {
    d.driverError = (err as Error).message;
  }
  ctx.record(d);
}

/** One scenario: its lifecycles counted as the soak goes. */
export type Scenario = { lifecycles: number; run: (ctx: DriveContext, n: number) => Promise<void> };

const ORDER_KINDS: OrderKind[] = [
  'trial.extended',
  'trial.converted',
  'order.activated',
  'order.deleted',
  'billing.suspended',
  'billing.stopped',
];

const resellerOf = (ctx: DriveContext, n: number) => ctx.resellers[n % ctx.resellers.length]!;

/** The scenarios in the order they repeat: 18 lifecycles per round, every kind in it. */
export const SCENARIOS: Scenario[] = [
  {
    // An accepted customer with three orders or trials, each to its own outcome.
    lifecycles: 4,
    run: async (ctx, n) => {
      const c = await inviteCustomer(ctx, resellerOf(ctx, n), true);
      if (!c) return;
      await Promise.all([0, 1, 2].map((i) => orderLifecycle(ctx, c, ORDER_KINDS[(n * 3 + i) % ORDER_KINDS.length]!)));
    },
  },
  { lifecycles: 1, run: async (ctx, n) => void (await inviteCustomer(ctx, resellerOf(ctx, n), false)) },
  {
    lifecycles: 2,
    run: async (ctx, n) => {
      const c = await inviteCustomer(ctx, resellerOf(ctx, n), true);
      if (c) await paLifecycle(ctx, c, n % 2 === 0 ? 'pa.paid_late' : 'pa.never_paid');
    },
  },
  {
    lifecycles: 2,
    run: async (ctx, n) => {
      const c = await inviteCustomer(ctx, resellerOf(ctx, n), true);
      if (c)
        await resellerChange(
          ctx,
          c,
          resellerOf(ctx, n + 1),
          n % 2 === 0 ? 'reseller_change.redeemed' : 'reseller_change.expired',
        );
    },
  },
];

/** The n-th scenario of the mix: orders, PA, pending, reseller change, ... so each kind starts all along the run. */
export function scenarioAt(n: number): Scenario {
  return SCENARIOS[[0, 2, 0, 1, 3, 0, 2, 1, 3][n % 9]!]!;
}
