import { Router, type Request } from 'express';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import type { Config } from '../../config';
import type { Sql } from '../../db';
import { priceOrder } from '../../db/catalog';
import { findCustomer } from '../../db/customers';
import { configureOrder } from '../../db/order-configuration';
import { auditTrail, findOrder, lifecycleKindOf, listOrders, orderLines, type OrderRow } from '../../db/orders';
import {
  convertTrialUpdate,
  deleteOrderUpdate,
  extendTrialUpdate,
  orderPlacedUpdate,
  orderWorkflowId,
  type OrderInput,
  type TrialTerms,
} from '../../workflows/definitions';
import { actorOf, principalOf, requirePermission } from '../auth';
import { HttpError, notFound, parse } from '../errors';
import { decodeCursor, pageOf } from '../cursor';
import { resourceIdFor } from '../idempotency';
import { runUpdate, startLifecycle } from '../lifecycles';

const code = (what: string) =>
  z
    .string()
    .trim()
    .min(1, 'is required')
    .max(60, 'must be at most 60 characters')
    .regex(/^[a-z0-9-]+$/, `must be a ${what} code from the catalog`);

/** O1/O2: the new-license form; "order now" or "get a trial". */
export const OrderCreateBody = z
  .object({
    kind: z.enum(['order', 'trial'], { error: 'must be "order" or "trial"' }),
    customerId: z.uuid('must be the id of one of your customers'),
    priceList: z
      .string()
      .trim()
      .toUpperCase()
      .regex(/^[A-Z]{3}$/, 'must be a currency code such as EUR'),
    poNumber: z.string().trim().min(1).max(50, 'must be at most 50 characters').optional(),
    promoCode: z.string().trim().toUpperCase().min(1).max(40, 'must be at most 40 characters').optional(),
    drivers: z
      .array(code('driver'), { error: 'must be a list of driver codes' })
      .min(1, 'choose at least one printer or cutter')
      .max(20, 'at most 20 drivers')
      .refine((d) => new Set(d).size === d.length, 'lists a driver twice'),
    subscriptionType: code('subscription type'),
    plan: code('plan'),
  })
  .strict()
  .meta({ id: 'OrderCreate' });

export const ConfigureBody = z
  .object({ drivers: OrderCreateBody.shape.drivers })
  .strict()
  .meta({ id: 'OrderConfigure' });

export const OrderListQuery = z
  .object({
    kind: z.enum(['order', 'trial']).optional(),
    customerId: z.uuid().optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().max(200).optional(),
  })
  .strict();

export const Order = z
  .object({
    id: z.uuid(),
    kind: z.enum(['order', 'trial']),
    status: z.string(),
    customerId: z.uuid(),
    serialNumber: z.string(),
    licenseStatus: z.string(),
    priceList: z.string(),
    poNumber: z.string().nullable(),
    promoCode: z.string().nullable(),
    subscriptionType: z.string(),
    plan: z.string(),
    lines: z
      .array(
        z.object({
          driverCode: z.string(),
          name: z.string(),
          unitPrice: z.object({ amountMinor: z.number().int(), currency: z.string() }),
        }),
      )
      .optional(),
    subtotal: z.object({ amountMinor: z.number().int(), currency: z.string() }),
    discount: z.object({ amountMinor: z.number().int(), currency: z.string() }),
    total: z.object({ amountMinor: z.number().int(), currency: z.string() }),
    trialEndsAt: z.string().nullable(),
    activatedAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'Order' });

const money = (amountMinor: number, currency: string) => ({ amountMinor, currency: currency.trim() });

function toJson(o: OrderRow) {
  return {
    id: o.id,
    kind: o.kind,
    status: o.status,
    customerId: o.customerId,
    serialNumber: o.serialNumber,
    licenseStatus: o.licenseStatus,
    priceList: o.currency.trim(),
    poNumber: o.poNumber,
    promoCode: o.promoCode,
    subscriptionType: o.subscriptionType,
    plan: o.plan,
    subtotal: money(o.subtotalMinor, o.currency),
    discount: money(o.discountMinor, o.currency),
    total: money(o.totalMinor, o.currency),
    trialEndsAt: o.trialEndsAt?.toISOString() ?? null,
    activatedAt: o.activatedAt?.toISOString() ?? null,
    createdAt: o.createdAt.toISOString(),
  };
}

export function ordersRouter({ sql, temporal, config }: { sql: Sql; temporal: Client; config: Config }): Router {
  const router = Router();
  const terms = (): TrialTerms => ({
    length: config.TRIAL_LENGTH,
    remindBefore: config.TRIAL_REMINDERS_BEFORE_END,
    extension: config.TRIAL_EXTENSION,
    maxLength: config.TRIAL_MAX_LENGTH,
  });

  async function ownOrder(req: Request): Promise<OrderRow> {
    const id = z.uuid().safeParse(req.params.id);
    const order = id.success ? await findOrder(sql, principalOf(req).resellerId, id.data) : null;
    if (!order) throw notFound('Order');
    return order;
  }
  const handleOf = (o: OrderRow) => temporal.workflow.getHandle(orderWorkflowId(lifecycleKindOf(o), o.id));
  const withLines = async (o: OrderRow) => ({
    ...toJson(o),
    lines: (await orderLines(sql, o.id)).map((l) => ({
      driverCode: l.driverCode,
      name: l.name,
      unitPrice: money(l.unitPriceMinor, o.currency),
    })),
  });

  // O1-O4: place an order or start a trial; every choice is checked against the catalog first.
  router.post('/', requirePermission('order'), async (req, res) => {
    const principal = principalOf(req);
    const body = parse(OrderCreateBody, req.body);
    const customer = await findCustomer(sql, principal.resellerId, body.customerId);
    if (!customer) throw notFound('Customer');
    const request = {
      currency: body.priceList,
      poNumber: body.poNumber ?? null,
      promoCode: body.promoCode ?? null,
      drivers: body.drivers,
      subscriptionType: body.subscriptionType,
      plan: body.plan,
    };
    const priced = await priceOrder(sql, request, customer.country.trim(), new Date());
    if (!priced.ok) {
      const first = priced.issues[0]!;
      throw new HttpError(400, 'validation_failed', `${first.field}: ${first.message}`, { issues: priced.issues });
    }
    const { id } = await resourceIdFor(sql, principal.resellerId, req.get('idempotency-key'), body);
    const input: OrderInput = {
      orderId: id,
      kind: body.kind,
      resellerId: principal.resellerId,
      customerId: customer.id,
      createdBy: principal.userId,
      ...request,
    };
    const handle = await startLifecycle(temporal, config, {
      workflowType: body.kind === 'trial' ? 'trialWorkflow' : 'orderWorkflow',
      workflowId: orderWorkflowId(body.kind, id),
      args: body.kind === 'trial' ? [input, terms()] : [input],
      lifecycle: body.kind,
      resellerId: principal.resellerId,
      customerId: customer.id,
    }).catch((err: Error) => {
      if (err.name === 'WorkflowExecutionAlreadyStartedError')
        return temporal.workflow.getHandle(orderWorkflowId(body.kind, id));
      throw err;
    });
    try {
      await handle.executeUpdate(orderPlacedUpdate);
    } catch {
      // An idempotent repeat after the lifecycle ended: the database has the answer.
    }
    const order = await findOrder(sql, principal.resellerId, id);
    if (!order) throw new HttpError(410, 'gone', 'The order created with this Idempotency-Key has since been deleted.');
    res
      .status(201)
      .location(`/v1/orders/${id}`)
      .json(await withLines(order));
  });

  // O6: order management, all orders and trials in one place.
  router.get('/', async (req, res) => {
    const q = parse(OrderListQuery, req.query, 'query');
    const rows = await listOrders(sql, principalOf(req).resellerId, {
      kind: q.kind,
      customerId: q.customerId,
      limit: q.limit + 1,
      after: q.cursor ? decodeCursor(q.cursor) : undefined,
    });
    const { page, nextCursor } = pageOf(rows, q.limit);
    res.json({ data: page.map(toJson), nextCursor });
  });

  router.get('/:id', async (req, res) => {
    res.json(await withLines(await ownOrder(req)));
  });

  // O6: the audit trail of one order.
  router.get('/:id/audit', async (req, res) => {
    const order = await ownOrder(req);
    res.json({ data: await auditTrail(sql, order.resellerId, { orderId: order.id }) });
  });

  // O5: delete only before activation, and only when the reseller confirms.
  router.delete('/:id', requirePermission('order'), async (req, res) => {
    const order = await ownOrder(req);
    if (req.query.confirm !== 'true') {
      throw new HttpError(
        400,
        'confirmation_required',
        'confirm: add ?confirm=true; deleting an order or trial cannot be undone.',
        {
          issues: [{ field: 'confirm', message: 'must be true to delete' }],
        },
      );
    }
    if (order.licenseStatus !== 'pending_activation') {
      throw new HttpError(
        409,
        'LicenseAlreadyActivated',
        'The license has been activated, so the order can no longer be deleted (O5).',
      );
    }
    await runUpdate(handleOf(order), deleteOrderUpdate, { actor: actorOf(req) });
    res.status(204).end();
  });

  // O6 "+": extend a trial, or convert it into an order.
  for (const [path, update] of [
    ['extend', extendTrialUpdate],
    ['convert', convertTrialUpdate],
  ] as const) {
    router.post(`/:id/${path}`, requirePermission('order'), async (req, res) => {
      const order = await ownOrder(req);
      if (order.kind !== 'trial')
        throw new HttpError(
          409,
          'not_a_trial',
          `Only a trial can be ${path === 'extend' ? 'extended' : 'converted'}; this is an order.`,
        );
      await runUpdate(handleOf(order), update, { actor: actorOf(req) });
      res.json(await withLines((await findOrder(sql, order.resellerId, order.id))!));
    });
  }

  // O6 "configure": swap drivers; a higher tier charges the prorated difference, a lower one never refunds more than was paid.
  router.put('/:id/drivers', requirePermission('order'), async (req, res) => {
    const order = await ownOrder(req);
    const { drivers } = parse(ConfigureBody, req.body);
    const outcome = await configureOrder(sql, {
      orderId: order.id,
      resellerId: order.resellerId,
      userId: principalOf(req).userId,
      drivers,
      now: new Date(),
    });
    if (!outcome.ok) {
      throw new HttpError(
        outcome.status,
        outcome.status === 400 ? 'validation_failed' : 'refused',
        outcome.field ? `${outcome.field}: ${outcome.message}` : outcome.message,
        outcome.field ? { issues: [{ field: outcome.field, message: outcome.message }] } : undefined,
      );
    }
    res.json({
      ...(await withLines((await findOrder(sql, order.resellerId, order.id))!)),
      adjustment: money(outcome.adjustmentMinor, order.currency),
    });
  });

  // O7: activating a license for the customer is an OEM-only function.
  router.post('/:id/activate', async (req, res) => {
    await ownOrder(req);
    res.status(403).json({
      error: {
        code: 'oem_only',
        message:
          'Activating a license is an OEM-only function (O7): the customer activates it through the emailed link.',
      },
    });
  });

  return router;
}
