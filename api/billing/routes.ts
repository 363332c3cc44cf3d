import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import express, { type RequestHandler } from 'express';
import { z } from 'zod';
import { billingTerms } from '../../config/terms';
import {
  balanceOf,
  findBillingSubscription,
  findInvoice,
  invoiceLines,
  listInvoices,
  recordPayment,
} from '../../db/billing';
import { findOrder } from '../../db/orders';
import { findPaymentByEvidence, findPurchaseAuthorizationForPayment, paAmount } from '../../db/purchase-authorizations';
import {
  type BillingInput,
  billingStartedUpdate,
  billingStatusQuery,
  billingWorkflowId,
  type PurchaseAuthorizationPayment,
  paymentShortfall,
  purchaseAuthorizationWorkflowId,
  reactivateUpdate,
  recordPaymentUpdate,
  revokeSuspensionUpdate,
  stopUpdate,
  suspendUpdate,
} from '../../workflows/definitions';
import { type Api, defineRoute, file, json, reply, created } from '../http/define-route';
import type { AppDeps } from '../http/deps';
import { HttpError, notFound } from '../http/errors';
import { runUpdate, startLifecycle } from '../http/lifecycles';
import { ownedBy } from '../http/owned';
import { actionRoutes, getOwnedRoute, getRoute, listRoute, ownedRoute } from '../http/route-kinds';
import { money } from '../http/schemas';
import { renderInvoicePdf } from './invoice-pdf';
import {
  Balance,
  BalanceQuery,
  BillingStartBody,
  BillingStatus,
  InvoiceDetails,
  InvoiceList,
  InvoiceListQuery,
  invoiceJson,
  PaymentEvent,
  PaymentReceived,
  PaymentSignatureHeaders,
} from './schemas';

/** The SaaS subscription types that are billed by cycle, and their cycle. */
const CYCLE_OF: Record<string, BillingInput['cycle']> = { 'saas-monthly': 'monthly', 'saas-annual': 'annual' };

/** Verifies `sha256=<hex>` over the raw body in constant time. */
export function verifySignature(secret: string, rawBody: Buffer, header: string | undefined): boolean {
  const match = /^sha256=([0-9a-f]{64})$/i.exec(header ?? '');
  if (!match?.[1]) return false;
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  return timingSafeEqual(expected, Buffer.from(match[1], 'hex'));
}

export function billingRoutes(api: Api, { sql, temporal, config }: AppDeps): void {
  const ownBilling = ownedBy('Billing subscription', (resellerId, id) => findBillingSubscription(sql, resellerId, id));
  const ownInvoice = ownedBy('Invoice', (resellerId, id) => findInvoice(sql, resellerId, id));
  const ownOrder = ownedBy('Order', (resellerId, id) => findOrder(sql, resellerId, id));
  const handleOf = (orderId: string) => temporal.workflow.getHandle(billingWorkflowId(orderId));
  /** The billing's live state, from its workflow. */
  const liveState = (orderId: string) => handleOf(orderId).query(billingStatusQuery);

  // S1/S2/B1: start billing an active SaaS order; a repeat answers with the running billing.
  defineRoute(api, {
    method: 'post',
    path: '/v1/billing/subscriptions',
    summary:
      'Start billing an active SaaS order (monthly or annual) by cycle; the first cycle is invoiced at once ' +
      '(S1, S2, B1)',
    permission: 'order',
    body: BillingStartBody,
    responses: {
      201: json('Billing started: the live state of the first cycle', BillingStatus, {
        Location: '/v1/billing/subscriptions/{orderId}',
      }),
      200: json("Already billed: the running billing's live state", BillingStatus),
    },
    errors: [404, [409, 'Not an active SaaS order'], 503],
    handler: async ({ principal, body }) => {
      const order = await ownOrder(principal, body.orderId);
      const cycle = CYCLE_OF[order.subscriptionType];
      if (order.kind !== 'order' || !cycle)
        throw new HttpError(
          409,
          'not_billable',
          'Only an order of a SaaS subscription type (monthly or annual) is billed by cycle.',
        );
      if (order.licenseStatus !== 'active')
        throw new HttpError(
          409,
          'not_active',
          `The license is ${order.licenseStatus.replace('_', ' ')}; billing starts once it is active.`,
        );
      const input: BillingInput = {
        orderId: order.id,
        resellerId: principal.resellerId,
        customerId: order.customerId,
        ...billingTerms(config, cycle),
        startedBy: principal.userId,
      };
      const existed = (await findBillingSubscription(sql, principal.resellerId, order.id)) !== null;
      const started = await startLifecycle(
        temporal,
        config,
        {
          workflowType: 'billingWorkflow',
          workflowId: billingWorkflowId(order.id),
          args: [input],
          lifecycle: 'billing',
          resellerId: principal.resellerId,
          customerId: order.customerId,
        },
        billingStartedUpdate,
      );
      const state = started ?? (await liveState(order.id));
      return existed ? reply(200, state) : created(`/v1/billing/subscriptions/${order.id}`, state);
    },
  });

  // The live state, from the workflow.
  getOwnedRoute(api, {
    path: '/v1/billing/subscriptions/{orderId}',
    summary: "The billing's live state: current period, next payment date, entitlement, pending suspension (S1, S2)",
    response: json('The live state, from the workflow', BillingStatus),
    own: ownBilling,
    view: (billing) => liveState(billing.orderId),
  });

  actionRoutes(api, {
    path: '/v1/billing/subscriptions/{orderId}',
    response: json('The live state after the change', BillingStatus),
    errors: [409, 503],
    own: ownBilling,
    actions: [
      [
        'suspend',
        suspendUpdate,
        'Suspend: the license lapses at the end of the current cycle; revocable until then (S1)',
      ],
      ['revoke-suspension', revokeSuspensionUpdate, 'Revoke a pending suspension before the cycle ends (S1)'],
      ['stop', stopUpdate, 'Stop: the license is suspended at once (S2)'],
      [
        'reactivate',
        reactivateUpdate,
        'Re-enable the license after a stop or a lapse; paused billing starts a new cycle (S1, S2)',
      ],
    ],
    handleOf: (billing) => handleOf(billing.orderId),
    view: async (_billing, state) => state,
  });

  // B1/T2: invoices need the billing permission.
  listRoute(api, {
    path: '/v1/invoices',
    summary: "List the reseller's invoices, net of its discount, newest first (B1, T2)",
    permission: 'billing',
    query: InvoiceListQuery,
    response: json('A page of invoices and the next cursor', InvoiceList),
    list: (principal, page) => listInvoices(sql, principal.resellerId, page),
    toJson: invoiceJson,
  });

  getOwnedRoute(api, {
    path: '/v1/invoices/{id}',
    summary: 'One invoice with its lines: subtotal, discount, total (B1)',
    permission: 'billing',
    response: json('The invoice', InvoiceDetails),
    own: ownInvoice,
    view: async (invoice) => ({
      ...invoiceJson(invoice),
      lines: (await invoiceLines(sql, invoice.id)).map((l) => ({
        item: l.item,
        description: l.description,
        unitPrice: money(l.unitPriceMinor, invoice.currency),
      })),
    }),
  });

  ownedRoute(api, {
    method: 'get',
    path: '/v1/invoices/{id}/pdf',
    summary: 'Download or print the invoice (B1)',
    permission: 'billing',
    own: ownInvoice,
    responses: {
      200: file(
        'The invoice as a PDF, inline, named after its number',
        'application/pdf',
        z.string().meta({ format: 'binary' }),
        { 'Content-Disposition': 'inline; filename="<number>.pdf"' },
      ),
    },
    handler: async (invoice) => {
      const pdf = await renderInvoicePdf(invoice, await invoiceLines(sql, invoice.id));
      return reply(200, pdf, { 'Content-Disposition': `inline; filename="${invoice.number}.pdf"` });
    },
  });

  // D6: the reseller's balance per currency and its transactions, newest first.
  getRoute(api, {
    path: '/v1/balance',
    summary: "The reseller's balance per currency and its transactions, newest first (D6)",
    permission: 'billing',
    query: BalanceQuery,
    response: json('Balances, a page of transactions and `nextBefore` for the next page', Balance),
    answer: async (principal, query) => {
      const { balances, transactions } = await balanceOf(sql, principal.resellerId, {
        limit: query.limit + 1,
        beforeId: query.before,
      });
      const page = transactions.slice(0, query.limit);
      const body = {
        balances: balances.map((b) => money(b.amountMinor, b.currency)),
        transactions: page.map((t) => ({
          id: t.id,
          kind: t.kind,
          invoiceId: t.invoiceId,
          purchaseAuthorizationId: t.purchaseAuthorizationId,
          amount: money(t.amountMinor, t.currency),
          description: t.description,
          createdAt: t.createdAt.toISOString(),
        })),
        nextBefore: transactions.length > query.limit ? (page[page.length - 1]?.id ?? null) : null,
      };
      return body;
    },
  });

  // B1 "paid online": the payment provider's webhook; no API key, it authenticates by the body's signature.
  const signedBody: RequestHandler = (req, _res, next) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    if (!verifySignature(config.PAYMENT_WEBHOOK_SECRET, raw, req.get('payment-signature')))
      throw new HttpError(401, 'bad_signature', 'The Payment-Signature header does not match the body.');
    try {
      req.body = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new HttpError(400, 'invalid_json', 'The request body is not valid JSON.');
    }
    next();
  };
  defineRoute(api, {
    method: 'post',
    path: '/webhooks/payments',
    summary:
      'The payment provider reports a payment: the invoice (B1) or the purchase authorization (P2) is paid once per ' +
      'event id, and the payment enters the balance (D6)',
    description:
      'Authenticated by `Payment-Signature: sha256=<hex>`, an HMAC-SHA256 of the raw body with ' +
      '`PAYMENT_WEBHOOK_SECRET`. A replayed event answers 200 with `duplicate: true`.',
    auth: 'paymentSignature',
    middleware: [express.raw({ type: '*/*', limit: '64kb' }), signedBody],
    headers: PaymentSignatureHeaders,
    body: PaymentEvent,
    responses: { 200: json('Received, once per event id', PaymentReceived) },
    errors: [
      [401, 'The Payment-Signature header does not match the body'],
      [404, 'No such invoice or purchase authorization'],
      [409, 'The purchase authorization cannot be paid (cancelled, returned, paid by another payment)'],
      [422, 'The invoice is already paid, or the amount or currency differs from it; the PA payment does not cover it'],
      503,
    ],
    handler: async ({ body }) => {
      const { purchaseAuthorizationId, invoiceId, amountMinor, currency } = body.data;
      if (purchaseAuthorizationId) {
        const outcome = await payPurchaseAuthorization(body.id, purchaseAuthorizationId, { amountMinor, currency });
        return reply(200, { received: true as const, duplicate: outcome === 'duplicate' });
      }
      const result = await recordPayment(sql, {
        eventId: body.id,
        invoiceId: invoiceId as string,
        amountMinor,
        currency,
      });
      switch (result.outcome) {
        case 'applied':
        case 'duplicate':
          return reply(200, { received: true as const, duplicate: result.outcome === 'duplicate' });
        case 'unknown_invoice':
          throw notFound('Invoice');
        case 'mismatch':
          throw new HttpError(422, 'payment_mismatch', result.message);
      }
    },
  });

  /** P2/D6: the provider's payment of a PA, through the PA's lifecycle (which restores its licenses); once per event. */
  async function payPurchaseAuthorization(
    eventId: string,
    paId: string,
    paid: { amountMinor: number; currency: string },
  ): Promise<'applied' | 'duplicate'> {
    const evidence = { providerEventId: eventId };
    if (await findPaymentByEvidence(sql, evidence)) return 'duplicate';
    const pa = await findPurchaseAuthorizationForPayment(sql, paId);
    if (!pa) throw notFound('Purchase authorization');
    const shortfall = paymentShortfall(paAmount(pa), paid);
    if (shortfall) throw new HttpError(422, 'payment_mismatch', shortfall);
    const payment: PurchaseAuthorizationPayment = {
      paymentId: randomUUID(),
      source: 'provider',
      providerEventId: eventId,
      reference: null,
      ...paid,
    };
    try {
      await runUpdate(temporal.workflow.getHandle(purchaseAuthorizationWorkflowId(pa.id)), recordPaymentUpdate, {
        actor: 'payment-provider',
        payment,
      });
    } catch (err) {
      // The same event delivered twice at once: the first one recorded it.
      if (await findPaymentByEvidence(sql, evidence)) return 'duplicate';
      throw err;
    }
    return 'applied';
  }
}
