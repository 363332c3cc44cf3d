import { escapeHtml, layout, type RenderedEmail } from './layout';

export const formatMoney = (minor: number, currency: string): string =>
  new Intl.NumberFormat('en', { style: 'currency', currency }).format(minor / 100);
const day = (d: Date) => d.toISOString().slice(0, 10);

export interface InvoiceEmailData {
  recipientName: string;
  resellerName: string;
  number: string;
  organizationName: string;
  serialNumber: string;
  currency: string;
  periodStart: Date;
  periodEnd: Date;
  subtotalMinor: number;
  discountPercent: number;
  discountMinor: number;
  totalMinor: number;
  dueAt: Date;
  invoiceUrl: string;
}

/** B1: a new cycle's invoice to the reseller, net of its discount. */
export function renderInvoiceEmail(d: InvoiceEmailData): RenderedEmail {
  const paragraphs = [
    `Invoice ${d.number} for ${d.organizationName} (license ${d.serialNumber}), period ${day(d.periodStart)} to ${day(d.periodEnd)}.`,
    `List price ${formatMoney(d.subtotalMinor, d.currency)}, your discount ${d.discountPercent}% (${formatMoney(d.discountMinor, d.currency)}): total ${formatMoney(d.totalMinor, d.currency)}.`,
    `Due on ${day(d.dueAt)}. Pay online or download the PDF from the portal.`,
  ];
  const greeting = `Hello ${d.recipientName},`;
  const action = { label: 'View invoice', url: d.invoiceUrl };
  return {
    subject: `Invoice ${d.number}: ${formatMoney(d.totalMinor, d.currency)} due ${day(d.dueAt)}`,
    text: [
      greeting,
      '',
      ...paragraphs.flatMap((p) => [p, '']),
      `${action.label}: ${action.url}`,
      '',
      `${d.resellerName} billing`,
    ].join('\n'),
    html: layout({
      preheader: paragraphs[0]!,
      heading: `Invoice ${d.number}`,
      paragraphs: [escapeHtml(greeting), ...paragraphs.map(escapeHtml)],
      action,
      footer: `Sent to ${d.resellerName}'s billing contacts.`,
    }),
  };
}
