import { z } from 'zod';
import { findCustomer } from '../../db/customers';
import {
  type CommitmentRow,
  latestThreeYearCommitment,
  requestThreeYearCommitment,
} from '../../db/three-year-commitments';
import { durationMs } from '../../workflows/duration';
import {
  acceptThreeYearCommitmentUpdate,
  cancelThreeYearCommitmentUpdate,
  type ThreeYearCommitmentInput,
  threeYearCommitmentWorkflowId,
} from '../../workflows/definitions';
import { type Api, created, defineRoute, json, reply } from '../http/define-route';
import type { AppDeps } from '../http/deps';
import { HttpError } from '../http/errors';
import { createdHeaders, IdempotencyHeaders, madeOrGone, resourceIdFor } from '../http/idempotency';
import { createLifecycle, runUpdate } from '../http/lifecycles';
import { ownedBy } from '../http/owned';
import { getOwnedRoute, ownedRoute } from '../http/route-kinds';
import { email, isoTime, Money, money, requestBody, text } from '../http/schemas';

// R5: the 3-year commitment, a lifecycle of its own (workflows/three-year-commitment.ts): requested by the reseller,
// accepted by the customer within THREE_YEAR_COMMITMENT_ACCEPT_WITHIN (recorded by the portal) or declined, then a
// fixed price for a fixed quantity with a payment each year, and expired after three.

const ThreeYearCommitment = z
  .object({
    id: z.uuid(),
    customerId: z.uuid(),
    status: z.enum(['requested', 'committed', 'declined', 'cancelled', 'expired']),
    product: z.string(),
    quantity: z.number().int(),
    listPrice: Money.nullable().meta({ description: 'Per license and year, locked at acceptance' }),
    discountPercent: z.number().int().nullable().meta({ description: "The customer's VIP Select discount then (R4)" }),
    unitPrice: Money.nullable().meta({ description: 'Per license and year: the list price less the discount' }),
    requestedAt: isoTime,
    acceptBy: isoTime.meta({ description: 'Unaccepted by then, the request is declined' }),
    committedAt: isoTime.nullable(),
    endsAt: isoTime.nullable(),
    closedAt: isoTime.nullable(),
    payments: z.array(z.object({ year: z.number().int(), amount: Money, dueAt: isoTime, invoicedAt: isoTime })),
    workflowId: z.string(),
  })
  .meta({ id: 'ThreeYearCommitment' });

const CommitmentRequest = requestBody('ThreeYearCommitmentRequest', {
  product: text(200).meta({ description: 'A product of the VIP catalog (C7)' }),
  priceList: z
    .string()
    .regex(/^[A-Z]{3}$/, 'must be a price list currency such as EUR')
    .meta({ description: 'The price list (currency) the price is locked from' }),
  quantity: z.number().int().min(1).max(100_000).meta({ description: 'Licenses committed for three years' }),
});
const CommitmentAcceptance = requestBody('ThreeYearCommitmentAcceptance', {
  acceptedBy: email.meta({ description: "The customer's admin who accepted it in the portal" }),
});

const iso = (d: Date | null) => (d ? d.toISOString() : null);
const commitmentJson = (c: CommitmentRow): z.infer<typeof ThreeYearCommitment> => ({
  id: c.id,
  customerId: c.customerId,
  status: c.status,
  product: c.product,
  quantity: c.quantity,
  listPrice: c.listPriceMinor === null ? null : money(c.listPriceMinor, c.currency),
  discountPercent: c.discountPercent,
  unitPrice: c.unitPriceMinor === null ? null : money(c.unitPriceMinor, c.currency),
  requestedAt: c.requestedAt.toISOString(),
  acceptBy: c.acceptBy.toISOString(),
  committedAt: iso(c.committedAt),
  endsAt: iso(c.endsAt),
  closedAt: iso(c.closedAt),
  payments: c.payments.map((p) => ({
    year: p.year,
    amount: money(p.amountMinor, p.currency),
    dueAt: p.dueAt.toISOString(),
    invoicedAt: p.invoicedAt.toISOString(),
  })),
  workflowId: threeYearCommitmentWorkflowId(c.id),
});

const REFUSED: Record<string, [number, string, string]> = {
  'no-customer': [404, 'not_found', 'Customer not found.'],
  'no-vip-select': [
    409,
    'no_vip_select',
    'A 3-year commitment needs VIP Select first: 10 licenses in a term (R4, R5).',
  ],
  'extended-term': [409, 'extended_term', 'A 3-year commitment is not available on an extended prepaid term (R5).'],
  open: [409, 'commitment_open', 'The customer has a 3-year commitment requested or committed already.'],
  'no-price': [422, 'no_price', 'product: the price list has no price for this product.'],
};

export function threeYearCommitmentRoutes(api: Api, { sql, temporal, config }: AppDeps): void {
  const path = '/v1/renewals/{customerId}/three-year-commitment';
  const ownCommitment = ownedBy('3-year commitment', (resellerId, customerId) =>
    latestThreeYearCommitment(sql, resellerId, customerId),
  );
  const ownCustomer = ownedBy('Customer', (resellerId, id) => findCustomer(sql, resellerId, id));

  defineRoute(api, {
    method: 'post',
    path,
    summary:
      'Request a 3-year commitment for the customer (R5): after VIP Select, never on an extended prepaid term; the ' +
      'customer accepts it within the window or it is declined',
    permission: 'order',
    params: z.object({ customerId: z.uuid() }),
    headers: IdempotencyHeaders,
    body: CommitmentRequest,
    responses: { 201: json('The request, awaiting acceptance', ThreeYearCommitment, createdHeaders('The commitment')) },
    errors: [
      [409, 'No VIP Select yet, an extended prepaid term, or a commitment already requested or committed'],
      [422, 'The price list has no price for the product'],
    ],
    handler: async ({ principal, params, headers, body, actor }) => {
      const customer = await ownCustomer(principal, params.customerId);
      const { id, replayed } = await resourceIdFor(sql, principal.resellerId, headers['Idempotency-Key'], {
        customerId: customer.id,
        ...body,
      });
      const acceptBy = new Date(Date.now() + durationMs(config.THREE_YEAR_COMMITMENT_ACCEPT_WITHIN));
      const input: ThreeYearCommitmentInput = {
        commitmentId: id,
        customerId: customer.id,
        resellerId: principal.resellerId,
        acceptBy: acceptBy.toISOString(),
      };
      const made = await createLifecycle(sql, temporal, config, async (tx) => {
        const requested = await requestThreeYearCommitment(tx, {
          id,
          resellerId: principal.resellerId,
          customerId: customer.id,
          product: body.product,
          currency: body.priceList,
          quantity: body.quantity,
          acceptBy,
          actor,
        });
        if (requested.outcome !== 'requested') {
          const [status, code, message] = REFUSED[requested.outcome] as [number, string, string];
          throw new HttpError(status, code, message);
        }
        return {
          row: requested.commitment,
          start: {
            workflowType: 'threeYearCommitmentWorkflow',
            workflowId: threeYearCommitmentWorkflowId(id),
            args: [input],
            lifecycle: 'three-year-commitment',
            resellerId: principal.resellerId,
            customerId: customer.id,
          },
        };
      });
      const row = madeOrGone(
        made ?? (await latestThreeYearCommitment(sql, principal.resellerId, customer.id)),
        '3-year commitment',
      );
      return created(path.replace('{customerId}', customer.id), commitmentJson(row), replayed);
    },
  });

  getOwnedRoute(api, {
    path,
    summary: "The customer's latest 3-year commitment: its status, locked price and yearly payments (R5)",
    response: json('The commitment', ThreeYearCommitment),
    own: ownCommitment,
    view: commitmentJson,
  });

  /** After a change, the commitment as stored now. */
  const answer = async (resellerId: string, customerId: string) =>
    reply(200, commitmentJson(madeOrGone(await latestThreeYearCommitment(sql, resellerId, customerId), 'commitment')));

  ownedRoute(api, {
    method: 'post',
    path: `${path}/accept`,
    summary:
      "The customer's acceptance, recorded by the portal within the window: the price is locked and the first " +
      'payment invoiced (R5)',
    permission: 'order',
    body: CommitmentAcceptance,
    responses: { 200: json('The commitment, committed', ThreeYearCommitment) },
    errors: [[409, 'The commitment is no longer requested (committed, declined, cancelled or expired)']],
    own: ownCommitment,
    handler: async (commitment, { body, principal }) => {
      const handle = temporal.workflow.getHandle(threeYearCommitmentWorkflowId(commitment.id));
      await runUpdate(handle, acceptThreeYearCommitmentUpdate, { actor: `customer:${body.acceptedBy}` });
      return answer(principal.resellerId, commitment.customerId);
    },
  });

  ownedRoute(api, {
    method: 'post',
    path: `${path}/cancel`,
    summary: 'Withdraw the request while it awaits acceptance (R5)',
    permission: 'order',
    responses: { 200: json('The commitment, cancelled', ThreeYearCommitment) },
    errors: [[409, 'The commitment is no longer requested (committed, declined, cancelled or expired)']],
    own: ownCommitment,
    handler: async (commitment, { principal, actor }) => {
      const handle = temporal.workflow.getHandle(threeYearCommitmentWorkflowId(commitment.id));
      await runUpdate(handle, cancelThreeYearCommitmentUpdate, { actor });
      return answer(principal.resellerId, commitment.customerId);
    },
  });
}
