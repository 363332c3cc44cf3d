import { Router, type Request } from 'express';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import type { Config } from '../../config';
import type { Sql } from '../../db';
import { findCustomer } from '../../db/customers';
import {
  findPurchaseAuthorization,
  hasOverduePurchaseAuthorization,
  listPurchaseAuthorizations,
  planCounts,
  type PurchaseAuthorizationRow,
} from '../../db/purchase-authorizations';
import { findRenewalProfile } from '../../db/renewals';
import { extendedTermIssue } from '../../lib/subscription-terms';
import {
  assignLicensesUpdate,
  cancelPurchaseAuthorizationUpdate,
  placeOrderUpdate,
  purchaseAuthorizationStateQuery,
  purchaseAuthorizationStoredUpdate,
  purchaseAuthorizationWorkflowId,
  recordPaymentUpdate,
  requestReturnUpdate,
  type MarketSegment,
  type PurchaseAuthorizationInput,
} from '../../workflows/definitions';
import { actorOf, principalOf, requirePermission } from '../auth';
import { HttpError, notFound, parse } from '../errors';
import { resourceIdFor } from '../idempotency';
import { runUpdate, startLifecycle } from '../lifecycles';
import { ensureRenewal } from '../renewal-lifecycle';

/** P1: a purchase authorization for one of the reseller's customers; C6: an extended term at signup. */
export const PurchaseAuthorizationCreateBody = z
  .object({
    customerId: z.uuid('must be the id of one of your customers'),
    product: z.string().trim().min(1, 'is required').max(120, 'must be at most 120 characters'),
    quantity: z
      .number({ error: 'must be a number of licenses' })
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .max(100_000, 'must be at most 100000'),
    extendedTermMonths: z.number({ error: 'must be a number of months' }).int('must be a whole number').optional(),
  })
  .strict()
  .meta({ id: 'PurchaseAuthorizationCreate' });

export const PurchaseAuthorizationListQuery = z
  .object({ customerId: z.uuid('must be the id of one of your customers') })
  .strict();
export const AssignmentsBody = z
  .object({
    assigned: z
      .number({ error: 'must be a number of licenses' })
      .int('must be a whole number')
      .min(0, 'must be at least 0'),
  })
  .strict()
  .meta({ id: 'PurchaseAuthorizationAssignments' });

const toJson = (pa: PurchaseAuthorizationRow) => ({
  id: pa.id,
  customerId: pa.customerId,
  product: pa.product,
  quantity: pa.quantity,
  licensesAssigned: pa.licensesAssigned,
  status: pa.status,
  serialNumber: pa.serialNumber,
  licenseStatus: pa.licenseStatus,
  createdAt: pa.createdAt.toISOString(),
  orderedAt: pa.orderedAt?.toISOString() ?? null,
  paidAt: pa.paidAt?.toISOString() ?? null,
});

export function authorizationsRouter({
  sql,
  temporal,
  config,
}: {
  sql: Sql;
  temporal: Client;
  config: Config;
}): Router {
  const router = Router();

  async function ownPa(req: Request): Promise<PurchaseAuthorizationRow> {
    const id = z.uuid().safeParse(req.params.id);
    const pa = id.success ? await findPurchaseAuthorization(sql, principalOf(req).resellerId, id.data) : null;
    if (!pa) throw notFound('Purchase authorization');
    return pa;
  }
  const handleOf = (id: string) => temporal.workflow.getHandle(purchaseAuthorizationWorkflowId(id));
  /** The stored row with the workflow's live state (deadlines), when the run can still answer. */
  async function withState(pa: PurchaseAuthorizationRow) {
    const live = await handleOf(pa.id)
      .query(purchaseAuthorizationStateQuery)
      .catch(() => null);
    return {
      ...toJson(pa),
      licensesActive: live?.licensesActive ?? ['pending', 'ordered', 'paid', 'overdue'].includes(pa.status),
      overdueAt: live?.overdueAt ?? null,
      deactivateAt: live?.deactivateAt ?? null,
      returnableUntil: live?.returnableUntil ?? null,
    };
  }

  // P1: immediate access while the PA is pending; refused while an earlier PA is overdue (P2).
  router.post('/', requirePermission('order'), async (req, res) => {
    const principal = principalOf(req);
    const body = parse(PurchaseAuthorizationCreateBody, req.body);
    const customer = await findCustomer(sql, principal.resellerId, body.customerId);
    if (!customer) throw notFound('Customer');
    if (body.extendedTermMonths !== undefined) {
      const issue = extendedTermIssue(customer.marketSegment as MarketSegment, body.extendedTermMonths);
      if (issue)
        throw new HttpError(400, 'validation_failed', `extendedTermMonths: ${issue}`, {
          issues: [{ field: 'extendedTermMonths', message: issue }],
        });
    }
    if (await hasOverduePurchaseAuthorization(sql, customer.id)) {
      throw new HttpError(
        409,
        'PurchaseAuthorizationRefused',
        'The customer has an overdue purchase authorization; no new one until it is paid (P2).',
      );
    }
    const { id } = await resourceIdFor(sql, principal.resellerId, req.get('idempotency-key'), body);
    const input: PurchaseAuthorizationInput = {
      paId: id,
      resellerId: principal.resellerId,
      customerId: customer.id,
      createdBy: principal.userId,
      product: body.product,
      quantity: body.quantity,
      extendedTermMonths: body.extendedTermMonths ?? null,
      terms: {
        overdueAfter: config.PA_OVERDUE_AFTER,
        deactivateAfter: config.PA_DEACTIVATE_AFTER,
        returnWindow: config.PA_RETURN_WINDOW,
      },
    };
    const handle = await startLifecycle(temporal, config, {
      workflowType: 'purchaseAuthorizationWorkflow',
      workflowId: purchaseAuthorizationWorkflowId(id),
      args: [input],
      lifecycle: 'purchase-authorization',
      resellerId: principal.resellerId,
      customerId: customer.id,
    }).catch((err: Error) => {
      if (err.name === 'WorkflowExecutionAlreadyStartedError') return handleOf(id);
      throw err;
    });
    const stored = await handle.executeUpdate(purchaseAuthorizationStoredUpdate).catch(() => null);
    if (stored?.status === 'refused')
      throw new HttpError(409, 'PurchaseAuthorizationRefused', stored.refusal ?? 'Refused.');
    const pa = await findPurchaseAuthorization(sql, principal.resellerId, id);
    if (!pa) throw new HttpError(409, 'PurchaseAuthorizationRefused', 'The purchase authorization was refused.');
    // C5/R1: the first purchase sets the anniversary; its renewal run starts counting down.
    const profile = await findRenewalProfile(sql, principal.resellerId, customer.id);
    if (profile) await ensureRenewal(temporal, config, profile);
    res
      .status(201)
      .location(`/v1/purchase-authorizations/${id}`)
      .json(await withState(pa));
  });

  // P5: the plans view of one customer: its PAs, fulfilled and pending, assigned and unassigned licenses.
  router.get('/', async (req, res) => {
    const principal = principalOf(req);
    const q = parse(PurchaseAuthorizationListQuery, req.query, 'query');
    const customer = await findCustomer(sql, principal.resellerId, q.customerId);
    if (!customer) throw notFound('Customer');
    const [rows, plans] = await Promise.all([
      listPurchaseAuthorizations(sql, principal.resellerId, customer.id),
      planCounts(sql, customer.id),
    ]);
    res.json({ data: rows.map(toJson), plans });
  });

  router.get('/:id', async (req, res) => {
    res.json(await withState(await ownPa(req)));
  });

  const actions = [
    ['order', placeOrderUpdate],
    ['payment', recordPaymentUpdate],
    ['cancel', cancelPurchaseAuthorizationUpdate],
    ['return', requestReturnUpdate],
  ] as const;
  for (const [path, update] of actions) {
    router.post(`/:id/${path}`, requirePermission('order'), async (req, res) => {
      const pa = await ownPa(req);
      await runUpdate(handleOf(pa.id), update, { actor: actorOf(req) }).catch((err: Error) => {
        // A finished lifecycle (cancelled, returned, paid past its return window) takes no more changes.
        if (err.name === 'WorkflowNotFoundError')
          throw new HttpError(409, 'PurchaseAuthorizationNotChangeable', `The purchase authorization is ${pa.status}.`);
        throw err;
      });
      res.json(await withState((await findPurchaseAuthorization(sql, pa.resellerId, pa.id))!));
    });
  }

  // P3/P5: how many of the PA's licenses are assigned to users.
  router.put('/:id/assignments', requirePermission('order'), async (req, res) => {
    const pa = await ownPa(req);
    const { assigned } = parse(AssignmentsBody, req.body);
    if (assigned > pa.quantity)
      throw new HttpError(400, 'validation_failed', `assigned: must be at most ${pa.quantity}`, {
        issues: [{ field: 'assigned', message: `must be at most ${pa.quantity}` }],
      });
    await runUpdate(handleOf(pa.id), assignLicensesUpdate, { assigned, actor: actorOf(req) });
    res.json(await withState((await findPurchaseAuthorization(sql, pa.resellerId, pa.id))!));
  });

  return router;
}
