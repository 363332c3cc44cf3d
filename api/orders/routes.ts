import type { z } from 'zod';
import { trialTerms } from '../../config/terms';
import { priceOrder } from '../../db/catalog';
import { findCustomer } from '../../db/customers';
import {
  findOrder,
  insertOrder,
  lifecycleKindOf,
  listOrders,
  type OrderRow,
  orderLines,
  serialNumberFor,
} from '../../db/orders';
import { durationMs } from '../../workflows/duration';
import {
  configureOrderUpdate,
  convertTrialUpdate,
  deleteOrderUpdate,
  extendTrialUpdate,
  OrderFailure,
  type OrderInput,
  orderWorkflowId,
} from '../../workflows/definitions';
import { type Api, defineRoute, empty, json, reply, noContent } from '../http/define-route';
import { defineAuditRoute } from '../http/audit';
import type { AppDeps } from '../http/deps';
import { HttpError, unprocessableField } from '../http/errors';
import { createdHeaders, madeOrGone } from '../http/idempotency';
import { createLifecycle, runUpdate } from '../http/lifecycles';
import { ownedBy } from '../http/owned';
import { actionRoutes, createRoute, getOwnedRoute, listRoute } from '../http/route-kinds';
import { errorCode, refusal } from '../http/refusals';
import { IdParam, iso, money } from '../http/schemas';
import {
  ConfigureBody,
  ConfiguredOrder,
  DeleteQuery,
  type Order,
  OrderCreateBody,
  OrderList,
  OrderListQuery,
  OrderWithLines,
} from './schemas';

function toOrderJson(o: OrderRow): z.infer<typeof Order> {
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
    trialEndsAt: iso(o.trialEndsAt),
    activatedAt: iso(o.activatedAt),
    createdAt: o.createdAt.toISOString(),
  };
}

export function orderRoutes(api: Api, { sql, temporal, config }: AppDeps): void {
  const ownOrder = ownedBy('Order', (resellerId, id) => findOrder(sql, resellerId, id));
  const ownCustomer = ownedBy('Customer', (resellerId, id) => findCustomer(sql, resellerId, id));
  const handleOf = (o: OrderRow) => temporal.workflow.getHandle(orderWorkflowId(lifecycleKindOf(o), o.id));
  const withLines = async (o: OrderRow): Promise<z.infer<typeof OrderWithLines>> => ({
    ...toOrderJson(o),
    lines: (await orderLines(sql, o.id)).map((l) => ({
      driverCode: l.driverCode,
      name: l.name,
      unitPrice: money(l.unitPriceMinor, o.currency),
    })),
    activationHelpUrl: config.LICENSE_REGISTRATION_HELP_URL,
  });

  // O1-O4: place an order or start a trial; every choice is checked against the catalog first.
  createRoute(api, sql, {
    path: '/v1/orders',
    summary: 'Order now or get a trial (O1-O4, B2)',
    body: OrderCreateBody,
    response: json('Placed; the activation email is on its way', OrderWithLines, createdHeaders('The order')),
    errors: [404, [410, 'The order made with this Idempotency-Key has since been deleted'], 422, 503],
    check: async (principal, body) => {
      const customer = await ownCustomer(principal, body.customerId);
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
        throw unprocessableField(first.field, first.message, priced.issues);
      }
      return { customer, request, priced: priced.priced };
    },
    create: async (principal, body, id, { customer, request, priced }, timing) => {
      const placedAt = new Date();
      const terms = trialTerms(config);
      const input: OrderInput = {
        orderId: id,
        kind: body.kind,
        resellerId: principal.resellerId,
        customerId: customer.id,
        createdBy: principal.userId,
        placedAt: placedAt.toISOString(),
        ...request,
      };
      const trialEndsAt =
        body.kind === 'trial' ? new Date(placedAt.getTime() + durationMs(terms.length)).toISOString() : null;
      // O1/O8: the order, its lines and its license are stored as the run starts; the run sends the activation email.
      const stored = await createLifecycle(
        sql,
        temporal,
        config,
        async (tx) => {
          await insertOrder(tx, {
            input,
            resellerId: customer.resellerId,
            priced,
            serialNumber: serialNumberFor(id),
            trialEndsAt,
          });
          return {
            row: await findOrder(tx, principal.resellerId, id),
            start: {
              workflowType: body.kind === 'trial' ? 'trialWorkflow' : 'orderWorkflow',
              workflowId: orderWorkflowId(body.kind, id),
              args: body.kind === 'trial' ? [input, terms] : [input],
              lifecycle: body.kind,
              resellerId: principal.resellerId,
              customerId: customer.id,
            },
          };
        },
        timing,
      );
      return withLines(madeOrGone(stored ?? (await findOrder(sql, principal.resellerId, id)), 'order'));
    },
  });

  // O6: order management, all orders and trials in one place.
  listRoute(api, {
    path: '/v1/orders',
    summary: 'All orders and trials in one place (O6)',
    query: OrderListQuery,
    response: json('A page of orders', OrderList),
    list: (principal, page) => listOrders(sql, principal.resellerId, page),
    toJson: toOrderJson,
  });

  getOwnedRoute(api, {
    path: '/v1/orders/{id}',
    summary: 'One order or trial with its lines and license',
    response: json('The order', OrderWithLines),
    own: ownOrder,
    view: withLines,
  });

  // O6: the audit trail of one order.
  defineAuditRoute(api, sql, {
    path: '/v1/orders/{id}/audit',
    summary: 'The audit trail of one order (O6)',
    own: ownOrder,
    trailOf: (order) => ({ orderId: order.id }),
  });

  // O5: delete only before activation, and only when the reseller confirms.
  defineRoute(api, {
    method: 'delete',
    path: '/v1/orders/{id}',
    summary: 'Delete before activation, with ?confirm=true (O5)',
    permission: 'order',
    params: IdParam,
    query: DeleteQuery,
    responses: { 204: empty('Deleted; the customer stays') },
    errors: [409, 503],
    handler: async ({ principal, actor, params, query }) => {
      const order = await ownOrder(principal, params.id);
      if (query.confirm !== 'true') {
        throw new HttpError(
          400,
          'confirmation_required',
          'confirm: add ?confirm=true; deleting an order or trial cannot be undone.',
          { issues: [{ field: 'confirm', message: 'must be true to delete' }] },
        );
      }
      if (order.licenseStatus !== 'pending_activation') {
        throw refusal(
          OrderFailure.AlreadyActivated,
          'The license has been activated, so the order can no longer be deleted (O5).',
        );
      }
      await runUpdate(handleOf(order), deleteOrderUpdate, { actor });
      return noContent();
    },
  });

  // O6 "+": extend a trial, or convert it into an order.
  for (const [action, update, summary, done] of [
    ['extend', extendTrialUpdate, '"+": extend a trial (O6)', 'Extended'],
    ['convert', convertTrialUpdate, '"+": convert a trial into an order (O6)', 'Converted'],
  ] as const) {
    actionRoutes(api, {
      path: '/v1/orders/{id}',
      response: json(done, OrderWithLines),
      errors: [409, 503],
      own: ownOrder,
      actions: [[action, update, summary]],
      handleOf: (order) => {
        if (order.kind !== 'trial')
          throw new HttpError(409, 'not_a_trial', `Only a trial can be ${done.toLowerCase()}; this is an order.`);
        return handleOf(order);
      },
      view: async (order, _state, { principal }) => withLines(await ownOrder(principal, order.id)),
    });
  }

  // O6 "configure": swap drivers; a higher tier charges the prorated difference, a lower one never
  // refunds more than was paid.
  defineRoute(api, {
    method: 'put',
    path: '/v1/orders/{id}/drivers',
    summary: 'Configure: swap drivers; a higher tier charges the prorated difference (O6)',
    permission: 'order',
    params: IdParam,
    body: ConfigureBody,
    responses: { 200: json('Reconfigured, with the adjustment', ConfiguredOrder) },
    errors: [409, 422],
    handler: async ({ principal, params, body, actor }) => {
      const order = await ownOrder(principal, params.id);
      // Through the order's own workflow: one change at a time, audited and invoiced by the lifecycle.
      const configured = await runUpdate(handleOf(order), configureOrderUpdate, { drivers: body.drivers, actor }).catch(
        (err: unknown) => {
          // The catalog refused a driver that the schema let through: a 422 naming the field, as for a create.
          if (err instanceof HttpError && err.code === errorCode(OrderFailure.Invalid)) {
            throw unprocessableField('drivers', err.message.replace(/^drivers: /, ''));
          }
          throw err;
        },
      );
      return reply(200, {
        ...(await withLines(await ownOrder(principal, order.id))),
        adjustment: configured.adjustment,
      });
    },
  });

  // O7: activating a license for the customer is an OEM-only function.
  defineRoute(api, {
    method: 'post',
    path: '/v1/orders/{id}/activate',
    summary: 'Refused: activating a license is an OEM-only function (O7)',
    params: IdParam,
    responses: {},
    errors: [[403, 'Always: the customer activates the license through the emailed link']],
    handler: async ({ principal, params }) => {
      await ownOrder(principal, params.id);
      throw new HttpError(
        403,
        'oem_only',
        'Activating a license is an OEM-only function (O7): the customer activates it through the emailed link.',
      );
    },
  });
}
