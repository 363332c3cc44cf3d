import { Router, type Request } from 'express';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import { codeHash } from '../../activities/reseller-change';
import type { Config } from '../../config';
import type { Sql } from '../../db';
import {
  findResellerChange,
  ownsCustomerWithVipId,
  releaseResellerChange,
  reserveResellerChange,
  type ResellerChangeRow,
} from '../../db/reseller-changes';
import { durationMs } from '../../workflows/duration';
import { redeemCodeUpdate, resellerChangeWorkflowId, type ResellerChangeInput } from '../../workflows/definitions';
import { actorOf, principalOf, requirePermission } from '../auth';
import { HttpError, notFound, parse } from '../errors';
import { resourceIdFor } from '../idempotency';
import { runUpdate, startLifecycle } from '../lifecycles';

export const ResellerChangeCreateBody = z
  .object({
    vipId: z
      .string()
      .trim()
      .toUpperCase()
      .regex(/^VIP\d{10}$/, 'must be a VIP customer number such as VIP1000000001'),
    adminEmail: z.email('must be an email address').max(254),
  })
  .strict()
  .meta({ id: 'ResellerChangeCreate' });

export const RedeemBody = z
  .object({
    code: z
      .string()
      .trim()
      .min(6, 'is too short')
      .max(20, 'is too long')
      .regex(/^[0-9A-Za-z\s-]+$/, 'has characters a code never has'),
  })
  .strict()
  .meta({ id: 'ResellerChangeRedeem' });

export const ResellerChange = z
  .object({
    id: z.uuid(),
    vipId: z.string(),
    adminEmail: z.string(),
    status: z.enum(['pending', 'redeemed', 'expired', 'locked']),
    expiresAt: z.string(),
    redeemedAt: z.string().nullable(),
    customerId: z.uuid().nullable().meta({ description: 'Set once the customer has moved to you.' }),
    resentFrom: z.uuid().nullable(),
  })
  .meta({ id: 'ResellerChange' });

/** What the requester may see: the same for a pair that matched a customer and one that did not. */
function toJson(r: ResellerChangeRow): z.infer<typeof ResellerChange> {
  return {
    id: r.id,
    vipId: r.vipId,
    adminEmail: r.adminEmail,
    status: r.status,
    expiresAt: r.expiresAt.toISOString(),
    redeemedAt: r.redeemedAt?.toISOString() ?? null,
    customerId: r.status === 'redeemed' ? r.customerId : null,
    resentFrom: r.resentFrom,
  };
}

export function resellerChangesRouter({
  sql,
  temporal,
  config,
}: {
  sql: Sql;
  temporal: Client;
  config: Config;
}): Router {
  const router = Router();

  async function ownRequest(req: Request): Promise<ResellerChangeRow> {
    const id = z.uuid().safeParse(req.params.id);
    const row = id.success ? await findResellerChange(sql, principalOf(req).resellerId, id.data) : null;
    if (!row) throw notFound('Reseller change');
    return row;
  }

  /** X1/X4: reserve one of the day's codes, then start the request's workflow (or undo the reservation). */
  async function sendCode(
    req: Request,
    requestId: string,
    body: { vipId: string; adminEmail: string },
    resentFrom?: string,
  ) {
    const principal = principalOf(req);
    const reservation = await reserveResellerChange(sql, {
      id: requestId,
      resellerId: principal.resellerId,
      userId: principal.userId,
      vipId: body.vipId,
      adminEmail: body.adminEmail,
      ttlMs: durationMs(config.RESELLER_CHANGE_CODE_TTL),
      limit: config.RESELLER_CHANGE_DAILY_LIMIT,
      resentFrom,
    });
    if (!reservation.reserved) {
      throw new HttpError(
        429,
        'too_many_codes',
        `A reseller can send at most ${config.RESELLER_CHANGE_DAILY_LIMIT} reseller change codes per day (X4).`,
        undefined,
        { 'Retry-After': String(reservation.retryAfterSeconds) },
      );
    }
    const input: ResellerChangeInput = {
      requestId,
      newResellerId: principal.resellerId,
      requestedBy: principal.userId,
      vipId: body.vipId,
      adminEmail: body.adminEmail,
      codeTtl: config.RESELLER_CHANGE_CODE_TTL,
      maxAttempts: config.RESELLER_CHANGE_MAX_ATTEMPTS,
    };
    try {
      await startLifecycle(temporal, config, {
        workflowType: 'resellerChangeWorkflow',
        workflowId: resellerChangeWorkflowId(requestId),
        args: [input],
        lifecycle: 'reseller-change',
        resellerId: principal.resellerId,
      });
    } catch (err) {
      if ((err as Error).name !== 'WorkflowExecutionAlreadyStartedError') {
        await releaseResellerChange(sql, requestId);
        throw err;
      }
    }
    const row = await findResellerChange(sql, principal.resellerId, requestId);
    return toJson(row!);
  }

  // X1: ask for a customer's reseller change code. The answer never tells whether the pair matched.
  router.post('/', requirePermission('order'), async (req, res) => {
    const principal = principalOf(req);
    const body = parse(ResellerChangeCreateBody, req.body);
    if (await ownsCustomerWithVipId(sql, principal.resellerId, body.vipId)) {
      throw new HttpError(409, 'already_your_customer', `${body.vipId} is already your customer.`);
    }
    const { id } = await resourceIdFor(sql, principal.resellerId, req.get('idempotency-key'), body);
    res
      .status(202)
      .location(`/v1/reseller-changes/${id}`)
      .json(await sendCode(req, id, body));
  });

  router.get('/:id', async (req, res) => {
    res.json(toJson(await ownRequest(req)));
  });

  // X3: once a code has expired (or locked), send a new one for the same customer.
  router.post('/:id/resend', requirePermission('order'), async (req, res) => {
    const previous = await ownRequest(req);
    if (previous.status === 'pending' || previous.status === 'redeemed') {
      throw new HttpError(
        409,
        'not_expired',
        `The request is ${previous.status}; a new code can be sent once it has expired.`,
      );
    }
    const { id } = await resourceIdFor(sql, principalOf(req).resellerId, req.get('idempotency-key'), {
      resend: previous.id,
    });
    res
      .status(202)
      .location(`/v1/reseller-changes/${id}`)
      .json(await sendCode(req, id, previous, previous.id));
  });

  // X2: the reseller enters the code the customer's admin gave them.
  router.post('/:id/redeem', requirePermission('order'), async (req, res) => {
    const request = await ownRequest(req);
    const { code } = parse(RedeemBody, req.body);
    if (request.status !== 'pending') {
      throw new HttpError(409, 'not_pending', `The code can no longer be used: the request is ${request.status}.`);
    }
    const result = await runUpdate(
      temporal.workflow.getHandle(resellerChangeWorkflowId(request.id)),
      redeemCodeUpdate,
      {
        codeHash: codeHash(code),
        actor: actorOf(req),
      },
    );
    res.json({
      ...toJson((await findResellerChange(sql, request.newResellerId, request.id))!),
      customerId: result.customerId,
    });
  });

  return router;
}
