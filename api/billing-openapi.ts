import type { OpenAPIRegistry, ResponseConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import {
  AssignmentsBody,
  PurchaseAuthorizationCreateBody,
  PurchaseAuthorizationListQuery,
} from './routes/authorizations';
import { BalanceQuery, BillingStartBody, InvoiceListQuery, PaymentEvent } from './routes/billing';
import { RenewalQuantityBody } from './routes/renewals';

// The billing cycle's, invoices', balance's, payment webhook's, purchase authorizations' and renewals'
// paths (S1, S2, B1, D6, P1-P5, R1-R5, C5, C6) in the OpenAPI document.

type Errors = (...codes: number[]) => Record<string, ResponseConfig>;
const idParam = z.object({ id: z.uuid() });
const orderIdParam = z.object({ orderId: z.uuid() });
const customerIdParam = z.object({ customerId: z.uuid() });
const body = (schema: z.ZodType) => ({ content: { 'application/json': { schema } } });

export function registerBillingPaths(
  registry: OpenAPIRegistry,
  security: Record<string, string[]>[],
  errors: Errors,
): void {
  // --- Billing cycle (S1, S2, B1) -------------------------------------------------------------------
  registry.registerPath({
    method: 'post',
    path: '/v1/billing/subscriptions',
    summary:
      'Start billing an active SaaS order (monthly or annual) by cycle; the first cycle is invoiced at once (S1, S2, B1)',
    security,
    request: { body: body(BillingStartBody) },
    responses: {
      201: {
        description:
          'Billing started: the live state of the first cycle (Location: /v1/billing/subscriptions/{orderId})',
      },
      200: { description: "Already billed: the running billing's live state" },
      ...errors(400, 401, 403, 404, 409),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/billing/subscriptions/{orderId}',
    summary: "The billing's live state: current period, next payment date, entitlement, pending suspension (S1, S2)",
    security,
    request: { params: orderIdParam },
    responses: { 200: { description: 'The live state, from the workflow' }, ...errors(401, 404) },
  });
  for (const [action, summary] of [
    ['suspend', 'Suspend: the license lapses at the end of the current cycle; revocable until then (S1)'],
    ['revoke-suspension', 'Revoke a pending suspension before the cycle ends (S1)'],
    ['stop', 'Stop: the license is suspended at once (S2)'],
    ['reactivate', 'Re-enable the license after a stop or a lapse; paused billing starts a new cycle (S1, S2)'],
  ] as const) {
    registry.registerPath({
      method: 'post',
      path: `/v1/billing/subscriptions/{orderId}/${action}`,
      summary,
      security,
      request: { params: orderIdParam },
      responses: { 200: { description: 'The live state after the change' }, ...errors(401, 403, 404, 409) },
    });
  }

  // --- Invoices and balance (B1, D6; the billing permission, T2) -------------------------------------
  registry.registerPath({
    method: 'get',
    path: '/v1/invoices',
    summary: "List the reseller's invoices, net of its discount, newest first (B1, T2)",
    security,
    request: { query: InvoiceListQuery },
    responses: { 200: { description: 'A page of invoices and the next cursor' }, ...errors(400, 401, 403) },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/invoices/{id}',
    summary: 'One invoice with its lines: subtotal, discount, total (B1)',
    security,
    request: { params: idParam },
    responses: { 200: { description: 'The invoice' }, ...errors(401, 403, 404) },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/invoices/{id}/pdf',
    summary: 'Download or print the invoice (B1)',
    security,
    request: { params: idParam },
    responses: {
      200: {
        description: 'The invoice as a PDF, inline, named after its number',
        content: { 'application/pdf': { schema: { type: 'string', format: 'binary' } } },
      },
      ...errors(401, 403, 404),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/balance',
    summary: "The reseller's balance per currency and its transactions, newest first (D6)",
    security,
    request: { query: BalanceQuery },
    responses: {
      200: { description: 'Balances, a page of transactions and `nextBefore` for the next page' },
      ...errors(400, 401, 403),
    },
  });

  // --- The payment provider's webhook (B1 "paid online"): signed, no API key -------------------------
  // The shared error body, with what it means here.
  const error = (code: number, description: string) => ({ [code]: { ...errors(code)[code]!, description } });
  registry.registerPath({
    method: 'post',
    path: '/webhooks/payments',
    summary: 'The payment provider reports a payment: the invoice is marked paid once per event id (B1, D6)',
    description:
      'Authenticated by `Payment-Signature: sha256=<hex>`, an HMAC-SHA256 of the raw body with `PAYMENT_WEBHOOK_SECRET`. A replayed event answers 200 with `duplicate: true`.',
    request: {
      headers: z.object({ 'Payment-Signature': z.string().regex(/^sha256=[0-9a-fA-F]{64}$/) }),
      body: body(PaymentEvent),
    },
    responses: {
      200: { description: 'Received: `{ received: true, duplicate }`' },
      ...error(400, 'Not JSON, or not a payment event: the field and the reason'),
      ...error(401, 'The Payment-Signature header does not match the body'),
      ...error(404, 'No such invoice'),
      ...error(422, 'The invoice is already paid, or the amount or currency differs from it'),
    },
  });

  // --- Purchase authorizations (P1-P5, C5, C6) -------------------------------------------------------
  registry.registerPath({
    method: 'post',
    path: '/v1/purchase-authorizations',
    summary:
      'Create a purchase authorization: immediate access while pending (P1); refused while one is overdue (P2); the first sets the anniversary (C5); an extended term at signup (C6)',
    security,
    request: {
      headers: z.object({ 'Idempotency-Key': z.string().max(255).optional() }),
      body: body(PurchaseAuthorizationCreateBody),
    },
    responses: {
      201: { description: 'The purchase authorization with its deadlines' },
      ...errors(400, 401, 403, 404, 409, 422),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/purchase-authorizations',
    summary: 'The plans view of one customer: its PAs, fulfilled and pending, assigned and unassigned licenses (P5)',
    security,
    request: { query: PurchaseAuthorizationListQuery },
    responses: { 200: { description: "The customer's PAs and plan counts" }, ...errors(400, 401, 404) },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/purchase-authorizations/{id}',
    summary: 'One purchase authorization, with its overdue, deactivation and return deadlines (P1-P4)',
    security,
    request: { params: idParam },
    responses: { 200: { description: 'The purchase authorization' }, ...errors(401, 404) },
  });
  for (const [action, summary] of [
    ['order', 'Place an order under the PA (P1, P2)'],
    ['payment', 'Record the payment; at any point it restores the licenses (P2)'],
    ['cancel', 'Cancel while pending and with no license assigned; the customer loses access (P3)'],
    ['return', 'Request a return authorization after an order, within the return window (P4)'],
  ] as const) {
    registry.registerPath({
      method: 'post',
      path: `/v1/purchase-authorizations/{id}/${action}`,
      summary,
      security,
      request: { params: idParam },
      responses: { 200: { description: 'The purchase authorization after the change' }, ...errors(401, 403, 404, 409) },
    });
  }
  registry.registerPath({
    method: 'put',
    path: '/v1/purchase-authorizations/{id}/assignments',
    summary: "How many of the PA's licenses are assigned to users (P3, P5)",
    security,
    request: { params: idParam, body: body(AssignmentsBody) },
    responses: { 200: { description: 'The purchase authorization' }, ...errors(400, 401, 403, 404, 409) },
  });

  // --- Renewals (R1-R5, C5, C6) ----------------------------------------------------------------------
  registry.registerPath({
    method: 'get',
    path: '/v1/renewals/{customerId}',
    summary:
      "The customer's renewal: anniversary (C5), current term (C6), notices and window (R1, R2), history (R3), VIP Select (R4), 3-year commitment (R5)",
    security,
    request: { params: customerIdParam },
    responses: {
      200: { description: "The renewal profile, the current term's live state and the renewal history" },
      ...errors(401, 404),
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/renewals/{customerId}/renew',
    summary: 'A renewal order inside the window, early, on time or late; refused outside it (R2, R3)',
    security,
    request: { params: customerIdParam, body: body(RenewalQuantityBody) },
    responses: { 200: { description: 'The renewal after the order' }, ...errors(400, 401, 403, 404, 409) },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/renewals/{customerId}/three-year-commitment',
    summary: 'A 3-year commitment: after VIP Select, never on an extended prepaid term (R4, R5, C6)',
    security,
    request: { params: customerIdParam, body: body(RenewalQuantityBody) },
    responses: { 200: { description: 'The renewal after the commitment' }, ...errors(400, 401, 403, 404, 409) },
  });
}
