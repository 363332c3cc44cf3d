import { escapeHtml, layout, type RenderedEmail } from './layout';

export interface RenewalNoticeData {
  contactFirstName: string;
  organizationName: string;
  resellerName: string;
  anniversaryDate: string;
  kind: 'upcoming' | 'ready';
}

/** R1/R2: the upcoming renewal (from 45 days out) and the open renewal window (from 30 days out). */
export function renderRenewalNotice(d: RenewalNoticeData): RenderedEmail {
  const subject =
    d.kind === 'upcoming'
      ? `Upcoming renewal on ${d.anniversaryDate} — ${d.organizationName}`
      : `Ready for renewal — ${d.organizationName}`;
  const paragraphs = [
    d.kind === 'upcoming'
      ? `The subscription of ${d.organizationName} renews on its anniversary date, ${d.anniversaryDate}.`
      : `The renewal window of ${d.organizationName} is open: ${d.resellerName} can place the renewal order now, ahead of ${d.anniversaryDate}.`,
    `Without a renewal the licenses expire shortly after ${d.anniversaryDate}. Contact ${d.resellerName} to renew or change quantities.`,
  ];
  const greeting = `Hello ${d.contactFirstName},`;
  const footer = `Sent on behalf of ${d.resellerName}.`;
  return {
    subject,
    text: [greeting, '', ...paragraphs.flatMap((p) => [p, '']), footer].join('\n'),
    html: layout({
      preheader: paragraphs[0]!,
      heading: subject,
      paragraphs: [greeting, ...paragraphs].map(escapeHtml),
      footer,
    }),
  };
}
