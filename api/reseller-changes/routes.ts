import type { z } from 'zod';
import { codeHash } from '../../activities/reseller-change';
import type { Principal } from '../../db/api-keys';
import {
  findResellerChange,
  ownsCustomerWithVipId,
  type ResellerChangeRow,
  reserveResellerChange,
} from '../../db/reseller-changes';
import {
  type ResellerChangeInput,
  ResellerChangeFailure,
  redeemCodeUpdate,
  resellerChangeWorkflowId,
} from '../../workflows/definitions';
import { durationMs } from '../../workflows/duration';
import { type Api, defineRoute, json, reply } from '../http/define-route';
import type { AppDeps } from '../http/deps';
import { HttpError } from '../http/errors';
import { IdempotencyHeaders, resourceIdFor } from '../http/idempotency';
import { createLifecycle } from '../http/lifecycles';
import { ownedBy } from '../http/owned';
import { actionRoutes, getOwnedRoute } from '../http/route-kinds';
import { refusal } from '../http/refusals';
import { IdParam } from '../http/schemas';
import { RedeemBody, ResellerChange, ResellerChangeCreateBody } from './schemas';

/** What the requester may see: the same for a pair that matched a customer and one that did not. */
function toResellerChangeJson(r: ResellerChangeRow): z.infer<typeof ResellerChange> {
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

export function resellerChangeRoutes(api: Api, { sql, temporal, config }: AppDeps): void {
  const ownRequest = ownedBy('Reseller change', (resellerId, id) => findResellerChange(sql, resellerId, id));

  /** X1/X4: reserves one of the day's codes as the request's run starts; the run sends the code. */
  async function sendCode(
    principal: Principal,
    requestId: string,
    pair: { vipId: string; adminEmail: string },
    resentFrom?: string,
  ) {
    const input: ResellerChangeInput = {
      requestId,
      newResellerId: principal.resellerId,
      requestedBy: principal.userId,
      vipId: pair.vipId,
      adminEmail: pair.adminEmail,
      codeTtl: config.RESELLER_CHANGE_CODE_TTL,
      maxAttempts: config.RESELLER_CHANGE_MAX_ATTEMPTS,
    };
    const sent = await createLifecycle(sql, temporal, config, async (tx) => {
      const reservation = await reserveResellerChange(tx, {
        id: requestId,
        resellerId: principal.resellerId,
        userId: principal.userId,
        vipId: pair.vipId,
        adminEmail: pair.adminEmail,
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
      return {
        row: await findResellerChange(tx, principal.resellerId, requestId),
        start: {
          workflowType: 'resellerChangeWorkflow',
          workflowId: resellerChangeWorkflowId(requestId),
          args: [input],
          lifecycle: 'reseller-change',
          resellerId: principal.resellerId,
        },
      };
    });
    // Null when the run has ended (an idempotent repeat): the request as it is now.
    const request = sent ?? (await ownRequest(principal, requestId));
    return reply(202, toResellerChangeJson(request), {
      Location: `/v1/reseller-changes/${requestId}`,
    });
  }

  // X1: ask for a customer's reseller change code. The answer never tells whether the pair matched.
  defineRoute(api, {
    method: 'post',
    path: '/v1/reseller-changes',
    summary: "Ask for a customer's reseller change code (X1, X4); the answer never tells whether the pair matched",
    permission: 'order',
    headers: IdempotencyHeaders,
    body: ResellerChangeCreateBody,
    responses: { 202: json('Code sent if the details match', ResellerChange, { Location: 'The request' }) },
    errors: [[409, 'The customer is already yours'], 422, 429],
    handler: async ({ principal, headers, body }) => {
      if (await ownsCustomerWithVipId(sql, principal.resellerId, body.vipId))
        throw new HttpError(409, 'already_your_customer', `${body.vipId} is already your customer.`);
      const { id } = await resourceIdFor(sql, principal.resellerId, headers['Idempotency-Key'], body);
      return sendCode(principal, id, body);
    },
  });

  getOwnedRoute(api, {
    path: '/v1/reseller-changes/{id}',
    summary: 'One reseller change request',
    response: json('The request', ResellerChange),
    own: ownRequest,
    view: toResellerChangeJson,
  });

  // X3: once a code has expired (or locked), send a new one for the same customer.
  defineRoute(api, {
    method: 'post',
    path: '/v1/reseller-changes/{id}/resend',
    summary: 'Send a new code once the previous one expired (X3)',
    permission: 'order',
    params: IdParam,
    headers: IdempotencyHeaders,
    responses: { 202: json('A new request', ResellerChange, { Location: 'The new request' }) },
    errors: [[409, 'The request has not expired'], 422, 429],
    handler: async ({ principal, params, headers }) => {
      const previous = await ownRequest(principal, params.id);
      if (previous.status === 'pending' || previous.status === 'redeemed') {
        throw new HttpError(
          409,
          'not_expired',
          `The request is ${previous.status}; a new code can be sent once it has expired.`,
        );
      }
      const { id } = await resourceIdFor(sql, principal.resellerId, headers['Idempotency-Key'], {
        resend: previous.id,
      });
      return sendCode(principal, id, previous, previous.id);
    },
  });

  // X2: the reseller enters the code the customer's admin gave them.
  actionRoutes(api, {
    path: '/v1/reseller-changes/{id}',
    body: RedeemBody,
    response: json('Moved', ResellerChange),
    errors: [409, 503],
    own: ownRequest,
    actions: [['redeem', redeemCodeUpdate, 'Redeem the code the customer gave you (X2): the customer moves to you']],
    handleOf: (request) => {
      if (request.status !== 'pending') {
        throw refusal(
          ResellerChangeFailure.NotPending,
          `The code can no longer be used: the request is ${request.status}.`,
        );
      }
      return temporal.workflow.getHandle(resellerChangeWorkflowId(request.id));
    },
    argOf: (body) => ({ codeHash: codeHash(config.TOKEN_SECRET, body.code) }),
    view: async (request, result, { principal }) => ({
      ...toResellerChangeJson(await ownRequest(principal, request.id)),
      customerId: result.customerId,
    }),
  });
}
