import PDFDocument from 'pdfkit';
import type { InvoiceLineRow, InvoiceRow } from '../../db/billing';

const money = (minor: number, currency: string) => `${(minor / 100).toFixed(2)} ${currency}`;
const day = (d: Date) => d.toISOString().slice(0, 10);

/** B1: the invoice to download or print, with the net amount after the reseller's discount. */
export function renderInvoicePdf(
  invoice: InvoiceRow,
  lines: InvoiceLineRow[],
  opts: { compress?: boolean } = {},
): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A4',
    margin: 50,
    compress: opts.compress ?? true,
    info: { Title: `Invoice ${invoice.number}`, Author: invoice.resellerName },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const c = invoice.currency;
  doc.font('Helvetica-Bold').fontSize(20).text(`Invoice ${invoice.number}`);
  doc.moveDown(0.5).font('Helvetica').fontSize(10);
  doc.text(`Billed to: ${invoice.resellerName}`);
  doc.text(`Customer: ${invoice.organizationName} (license ${invoice.serialNumber})`);
  doc.text(`Period: ${day(invoice.periodStart)} to ${day(invoice.periodEnd)}`);
  doc.text(`Issued: ${day(invoice.issuedAt)}   Due: ${day(invoice.dueAt)}   Status: ${invoice.status}`);
  doc.moveDown();
  for (const l of lines)
    doc.text(`${l.description}`, { continued: true }).text(money(l.unitPriceMinor, c), { align: 'right' });
  doc.moveDown();
  doc.text('Subtotal', { continued: true }).text(money(invoice.subtotalMinor, c), { align: 'right' });
  doc
    .text(`Reseller discount ${invoice.discountPercent}%`, { continued: true })
    .text(`-${money(invoice.discountMinor, c)}`, { align: 'right' });
  doc.font('Helvetica-Bold').text('Total', { continued: true }).text(money(invoice.totalMinor, c), { align: 'right' });
  doc.end();
  return done;
}
