import { type RenderedEmail, renderEmail } from './layout';

/** Who a notice of a customer's lifecycle (P2, R1) goes to: one of its parties (db/reseller-users.ts). */
export interface NoticeAddress {
  /** The customer's contact is told on the reseller's behalf; the reseller's users are told by the portal. */
  audience: 'customer' | 'reseller';
  recipientName: string;
  organizationName: string;
  resellerName: string;
}

/** A notice: its subject is its heading, signed for the audience it goes to. */
export function renderNotice(to: NoticeAddress, notice: { subject: string; paragraphs: string[] }): RenderedEmail {
  return renderEmail({
    ...notice,
    heading: notice.subject,
    greeting: `Hello ${to.recipientName},`,
    footer: to.audience === 'reseller' ? 'Sent by the reseller portal.' : `Sent on behalf of ${to.resellerName}.`,
  });
}
