import { formatMoney, type RenderedEmail } from './layout';
import { type NoticeAddress, renderNotice } from './notice';

export interface ThreeYearCommitmentNoticeData extends NoticeAddress {
  kind: 'requested' | 'payment';
  product: string;
  quantity: number;
  acceptBy: Date;
  /** A payment's year (1-3) and amount. */
  year: number;
  amountMinor: number | null;
  currency: string;
}

const day = (d: Date) => d.toISOString().slice(0, 10);

/** R5: the request (the customer accepts it in the portal before the window closes) and each year's payment. */
export function renderThreeYearCommitmentNotice(d: ThreeYearCommitmentNoticeData): RenderedEmail {
  const what = `${d.quantity} × ${d.product}`;
  if (d.kind === 'requested') {
    return renderNotice(d, {
      subject: `3-year commitment requested — ${d.organizationName}`,
      paragraphs:
        d.audience === 'reseller'
          ? [
              `A 3-year commitment for ${what} was requested for your customer ${d.organizationName}.`,
              `It awaits the customer's acceptance until ${day(d.acceptBy)}; without it the request is declined.`,
            ]
          : [
              `${d.resellerName} offers ${d.organizationName} a 3-year commitment: ${what} at a price fixed for three ` +
                'years, paid yearly.',
              `Accept it in your portal by ${day(d.acceptBy)}; without your acceptance the offer lapses.`,
            ],
    });
  }
  const amount = d.amountMinor === null ? '' : `: ${formatMoney(d.amountMinor, d.currency)}`;
  return renderNotice(d, {
    subject: `3-year commitment, year ${d.year} payment${amount} — ${d.organizationName}`,
    paragraphs: [
      `Year ${d.year} of 3 of the commitment of ${d.organizationName} to ${what} is invoiced${amount}, at the price ` +
        'fixed when it was accepted.',
    ],
  });
}
