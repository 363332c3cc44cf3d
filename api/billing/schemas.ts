import { z } from 'zod';
import { iso, isoTime, listOf, Money, money, pageQuery, requestBody } from '../http/schemas';
import type { InvoiceRow } from '../../db/billing';

// The billing cycle's, invoices', balance's and payment webhook's shapes (S1, S2, B1, D6).

export const BillingStartBody = requestBody('BillingStart', {
  orderId: z.uuid('must be the id of one of your orders'),
});

export const BillingStatus = z
  .object({
    orderId: z.uuid(),
    cycle: z.enum(['monthly', 'annual']),
    cyclesBilled: z.number().int(),
    currentPeriodStart: isoTime.nullable(),
    currentPeriodEnd: isoTime.nullable(),
    nextPaymentDate: isoTime.nullable().meta({ description: 'When the next invoice is issued; null while paused' }),
    billing: z.enum(['active', 'paused']),
    entitlement: z.enum(['active', 'suspended', 'stopped']),
    suspendAtCycleEnd: z.boolean(),
    currentInvoiceId: z.uuid().nullable(),
  })
  .meta({ id: 'BillingStatus' });

export const InvoiceListQuery = z
  .object({ status: z.enum(['open', 'paid']).optional(), orderId: z.uuid().optional(), ...pageQuery })
  .strict();

export const BalanceQuery = z
  .object({
    limit: pageQuery.limit,
    before: z
      .string()
      .regex(/^[0-9]{1,18}$/, 'must be a transaction id')
      .optional(),
  })
  .strict();

export const Invoice = z
  .object({
    id: z.uuid(),
    number: z.string(),
    orderId: z.uuid(),
    customerId: z.uuid(),
    status: z.enum(['open', 'paid']),
    periodStart: isoTime,
    periodEnd: isoTime,
    subtotal: Money,
    discountPercent: z.number(),
    discount: Money,
    total: Money.meta({ description: "Net of the reseller's discount (B1)" }),
    issuedAt: isoTime,
    dueAt: isoTime,
    paidAt: isoTime.nullable(),
  })
  .meta({ id: 'Invoice' });

export const InvoiceDetails = Invoice.extend({
  lines: z.array(z.object({ item: z.string(), description: z.string(), unitPrice: Money })),
}).meta({ id: 'InvoiceDetails' });

export const InvoiceList = listOf(Invoice).meta({ id: 'InvoiceList' });

export const Balance = z
  .object({
    balances: z.array(Money).meta({ description: 'What the reseller owes, per currency' }),
    transactions: z.array(
      z.object({
        id: z.string(),
        kind: z.enum(['invoice', 'purchase_authorization', 'payment']),
        invoiceId: z.uuid().nullable(),
        purchaseAuthorizationId: z.uuid().nullable().meta({ description: 'P2: the purchase authorization paid' }),
        amount: Money,
        description: z.string(),
        createdAt: isoTime,
      }),
    ),
    nextBefore: z.string().nullable().meta({ description: 'Pass as `before` for the next page' }),
  })
  .meta({ id: 'Balance' });

/**
 * The provider's event, signed over the raw body (HMAC-SHA256, hex, header Payment-Signature: sha256=<hex>). It
 * pays an invoice (B1) or a purchase authorization (P2): exactly one of `invoiceId` and `purchaseAuthorizationId`.
 */
export const PaymentEvent = z
  .object({
    id: z.string().min(1).max(200),
    type: z.literal('payment.succeeded'),
    data: z
      .object({
        invoiceId: z.uuid().optional(),
        purchaseAuthorizationId: z.uuid().optional(),
        amountMinor: z.number().int().positive().max(2_147_483_647),
        currency: z.string().regex(/^[A-Z]{3}$/),
      })
      .strict()
      .refine((d) => (d.invoiceId === undefined) !== (d.purchaseAuthorizationId === undefined), {
        message: 'must name exactly one of invoiceId and purchaseAuthorizationId',
        path: ['invoiceId'],
      }),
  })
  .meta({ id: 'PaymentEvent' });

export const PaymentSignatureHeaders = z.object({
  'Payment-Signature': z.string().meta({ description: 'sha256=<hex>: HMAC-SHA256 of the raw body' }),
});

export const PaymentReceived = z
  .object({ received: z.literal(true), duplicate: z.boolean() })
  .meta({ id: 'PaymentReceived' });

export function invoiceJson(i: InvoiceRow): z.infer<typeof Invoice> {
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
    paidAt: iso(i.paidAt),
  };
}
