import { createHmac, timingSafeEqual } from 'node:crypto';
import express, { Router, type Request } from 'express';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import type { Config } from '../../config';
import type { Sql } from '../../db';
import {
  balanceOf,
  findBillingSubscription,
  findInvoice,
  invoiceLines,
  listInvoices,
  recordPayment,
  type InvoiceRow,
} from '../../db/billing';
import { findOrder } from '../../db/orders';
import {
  billingStartedUpdate,
  billingStatusQuery,
  billingWorkflowId,
  reactivateUpdate,
  revokeSuspensionUpdate,
  stopUpdate,
  suspendUpdate,
  type BillingInput,
} from '../../workflows/definitions';
import { actorOf, principalOf, requirePermission } from '../auth';
import { decodeCursor, pageOf } from '../cursor';
import { HttpError, notFound, parse } from '../errors';
import { renderInvoicePdf } from '../invoice-pdf';
import { runUpdate, startLifecycle } from '../lifecycles';

/** The SaaS subscription types that are billed by cycle, and their cycle. */
const CYCLE_OF: Record<string, BillingInput['cycle']> = { 'saas-monthly': 'monthly', 'saas-annual': 'annual' };

export const BillingStartBody = z
  .object({ orderId: z.uuid('must be the id of one of your orders') })
  .strict()
  .meta({ id: 'BillingStart' });

export const InvoiceListQuery = z
  .object({
    status: z.enum(['open', 'paid']).optional(),
    orderId: z.uuid().optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().max(200).optional(),
  })
  .strict();

export const BalanceQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(200).default(50),
    before: z
      .string()
      .regex(/^[0-9]{1,18}$/, 'must be a transaction id')
      .optional(),
  })
  .strict();

/** The provider's event, signed over the raw body (HMAC-SHA256, hex, header Payment-Signature: sha256=<hex>). */
export const PaymentEvent = z
  .object({
    id: z.string().min(1).max(200),
    type: z.literal('payment.succeeded'),
    data: z
      .object({
        invoiceId: z.uuid(),
        amountMinor: z.number().int().positive(),
        currency: z.string().regex(/^[A-Z]{3}$/),
      })
      .strict(),
  })
  .meta({ id: 'PaymentEvent' });

const money = (amountMinor: number, currency: string) => ({ amountMinor, currency });

function invoiceJson(i: InvoiceRow) {
  return {
    id: i.id,
    number: i.number,
    orderId: i.orderId,
    customerId: i.customerId,
    status: i.status,
    periodStart: i.periodStart.toISOString(),
    periodEnd: i.periodEnd.toISOString(),
    subtotal: money(i.subtotalMinor, i.currency),
    discountPercent: i.discountPercent,
    discount: money(i.discountMinor, i.currency),
    total: money(i.totalMinor, i.currency),
    issuedAt: i.issuedAt.toISOString(),
    dueAt: i.dueAt.toISOString(),
    paidAt: i.paidAt?.toISOString() ?? null,
  };
}

export function billingRouter({ sql, temporal, config }: { sql: Sql; temporal: Client; config: Config }): Router {
  const router = Router();

  async function ownBilling(req: Request) {
    const id = z.uuid().safeParse(req.params.orderId);
    const row = id.success ? await findBillingSubscription(sql, principalOf(req).resellerId, id.data) : null;
    if (!row) throw notFound('Billing subscription');
    return temporal.workflow.getHandle(billingWorkflowId(row.orderId));
  }
  async function ownInvoice(req: Request): Promise<InvoiceRow> {
    const id = z.uuid().safeParse(req.params.id);
    const invoice = id.success ? await findInvoice(sql, principalOf(req).resellerId, id.data) : null;
    if (!invoice) throw notFound('Invoice');
    return invoice;
  }

  // S1/S2/B1: start billing an active SaaS order; a repeat answers with the running billing.
  router.post('/billing/subscriptions', requirePermission('order'), async (req, res) => {
    const principal = principalOf(req);
    const { orderId } = parse(BillingStartBody, req.body);
    const order = await findOrder(sql, principal.resellerId, orderId);
    if (!order) throw notFound('Order');
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
      orderId,
      resellerId: principal.resellerId,
      customerId: order.customerId,
      cycle,
      cycleMonths: cycle === 'monthly' ? config.BILLING_MONTHLY_CYCLE_MONTHS : config.BILLING_ANNUAL_CYCLE_MONTHS,
      paymentTerms: config.INVOICE_PAYMENT_TERMS,
      startedBy: principal.userId,
    };
    const existed = (await findBillingSubscription(sql, principal.resellerId, orderId)) !== null;
    const handle = await startLifecycle(temporal, config, {
      workflowType: 'billingWorkflow',
      workflowId: billingWorkflowId(orderId),
      args: [input],
      lifecycle: 'billing',
      resellerId: principal.resellerId,
      customerId: order.customerId,
    });
    const state = await handle.executeUpdate(billingStartedUpdate);
    res
      .status(existed ? 200 : 201)
      .location(`/v1/billing/subscriptions/${orderId}`)
      .json(state);
  });

  // The live state, from the workflow.
  router.get('/billing/subscriptions/:orderId', async (req, res) => {
    res.json(await (await ownBilling(req)).query(billingStatusQuery));
  });

  for (const [path, update] of [
    ['suspend', suspendUpdate],
    ['revoke-suspension', revokeSuspensionUpdate],
    ['stop', stopUpdate],
    ['reactivate', reactivateUpdate],
  ] as const) {
    router.post(`/billing/subscriptions/:orderId/${path}`, requirePermission('order'), async (req, res) => {
      res.json(await runUpdate(await ownBilling(req), update, { actor: actorOf(req) }));
    });
  }

  // B1/T2: invoices need the billing permission.
  router.get('/invoices', requirePermission('billing'), async (req, res) => {
    const q = parse(InvoiceListQuery, req.query, 'query');
    const rows = await listInvoices(sql, principalOf(req).resellerId, {
      status: q.status,
      orderId: q.orderId,
      limit: q.limit + 1,
      after: q.cursor ? decodeCursor(q.cursor) : undefined,
    });
    const { page, nextCursor } = pageOf(rows, q.limit);
    res.json({ data: page.map(invoiceJson), nextCursor });
  });

  router.get('/invoices/:id', requirePermission('billing'), async (req, res) => {
    const invoice = await ownInvoice(req);
    const lines = await invoiceLines(sql, invoice.id);
    res.json({
      ...invoiceJson(invoice),
      lines: lines.map((l) => ({
        item: l.item,
        description: l.description,
        unitPrice: money(l.unitPriceMinor, invoice.currency),
      })),
    });
  });

  router.get('/invoices/:id/pdf', requirePermission('billing'), async (req, res) => {
    const invoice = await ownInvoice(req);
    const pdf = await renderInvoicePdf(invoice, await invoiceLines(sql, invoice.id));
    res.type('application/pdf').set('Content-Disposition', `inline; filename="${invoice.number}.pdf"`).send(pdf);
  });

  // D6: the reseller's balance per currency and its transactions, newest first.
  router.get('/balance', requirePermission('billing'), async (req, res) => {
    const q = parse(BalanceQuery, req.query, 'query');
    const { balances, transactions } = await balanceOf(sql, principalOf(req).resellerId, {
      limit: q.limit + 1,
      beforeId: q.before,
    });
    const page = transactions.slice(0, q.limit);
    res.json({
      balances: balances.map((b) => money(b.amountMinor, b.currency)),
      transactions: page.map((t) => ({
        id: t.id,
        kind: t.kind,
        invoiceId: t.invoiceId,
        amount: money(t.amountMinor, t.currency),
        description: t.description,
        createdAt: t.createdAt.toISOString(),
      })),
      nextBefore: transactions.length > q.limit ? (page[page.length - 1]?.id ?? null) : null,
    });
  });

  return router;
}

/** Verifies `sha256=<hex>` over the raw body in constant time. */
export function verifySignature(secret: string, rawBody: Buffer, header: string | undefined): boolean {
  const match = /^sha256=([0-9a-f]{64})$/i.exec(header ?? '');
  if (!match?.[1]) return false;
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  return timingSafeEqual(expected, Buffer.from(match[1], 'hex'));
}

/** B1 "paid online": the payment provider's webhook; mounted before the API-key check, it authenticates by signature. */
export function paymentWebhookRouter({ sql, config }: { sql: Sql; config: Config }): Router {
  const router = Router();
  router.post('/', express.raw({ type: '*/*', limit: '64kb' }), async (req, res) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    if (!verifySignature(config.PAYMENT_WEBHOOK_SECRET, raw, req.get('payment-signature'))) {
      throw new HttpError(401, 'bad_signature', 'The Payment-Signature header does not match the body.');
    }
    let json: unknown;
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new HttpError(400, 'invalid_json', 'The request body is not valid JSON.');
    }
    const event = parse(PaymentEvent, json);
    const result = await recordPayment(sql, { eventId: event.id, ...event.data });
    switch (result.outcome) {
      case 'applied':
        return void res.status(200).json({ received: true, duplicate: false });
      case 'duplicate':
        return void res.status(200).json({ received: true, duplicate: true });
      case 'unknown_invoice':
        throw notFound('Invoice');
      case 'mismatch':
        throw new HttpError(422, 'payment_mismatch', result.message);
    }
  });
  return router;
}
