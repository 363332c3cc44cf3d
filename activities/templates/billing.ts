import type { InvoiceEmailFacts } from '../../db/billing';
import { formatMoney, type RenderedEmail, renderEmail } from './layout';

const day = (d: Date) => d.toISOString().slice(0, 10);

/** The invoice as stored, and who reads it where. */
export interface InvoiceEmailData extends InvoiceEmailFacts {
  recipientName: string;
  invoiceUrl: string;
}

/** B1: a new cycle's invoice to the reseller, net of its discount. */
export function renderInvoiceEmail(d: InvoiceEmailData): RenderedEmail {
  return renderEmail({
    subject: `Invoice ${d.number}: ${formatMoney(d.totalMinor, d.currency)} due ${day(d.dueAt)}`,
    heading: `Invoice ${d.number}`,
    greeting: `Hello ${d.recipientName},`,
    paragraphs: [
      `Invoice ${d.number} for ${d.organizationName} (license ${d.serialNumber}), period ${day(d.periodStart)} to ${day(d.periodEnd)}.`,
      `List price ${formatMoney(d.subtotalMinor, d.currency)}, your discount ${d.discountPercent}% (${formatMoney(d.discountMinor, d.currency)}): total ${formatMoney(d.totalMinor, d.currency)}.`,
      `Due on ${day(d.dueAt)}. Pay online or download the PDF from the portal.`,
    ],
    action: { label: 'View invoice', url: d.invoiceUrl },
    footer: `Sent to ${d.resellerName}'s billing contacts.`,
    textFooter: `${d.resellerName} billing`,
  });
}
