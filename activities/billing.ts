import { ApplicationFailure } from '@temporalio/activity';
import * as billing from '../db/billing';
import { durationMs } from '../workflows/duration';
import { BillingFailure, type BillingCycle } from '../workflows/definitions';
import { type ActivityDeps, sendOnce } from './mailer';
import { renderInvoiceEmail } from './templates/billing';

const orderGone = (orderId: string) =>
  ApplicationFailure.nonRetryable(`order ${orderId} not found`, BillingFailure.NotFound);

/**
 * Activities of billing (B1, B2, S1, S2, O6). Every invoice bills the customer's current reseller at the
 * order's prices as ordered. Where a driver-swap adjustment (O6) is invoiced, exactly once each:
 * - an order billed by cycle: on its next cycle's invoice;
 * - a perpetual order already invoiced: at once, on an invoice of its own (invoiceDriverChange);
 * - before the order's first invoice: that invoice bills the new drivers in full and settles it.
 */
export function createBillingActivities(deps: ActivityDeps) {
  const { sql, config } = deps;
  const dueFrom = (at: Date) => new Date(at.getTime() + durationMs(config.INVOICE_PAYMENT_TERMS)).toISOString();

  return {
    /**
     * B1/B2: opens a billing period and issues its invoice (with the adjustments not invoiced yet); the charge
     * goes on the reseller's balance (D6). Keyed by (order, period start): a retry finds the invoice issued.
     */
    async openBillingCycle(args: {
      orderId: string;
      cycle: BillingCycle;
      periodStart: string;
      periodEnd: string;
      dueAt: string;
    }): Promise<billing.IssuedInvoice> {
      const opened = await billing.openBillingCycle(sql, args);
      if (!opened) throw orderGone(args.orderId);
      return opened;
    },

    /** B1: a perpetual order is invoiced once, for its sale; a repeat finds the invoice. */
    async invoicePerpetualOrder(args: { orderId: string }): Promise<billing.IssuedInvoice | null> {
      const now = new Date();
      return billing.invoicePerpetualSale(sql, { orderId: args.orderId, at: now.toISOString(), dueAt: dueFrom(now) });
    },

    /**
     * O6: a driver swap of a perpetual order already invoiced, invoiced at once; null when the adjustment waits
     * for another invoice (an order billed by cycle, or not invoiced yet). A repeat finds the same invoice.
     */
    async invoiceDriverChange(args: { orderId: string; adjustmentId: string }): Promise<billing.IssuedInvoice | null> {
      const now = new Date();
      return billing.invoiceAdjustment(sql, { ...args, at: now.toISOString(), dueAt: dueFrom(now) });
    },

    /**
     * S1/S2: changes the entitlement, the pending suspension or the billing state; the license's status and
     * the audit event are written in the same transaction. Repeating a change already made is a no-op.
     */
    async changeBilling(args: {
      orderId: string;
      set: billing.BillingChange;
      action: string;
      actor: string;
    }): Promise<void> {
      if ((await billing.changeBilling(sql, args)) === 'not_found')
        throw ApplicationFailure.nonRetryable(`no billing for order ${args.orderId}`, BillingFailure.NotFound);
    },

    /** B1: emails the invoice to the billing users of the reseller it was issued to (else the order's creator). */
    async sendInvoiceEmail(args: { invoiceId: string; key: string }): Promise<void> {
      const d = await billing.invoiceEmailData(sql, args.invoiceId);
      if (!d) throw ApplicationFailure.nonRetryable(`invoice ${args.invoiceId} not found`, 'InvoiceNotFound');
      for (const user of await billing.billingRecipients(sql, d.resellerId, d.createdBy)) {
        const email = renderInvoiceEmail({
          ...d,
          recipientName: user.name,
          invoiceUrl: `${config.PUBLIC_BASE_URL}/v1/invoices/${args.invoiceId}/pdf`,
        });
        await sendOnce(deps, `${args.key}/${user.id}`, {
          ...email,
          to: user.email,
          template: 'billing.invoice',
        });
      }
    },
  };
}
