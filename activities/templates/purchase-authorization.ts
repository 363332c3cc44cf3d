import type { PurchaseAuthorizationNotice } from '../../workflows/definitions';
import type { RenderedEmail } from './layout';
import { type NoticeAddress, renderNotice } from './notice';

export interface PurchaseAuthorizationNoticeData extends NoticeAddress {
  notice: PurchaseAuthorizationNotice;
  product: string;
  quantity: number;
  /** YYYY-MM-DD */
  overdueOn: string;
  deactivateOn: string;
}

type Text = { subject: string; paragraphs: string[] };

function resellerText(d: PurchaseAuthorizationNoticeData): Text {
  const pa = `The purchase authorization for ${d.quantity} × ${d.product} of ${d.organizationName}`;
  switch (d.notice) {
    case 'overdue_warning':
      return {
        subject: `Payment due by ${d.overdueOn}: purchase authorization of ${d.organizationName}`,
        paragraphs: [
          `${pa} has not been paid yet. From ${d.overdueOn} it is overdue: the licenses stay usable, but no new ` +
            `purchase authorization can be made for ${d.organizationName} until it is paid.`,
          'Record the payment in the portal before then.',
        ],
      };
    case 'overdue':
      return {
        subject: `Overdue: purchase authorization of ${d.organizationName}`,
        paragraphs: [
          `${pa} is overdue since ${d.overdueOn}. No new purchase authorization can be made for the customer ` +
            'until it is paid.',
          `Unless payment is remitted, its licenses will be deactivated on ${d.deactivateOn}.`,
        ],
      };
    case 'deactivation_warning':
      return {
        subject: `Licenses of ${d.organizationName} will be deactivated on ${d.deactivateOn}`,
        paragraphs: [
          `${pa} is still unpaid. Its licenses will be deactivated on ${d.deactivateOn}.`,
          'Record the payment in the portal before then to keep them active.',
        ],
      };
    case 'deactivated':
      return {
        subject: `Licenses of ${d.organizationName} deactivated`,
        paragraphs: [
          `${pa} was not paid: its licenses were deactivated on ${d.deactivateOn}.`,
          'Payment at any point restores them.',
        ],
      };
  }
}

function customerText(d: PurchaseAuthorizationNoticeData): Text {
  const licenses = `your ${d.quantity} ${d.product} license${d.quantity === 1 ? '' : 's'}`;
  const contact = `Please contact ${d.resellerName} to arrange the payment.`;
  switch (d.notice) {
    case 'overdue_warning':
      return {
        subject: `Payment for your ${d.product} licenses is due by ${d.overdueOn}`,
        paragraphs: [
          `${d.resellerName} gave ${d.organizationName} immediate access to ${licenses} before payment. ` +
            `Payment is due by ${d.overdueOn}.`,
          contact,
        ],
      };
    case 'overdue':
      return {
        subject: `Payment overdue: your ${d.product} licenses`,
        paragraphs: [
          `Payment for ${licenses} is overdue. They stay usable until ${d.deactivateOn}, ` +
            'when they will be deactivated unless payment is received.',
          contact,
        ],
      };
    case 'deactivation_warning':
      return {
        subject: `Your ${d.product} licenses will be deactivated on ${d.deactivateOn}`,
        paragraphs: [
          `Payment for ${licenses} has not been received: they will be deactivated on ${d.deactivateOn}.`,
          contact,
        ],
      };
    case 'deactivated':
      return {
        subject: `Your ${d.product} licenses have been deactivated`,
        paragraphs: [
          `Payment for ${licenses} was not received: they were deactivated on ${d.deactivateOn}.`,
          `They are restored as soon as payment is received. ${contact}`,
        ],
      };
  }
}

/**
 * P2: warned before overdue and before deactivation, told when either happened; to the reseller's users (who
 * record the payment) and the customer's contact (who keeps or loses access; T3: no billing).
 */
export function renderPurchaseAuthorizationNotice(d: PurchaseAuthorizationNoticeData): RenderedEmail {
  return renderNotice(d, d.audience === 'reseller' ? resellerText(d) : customerText(d));
}
