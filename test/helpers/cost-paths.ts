// The six lifecycle paths whose Temporal cost is budgeted (issue 9, goal 4), each driven the way the API and the
// customer drive it, on the time-skipping server with the real activities; shared by
// test/history-cost.workflow.test.ts and bench/history-cost.ts. Lifecycles are started as the API starts them
// (api/http/lifecycles.ts: memo, search attributes, its first answer), so a change there moves these counts too.
// Each path's budget and hand-counted minimum sit at the top of its lifecycle's workflow file.
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { codeHash } from '../../activities/reseller-change';
import { invitationStart } from '../../api/customers/lifecycle';
import { ensureLifecycle, type LifecycleStart, startLifecycle } from '../../api/http/lifecycles';
import type { Mailer } from '../../activities/mailer';
import type { Config } from '../../config';
import { purchaseAuthorizationTerms, trialTerms } from '../../config/terms';
import type { Sql } from '../../db';
import { reserveResellerChange } from '../../db/reseller-changes';
import { durationMs } from '../../workflows/duration';
import { HISTORY_BUDGET as BILLING } from '../../workflows/billing';
import {
  acceptInvitationUpdate,
  activateLicenseUpdate,
  type BillingInput,
  billingStartedUpdate,
  billingStatusQuery,
  billingWorkflowId,
  convertTrialUpdate,
  type InvitationInput,
  orderWorkflowId,
  type PurchaseAuthorizationInput,
  purchaseAuthorizationWorkflowId,
  recordPaymentUpdate,
  redeemCodeUpdate,
  type ResellerChangeInput,
  resellerChangeWorkflowId,
} from '../../workflows/definitions';
import { HISTORY_BUDGET as INVITATION } from '../../workflows/invitation';
import { HISTORY_BUDGET as ORDER } from '../../workflows/order';
import { HISTORY_BUDGET as PA } from '../../workflows/purchase-authorization';
import { HISTORY_BUDGET as RESELLER_CHANGE } from '../../workflows/reseller-change';
import { HISTORY_BUDGET as TRIAL } from '../../workflows/trial';
import { activeOrder, customerDetails, newReseller, orderInput, registeredCustomer, yearAfter } from './fixtures';
import { type HistoryCost, type RunCost, runCosts, settledHistory, sumCosts } from './history-cost';
import { linkIn, type Mailbox, tokenHashOf } from './mailbox';
import type { timeSkippingSuite } from './temporal';

/** Events and actions: a budget, or the minimum counted by hand. */
export interface Cost {
  events: number;
  actions: number;
}

/** What a path needs of its surroundings: the time-skipping server, a worker's queue, the database, the inbox. */
export interface CostRig {
  client: Client;
  taskQueue: string;
  config: Config;
  sql: Sql;
  mailbox: Mailbox;
  mailer: Mailer;
  sleep(ms: number): Promise<void>;
  now(): Promise<number>;
}

/** The rig of a test file's time-skipping suite (test/helpers/temporal.ts timeSkippingSuite), once it is ready. */
export const rigOf = (suite: ReturnType<typeof timeSkippingSuite>): CostRig => ({
  client: suite.env().client,
  taskQueue: suite.taskQueue(),
  config: suite.config,
  sql: suite.sql,
  mailbox: suite.mailbox,
  mailer: suite.mailer,
  sleep: (ms) => suite.env().sleep(ms),
  now: () => suite.env().currentTimeMs(),
});

export interface PathCost {
  /** The lifecycle's own runs: what the budget is about. */
  runs: RunCost[];
  own: HistoryCost;
  /** The lifecycles it started (renewal, billing), as they stand once it is done: their own paths, shown apart. */
  children: RunCost[];
}

export interface CostPath {
  /** The figure's name: cost.<id>.events. */
  id: string;
  rules: string;
  title: string;
  /** Its lifecycle's file, where the budget and the count by hand are. */
  file: string;
  budget: Cost;
  minimum: Cost;
  run(rig: CostRig): Promise<PathCost>;
}

const actor = (userId: string) => `user:${userId}`;

/**
 * Starts a lifecycle as the API does, on the rig's queue: a plain start, as createLifecycle makes it (the run's first
 * step stores its row), or update-with-start waiting for its first answer (billing).
 */
export async function startAsApi(rig: CostRig, start: LifecycleStart, firstAnswer?: UpdateDefinition<unknown, []>) {
  const config = { ...rig.config, TEMPORAL_TASK_QUEUE: rig.taskQueue };
  if (firstAnswer) await startLifecycle(rig.client, config, start, firstAnswer);
  else await ensureLifecycle(rig.client, config, start);
  return rig.client.workflow.getHandle(start.workflowId);
}

/**
 * People act later than the workflow's next step: each path lets the run settle before the next human step, so the
 * counts do not depend on whether a step raced the worker (an update folded into a busy workflow task saves events).
 */
export const settled = async (rig: CostRig, workflowId: string) => {
  await settledHistory(rig.client, workflowId);
};

/** The lifecycle's runs and the children they started, once each has settled. */
async function measure(rig: CostRig, workflowId: string, only?: (runs: RunCost[]) => RunCost[]): Promise<PathCost> {
  const handle = rig.client.workflow.getHandle(workflowId);
  const [first] = (await handle.fetchHistory()).events ?? [];
  const firstRunId =
    first?.workflowExecutionStartedEventAttributes?.firstExecutionRunId || (await handle.describe()).runId;
  const all = await runCosts(rig.client, workflowId, firstRunId);
  const runs = only ? only(all) : all;
  const children: RunCost[] = [];
  for (const child of runs.flatMap((r) => r.children))
    children.push(...(await runCosts(rig.client, child.workflowId, child.runId)));
  return { runs, own: sumCosts(runs), children };
}

/** A customer whose anniversary (C5) is a year out on the server's clock, which runs ahead of the database's. */
export const customerOf = async (rig: CostRig) =>
  registeredCustomer(rig.sql, { customer: { anniversaryDate: yearAfter(await rig.now()) } });

/** The activation link's token hash, as the customer's page computes it (O4). */
async function activationHash(rig: CostRig, to: string): Promise<string> {
  const mails = await rig.mailbox.waitFor(to, 1);
  const mail = mails.find((m) => m.text.includes('/licenses/activate'));
  if (!mail) throw new Error(`no activation email to ${to}`);
  return tokenHashOf(linkIn(mail));
}

/** C2: invited through the API, accepted by the contact through the emailed link before any reminder. */
async function invitationAccepted(rig: CostRig): Promise<PathCost> {
  const reseller = await newReseller(rig.sql);
  const input: InvitationInput = {
    customerId: randomUUID(),
    resellerId: reseller.resellerId,
    invitedBy: reseller.userId,
    customer: customerDetails(),
    reminderSchedule: rig.config.INVITATION_REMINDERS,
  };
  const handle = await startAsApi(rig, invitationStart(input));
  const [mail] = await rig.mailbox.waitFor(input.customer.contact.email, 1);
  await settled(rig, handle.workflowId);
  await handle.executeUpdate(acceptInvitationUpdate, { args: [{ tokenHash: tokenHashOf(linkIn(mail!)) }] });
  await handle.result();
  return measure(rig, handle.workflowId);
}

/** O1 O4 O7: a monthly SaaS order placed through the API, activated by the customer; its billing starts. */
async function orderActivated(rig: CostRig): Promise<PathCost> {
  const c = await customerOf(rig);
  const input = orderInput(c, 'order');
  const handle = await startAsApi(rig, {
    workflowType: 'orderWorkflow',
    workflowId: orderWorkflowId('order', input.orderId),
    args: [input],
    lifecycle: 'order',
    resellerId: c.reseller.resellerId,
    customerId: c.customerId,
  });
  const tokenHash = await activationHash(rig, c.email);
  await settled(rig, handle.workflowId);
  await handle.executeUpdate(activateLicenseUpdate, { args: [{ tokenHash }] });
  return measure(rig, handle.workflowId);
}

/** O2 O6: a trial placed through the API, activated by the customer, then converted ("+"); its billing starts. */
async function trialConverted(rig: CostRig): Promise<PathCost> {
  const c = await customerOf(rig);
  const input = orderInput(c, 'trial');
  const handle = await startAsApi(rig, {
    workflowType: 'trialWorkflow',
    workflowId: orderWorkflowId('trial', input.orderId),
    args: [input, trialTerms(rig.config)],
    lifecycle: 'trial',
    resellerId: c.reseller.resellerId,
    customerId: c.customerId,
  });
  const tokenHash = await activationHash(rig, c.email);
  await settled(rig, handle.workflowId);
  await handle.executeUpdate(activateLicenseUpdate, { args: [{ tokenHash }] });
  await settled(rig, handle.workflowId);
  await handle.executeUpdate(convertTrialUpdate, { args: [{ actor: actor(c.reseller.userId) }] });
  return measure(rig, handle.workflowId);
}

/** P1 P2: a PA created through the API, paid before any warning; the run ends after the return window (P4). */
async function paPaid(rig: CostRig): Promise<PathCost> {
  const c = await customerOf(rig);
  const input: PurchaseAuthorizationInput = {
    paId: randomUUID(),
    resellerId: c.reseller.resellerId,
    customerId: c.customerId,
    createdBy: c.reseller.userId,
    product: 'Creative Cloud All Apps',
    quantity: 5,
    extendedTermMonths: null,
    terms: purchaseAuthorizationTerms(rig.config),
  };
  const handle = await startAsApi(rig, {
    workflowType: 'purchaseAuthorizationWorkflow',
    workflowId: purchaseAuthorizationWorkflowId(input.paId),
    args: [input],
    lifecycle: 'purchase-authorization',
    resellerId: c.reseller.resellerId,
    customerId: c.customerId,
  });
  await settled(rig, handle.workflowId);
  const payment = { paymentId: randomUUID(), source: 'recorded' as const, providerEventId: null, amountMinor: 100 };
  await handle.executeUpdate(recordPaymentUpdate, {
    args: [
      { actor: actor(c.reseller.userId), payment: { ...payment, currency: 'EUR', reference: `cost-${input.paId}` } },
    ],
  });
  await rig.sleep(durationMs(input.terms.returnWindow) + 86_400_000);
  await handle.result();
  return measure(rig, handle.workflowId);
}

/**
 * S1 B1: a monthly SaaS order's billing started through the API, run until its `nth` cycle (1: the run the API
 * started; 2: a run continued as new, as every later cycle is) has ended in continue-as-new.
 */
async function billingCycle(rig: CostRig, nth: 1 | 2): Promise<PathCost> {
  const o = await activeOrder(
    { sql: rig.sql, config: rig.config, mailer: rig.mailer },
    { subscriptionType: 'saas-monthly' },
  );
  const input: BillingInput = {
    orderId: o.orderId,
    resellerId: o.reseller.resellerId,
    customerId: o.customerId,
    cycle: 'monthly',
    cycleMonths: rig.config.BILLING_MONTHLY_CYCLE_MONTHS,
    paymentTerms: rig.config.INVOICE_PAYMENT_TERMS,
    startedBy: o.reseller.userId,
  };
  const handle = await startAsApi(
    rig,
    {
      workflowType: 'billingWorkflow',
      workflowId: billingWorkflowId(o.orderId),
      args: [input],
      lifecycle: 'billing',
      resellerId: o.reseller.resellerId,
      customerId: o.customerId,
    },
    billingStartedUpdate,
  );
  const started = await handle.query(billingStatusQuery);
  const end = new Date(started.currentPeriodEnd!);
  end.setUTCMonth(end.getUTCMonth() + nth - 1);
  // Into the cycle after the nth: its run has continued as new.
  await rig.sleep(end.getTime() - (await rig.now()) + 86_400_000);
  for (let i = 0; ; i++) {
    const [row] = await rig.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM invoices WHERE order_id = ${o.orderId}`;
    if ((row?.n ?? 0) > nth) break;
    if (i > 150) throw new Error(`cycle ${nth + 1} never opened`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return measure(rig, handle.workflowId, (runs) => runs.slice(nth - 1, nth));
}

/** X1 X2: requested through the API, the code emailed to the admin and redeemed by the new reseller in time. */
async function resellerChangeRedeemed(rig: CostRig): Promise<PathCost> {
  const { vipId, email } = await registeredCustomer(rig.sql);
  const newR = await newReseller(rig.sql);
  const requestId = randomUUID();
  await reserveResellerChange(rig.sql, {
    id: requestId,
    resellerId: newR.resellerId,
    userId: newR.userId,
    vipId,
    adminEmail: email,
    ttlMs: durationMs(rig.config.RESELLER_CHANGE_CODE_TTL),
    limit: 1000,
  });
  const input: ResellerChangeInput = {
    requestId,
    newResellerId: newR.resellerId,
    requestedBy: newR.userId,
    vipId,
    adminEmail: email,
    codeTtl: rig.config.RESELLER_CHANGE_CODE_TTL,
    maxAttempts: rig.config.RESELLER_CHANGE_MAX_ATTEMPTS,
  };
  const handle = await startAsApi(rig, {
    workflowType: 'resellerChangeWorkflow',
    workflowId: resellerChangeWorkflowId(requestId),
    args: [input],
    lifecycle: 'reseller-change',
    resellerId: newR.resellerId,
  });
  const mails = await rig.mailbox.waitFor(email, 1);
  const code = mails.map((m) => m.text.match(/\b([0-9A-Z]{5}-[0-9A-Z]{5})\b/)?.[1]).find(Boolean);
  if (!code) throw new Error('no reseller change code in the email');
  await settled(rig, handle.workflowId);
  await handle.executeUpdate(redeemCodeUpdate, {
    args: [{ codeHash: codeHash(rig.config.TOKEN_SECRET, code), actor: actor(newR.userId) }],
  });
  await handle.result();
  return measure(rig, handle.workflowId);
}

/** The paths, in an order that keeps the server's clock near the database's for those that read dates from it. */
export const COST_PATHS: CostPath[] = [
  {
    id: 'invitation_accepted',
    rules: 'C2',
    title: 'invitation accepted',
    file: 'workflows/invitation.ts',
    ...INVITATION.accepted,
    run: invitationAccepted,
  },
  {
    id: 'order_activated',
    rules: 'O1 O4 O7',
    title: 'order activated',
    file: 'workflows/order.ts',
    ...ORDER.activated,
    run: orderActivated,
  },
  {
    id: 'trial_converted',
    rules: 'O2 O6',
    title: 'trial converted',
    file: 'workflows/trial.ts',
    ...TRIAL.converted,
    run: trialConverted,
  },
  {
    id: 'reseller_change_redeemed',
    rules: 'X1 X2',
    title: 'reseller change redeemed',
    file: 'workflows/reseller-change.ts',
    ...RESELLER_CHANGE.redeemed,
    run: resellerChangeRedeemed,
  },
  {
    id: 'pa_paid',
    rules: 'P1 P2',
    title: 'PA paid',
    file: 'workflows/purchase-authorization.ts',
    ...PA.paid,
    run: paPaid,
  },
  {
    id: 'billing_first_cycle',
    rules: 'S1 B1',
    title: 'one billing cycle, started through the API',
    file: 'workflows/billing.ts',
    ...BILLING.firstCycle,
    run: (rig) => billingCycle(rig, 1),
  },
  {
    id: 'billing_next_cycle',
    rules: 'S1 B1',
    title: 'one billing cycle, continued as new',
    file: 'workflows/billing.ts',
    ...BILLING.nextCycle,
    run: (rig) => billingCycle(rig, 2),
  },
];

/** One line per kind of action, e.g. "activities 3, timers 1, upserts 2, updates 2, starts 1". */
export function actionsByKind(cost: HistoryCost): string {
  return Object.entries(cost.byKind)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
}

/** Null when the path is within its budget; else by how much it is over, with the breakdown to recount by hand. */
export function overBudget(path: CostPath, cost: PathCost): string | null {
  const { events, actions } = cost.own;
  const over: string[] = [];
  if (events > path.budget.events) over.push(`${events} events > budget ${path.budget.events}`);
  if (actions > path.budget.actions) over.push(`${actions} actions > budget ${path.budget.actions}`);
  if (over.length === 0) return null;
  const breakdown = `${actionsByKind(cost.own)}; ${cost.own.workflowTasks} workflow tasks`;
  return `${path.title} (${path.file}): ${over.join('; ')} [${breakdown}]`;
}

/**
 * A measure below the count by hand means the lifecycle got cheaper (or the count is wrong): not a failure, but the
 * count and the budget in its file should come down with it. Null when the count still holds.
 */
export function belowCount(path: CostPath, cost: PathCost): string | null {
  const { events, actions } = cost.own;
  if (events >= path.minimum.events && actions >= path.minimum.actions) return null;
  const counted = `${path.minimum.events} events, ${path.minimum.actions} actions`;
  const measured = `${events} events, ${actions} actions`;
  return `${path.title}: ${measured}, below the count by hand (${counted}) in ${path.file}: recount, lower the budget`;
}
