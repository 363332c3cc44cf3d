import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { purchaseAuthorizationTerms } from '../../config/terms';
import { findVipProduct, findVipProductPrice } from '../../db/catalog';
import { findCustomer } from '../../db/customers';
import {
  findPaymentByEvidence,
  findPurchaseAuthorization,
  hasOverduePurchaseAuthorization,
  paAmount,
  type PurchaseAuthorizationPaymentRow,
  listPurchaseAuthorizations,
  type PurchaseAuthorizationRow,
  planCounts,
  storePurchaseAuthorization,
} from '../../db/purchase-authorizations';
import { findRenewalProfile } from '../../db/renewals';
import { extendedTermIssue } from '../../lib/subscription-terms';
import {
  assignLicensesUpdate,
  cancelPurchaseAuthorizationUpdate,
  LifecycleFailure,
  type MarketSegment,
  placeOrderUpdate,
  PurchaseAuthorizationFailure,
  type PurchaseAuthorizationInput,
  type PurchaseAuthorizationPayment,
  paymentShortfall,
  purchaseAuthorizationStateQuery,
  purchaseAuthorizationDeadlines,
  type PurchaseAuthorizationState,
  purchaseAuthorizationWorkflowId,
  recordPaymentUpdate,
  requestReturnUpdate,
} from '../../workflows/definitions';
import { type Api, json, reply } from '../http/define-route';
import type { AppDeps } from '../http/deps';
import { HttpError, unprocessableField } from '../http/errors';
import { createdHeaders } from '../http/idempotency';
import { createLifecycle, runUpdate } from '../http/lifecycles';
import { ownedBy } from '../http/owned';
import { actionRoutes, createRoute, getOwnedRoute, getRoute, ownedRoute } from '../http/route-kinds';
import { errorCode, refusal } from '../http/refusals';
import { iso, money } from '../http/schemas';
import { ensureRenewal } from '../renewals/lifecycle';
import {
  AssignmentsBody,
  PaymentBody,
  type PurchaseAuthorization,
  PurchaseAuthorizationCreateBody,
  PurchaseAuthorizationDetails,
  PurchaseAuthorizationListQuery,
  Plans,
} from './schemas';

const toPaJson = (pa: PurchaseAuthorizationRow): z.infer<typeof PurchaseAuthorization> => ({
  id: pa.id,
  customerId: pa.customerId,
  product: pa.product,
  licenseType: pa.licenseType,
  quantity: pa.quantity,
  licensesAssigned: pa.licensesAssigned,
  status: pa.status,
  serialNumber: pa.serialNumber,
  licenseStatus: pa.licenseStatus,
  createdAt: pa.createdAt.toISOString(),
  orderedAt: iso(pa.orderedAt),
  paidAt: iso(pa.paidAt),
  amount: pa.amountMinor !== null && pa.currency !== null ? money(pa.amountMinor, pa.currency) : null,
  vipSelectDiscountPercent: pa.vipSelectDiscountPercent,
});

export function purchaseAuthorizationRoutes(api: Api, { sql, temporal, config }: AppDeps): void {
  const ownPa = ownedBy('Purchase authorization', (resellerId, id) => findPurchaseAuthorization(sql, resellerId, id));
  const ownCustomer = ownedBy('Customer', (resellerId, id) => findCustomer(sql, resellerId, id));
  const handleOf = (id: string) => temporal.workflow.getHandle(purchaseAuthorizationWorkflowId(id));

  type Live = Pick<
    PurchaseAuthorizationState,
    'licensesActive' | 'overdueAt' | 'deactivateAt' | 'returnableUntil' | 'returnRequestedAt' | 'returnProcessedBy'
  >;
  /** The stored row with the lifecycle's live state (deadlines): from the run when not given. */
  async function withState(
    pa: PurchaseAuthorizationRow,
    given?: Live,
  ): Promise<z.infer<typeof PurchaseAuthorizationDetails>> {
    const live =
      given ??
      (await handleOf(pa.id)
        .query(purchaseAuthorizationStateQuery)
        .catch(() => null));
    return {
      ...toPaJson(pa),
      licensesActive:
        live?.licensesActive ?? ['pending', 'ordered', 'paid', 'overdue', 'return_requested'].includes(pa.status),
      overdueAt: live?.overdueAt ?? null,
      deactivateAt: live?.deactivateAt ?? null,
      returnableUntil: live?.returnableUntil ?? null,
      returnRequestedAt: live?.returnRequestedAt ?? null,
      returnProcessedBy: live?.returnProcessedBy ?? null,
    };
  }

  // P1: immediate access while the PA is pending; refused while an earlier PA is overdue (P2).
  createRoute(api, sql, {
    path: '/v1/purchase-authorizations',
    summary:
      'Create a purchase authorization: immediate access while pending (P1); refused while one is overdue (P2); ' +
      'the first sets the anniversary (C5); an extended term at signup (C6)',
    body: PurchaseAuthorizationCreateBody,
    response: json(
      'The purchase authorization with its deadlines',
      PurchaseAuthorizationDetails,
      createdHeaders('The purchase authorization'),
    ),
    errors: [404, 409, 422, 503],
    check: async (principal, body) => {
      const customer = await ownCustomer(principal, body.customerId);
      // C7: what is bought comes from the catalog; its kind of license need not be the customer's type.
      if (!(await findVipProduct(sql, body.product)))
        throw unprocessableField('product', 'is not a product of the catalog');
      if (body.priceList !== undefined && body.amount !== undefined)
        throw unprocessableField('priceList', 'give either amount or priceList, not both');
      if (body.priceList !== undefined && !(await findVipProductPrice(sql, body.product, body.priceList)))
        throw unprocessableField('priceList', 'is not a price list of the catalog');
      if (body.extendedTermMonths !== undefined) {
        const issue = extendedTermIssue(customer.marketSegment as MarketSegment, body.extendedTermMonths);
        if (issue) throw unprocessableField('extendedTermMonths', issue);
      }
      if (await hasOverduePurchaseAuthorization(sql, customer.id)) {
        throw refusal(
          PurchaseAuthorizationFailure.Refused,
          'The customer has an overdue purchase authorization; no new one until it is paid (P2).',
        );
      }
      return customer;
    },
    create: async (principal, body, id, customer, timing) => {
      const terms = purchaseAuthorizationTerms(config);
      const input: PurchaseAuthorizationInput = {
        paId: id,
        resellerId: principal.resellerId,
        customerId: customer.id,
        createdBy: principal.userId,
        product: body.product,
        quantity: body.quantity,
        extendedTermMonths: body.extendedTermMonths ?? null,
        amount: body.amount ?? null,
        priceList: body.priceList ?? null,
        terms,
      };
      // P1: stored with its active license as the run starts; the deadlines count from the stored PA.
      const stored = await createLifecycle(
        sql,
        temporal,
        config,
        async (tx) => {
          const outcome = await storePurchaseAuthorization(tx, input);
          if (outcome.refused !== null) throw refusal(PurchaseAuthorizationFailure.Refused, outcome.refused);
          return {
            row: await findPurchaseAuthorization(tx, principal.resellerId, id),
            start: {
              workflowType: 'purchaseAuthorizationWorkflow',
              workflowId: purchaseAuthorizationWorkflowId(id),
              // R4: a PA priced as it was stored starts its run with that price (its payment must cover it).
              args: [{ ...input, amount: outcome.amount, createdAt: outcome.createdAt }],
              lifecycle: 'purchase-authorization',
              resellerId: principal.resellerId,
              customerId: customer.id,
            },
          };
        },
        timing,
      );
      const pa = stored ?? (await findPurchaseAuthorization(sql, principal.resellerId, id));
      if (!pa) throw refusal(PurchaseAuthorizationFailure.Refused, 'The purchase authorization was refused.');
      // C5/R1: the first purchase sets the anniversary; its renewal run starts counting down.
      const profile = await findRenewalProfile(sql, principal.resellerId, customer.id);
      if (profile) await ensureRenewal(temporal, config, profile);
      if (!stored) return withState(pa);
      const deadlines = purchaseAuthorizationDeadlines(pa.createdAt.getTime(), terms);
      return withState(pa, {
        licensesActive: true,
        overdueAt: new Date(deadlines.overdueAt).toISOString(),
        deactivateAt: new Date(deadlines.deactivateAt).toISOString(),
        returnableUntil: null,
        returnRequestedAt: null,
        returnProcessedBy: null,
      });
    },
  });

  // P5: the plans view of one customer: its PAs, fulfilled and pending, assigned and unassigned licenses.
  getRoute(api, {
    path: '/v1/purchase-authorizations',
    summary: 'The plans view of one customer: its PAs, fulfilled and pending, assigned and unassigned licenses (P5)',
    query: PurchaseAuthorizationListQuery,
    response: json("The customer's PAs and plan counts", Plans),
    errors: [404],
    answer: async (principal, query) => {
      const customer = await ownCustomer(principal, query.customerId);
      const [rows, plans] = await Promise.all([
        listPurchaseAuthorizations(sql, principal.resellerId, customer.id),
        planCounts(sql, customer.id),
      ]);
      return { data: rows.map(toPaJson), plans };
    },
  });

  getOwnedRoute(api, {
    path: '/v1/purchase-authorizations/{id}',
    summary: 'One purchase authorization, with its overdue, deactivation and return deadlines (P1-P4)',
    response: json('The purchase authorization', PurchaseAuthorizationDetails),
    own: ownPa,
    view: (pa) => withState(pa),
  });

  // A finished lifecycle (cancelled, returned, paid past its return window) takes no more changes: 409.
  actionRoutes(api, {
    path: '/v1/purchase-authorizations/{id}',
    response: json('The purchase authorization after the change', PurchaseAuthorizationDetails),
    errors: [409, 503],
    own: ownPa,
    actions: [
      ['order', placeOrderUpdate, 'Place an order under the PA (P1, P2)'],
      ['cancel', cancelPurchaseAuthorizationUpdate, 'Cancel while pending and with no license assigned (P3)'],
      [
        'return',
        requestReturnUpdate,
        'Request a return authorization after an order, within the return window; processed after PA_RETURN_PROCESSING, then the PA and its licenses are returned (P4)',
      ],
    ],
    handleOf: (pa) => handleOf(pa.id),
    view: async (pa, _state, { principal }) => withState(await ownPa(principal, pa.id)),
  });

  // P2/D6: a payment recorded by a billing user, with its evidence; the provider's signed webhook is the other way
  // (api/billing/routes.ts). The reference is unique per reseller: the same payment sent again answers as the first.
  ownedRoute(api, {
    method: 'post',
    path: '/v1/purchase-authorizations/{id}/payment',
    summary:
      'Record a payment of the PA (amount and reference): at any point it restores the licenses (P2); it enters ' +
      'the balance (D6). The same reference again answers as the first time.',
    permission: 'billing',
    body: PaymentBody,
    responses: {
      200: json('The purchase authorization, paid', PurchaseAuthorizationDetails, {
        'Idempotent-Replayed': 'true when this reference was recorded before, for this PA and amount',
      }),
    },
    errors: [
      [409, 'The reference was recorded for another payment, or the PA cannot be paid (cancelled, returned, paid)'],
      [422, "The payment does not cover the PA's amount, or is in another currency"],
      503,
    ],
    own: ownPa,
    handler: async (pa, { principal, actor, body }) => {
      const evidence = { resellerId: principal.resellerId, reference: body.reference };
      /** The answer to a reference recorded before: the same PA and amount is a replay; anything else a conflict. */
      const replayOf = async (earlier: PurchaseAuthorizationPaymentRow) => {
        if (
          earlier.purchaseAuthorizationId !== pa.id ||
          earlier.amountMinor !== body.amountMinor ||
          earlier.currency !== body.currency
        )
          throw new HttpError(
            409,
            'payment_reference_used',
            `reference: a payment with this reference was already recorded (${earlier.amountMinor} ${earlier.currency}` +
              `${earlier.purchaseAuthorizationId === pa.id ? '' : ', for something else'}).`,
          );
        return reply(200, await withState(await ownPa(principal, pa.id)), { 'Idempotent-Replayed': 'true' });
      };
      const earlier = await findPaymentByEvidence(sql, evidence);
      if (earlier) return replayOf(earlier);
      const shortfall = paymentShortfall(paAmount(pa), body);
      if (shortfall) throw new HttpError(422, 'payment_does_not_cover', shortfall);
      const payment: PurchaseAuthorizationPayment = {
        paymentId: randomUUID(),
        source: 'recorded',
        providerEventId: null,
        reference: body.reference,
        amountMinor: body.amountMinor,
        currency: body.currency,
      };
      for (let attempt = 1; ; attempt++) {
        try {
          await runUpdate(handleOf(pa.id), recordPaymentUpdate, { actor, payment });
          break;
        } catch (err) {
          // The same payment sent twice at once: the first one recorded it, the second answers as its replay. While
          // the first is being recorded the lifecycle refuses a second change (busy): wait for it, briefly.
          const recorded = await findPaymentByEvidence(sql, evidence);
          if (recorded) return replayOf(recorded);
          const busy = err instanceof HttpError && err.code === errorCode(LifecycleFailure.Busy);
          if (!busy || attempt >= 20) throw err;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      return reply(200, await withState(await ownPa(principal, pa.id)), { 'Idempotent-Replayed': 'false' });
    },
  });

  // P3/P5: how many of the PA's licenses are assigned to users.
  ownedRoute(api, {
    method: 'put',
    path: '/v1/purchase-authorizations/{id}/assignments',
    summary: "How many of the PA's licenses are assigned to users (P3, P5)",
    permission: 'order',
    body: AssignmentsBody,
    responses: { 200: json('The purchase authorization', PurchaseAuthorizationDetails) },
    errors: [409, 422, 503],
    own: ownPa,
    handler: async (pa, { principal, actor, body }) => {
      if (body.assigned > pa.quantity) throw unprocessableField('assigned', `must be at most ${pa.quantity}`);
      await runUpdate(handleOf(pa.id), assignLicensesUpdate, { assigned: body.assigned, actor });
      return reply(200, await withState(await ownPa(principal, pa.id)));
    },
  });
}
