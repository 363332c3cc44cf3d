import type { RenewalNotice } from '../../workflows/definitions';
import type { RenderedEmail } from './layout';
import { type NoticeAddress, renderNotice } from './notice';

export interface RenewalNoticeData extends NoticeAddress {
  anniversaryDate: string;
  kind: RenewalNotice;
}

function customerParagraphs(d: RenewalNoticeData): string[] {
  return [
    d.kind === 'upcoming'
      ? `The subscription of ${d.organizationName} renews on its anniversary date, ${d.anniversaryDate}.`
      : `The renewal window of ${d.organizationName} is open: ${d.resellerName} can place the renewal order now, ` +
        `ahead of ${d.anniversaryDate}.`,
    `Without a renewal the licenses expire shortly after ${d.anniversaryDate}. ` +
      `Contact ${d.resellerName} to renew or change quantities.`,
  ];
}

function resellerParagraphs(d: RenewalNoticeData): string[] {
  return [
    d.kind === 'upcoming'
      ? `Your customer ${d.organizationName} reaches its anniversary date on ${d.anniversaryDate}; ` +
        'its renewal is coming up.'
      : `The renewal window of your customer ${d.organizationName} is open: place its renewal order in the portal, ` +
        `ahead of ${d.anniversaryDate}.`,
    `Without a renewal its licenses expire shortly after ${d.anniversaryDate}.`,
  ];
}

/**
 * R1/R2: the upcoming renewal (from 45 days out) and the open renewal window (from 30 days out); the customer's
 * contact is told what happens, the reseller's users are the ones who place the renewal.
 */
export function renderRenewalNotice(d: RenewalNoticeData): RenderedEmail {
  return renderNotice(d, {
    subject:
      d.kind === 'upcoming'
        ? `Upcoming renewal on ${d.anniversaryDate} — ${d.organizationName}`
        : `Ready for renewal — ${d.organizationName}`,
    paragraphs: d.audience === 'reseller' ? resellerParagraphs(d) : customerParagraphs(d),
  });
}
