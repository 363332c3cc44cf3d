import { formatUtc, type RenderedEmail, renderEmail } from './layout';

/** X1/X2: to every system admin of the customer. */
export function renderCodeEmail(d: {
  firstName: string;
  organizationName: string;
  vipId: string;
  newResellerName: string;
  code: string;
  redeemUrl: string;
  expiresAt: Date;
}): RenderedEmail {
  return renderEmail({
    subject: `Your reseller change code for ${d.organizationName}`,
    heading: 'Your reseller change code',
    greeting: `Hello ${d.firstName},`,
    paragraphs: [
      `${d.newResellerName} has asked to become the reseller for ${d.organizationName} (customer number ${d.vipId}).`,
      `If your organization asked for this change, give ${d.newResellerName} this code, or confirm the change yourself with the button below: ${d.code}`,
      `The code can be used once, by any administrator of ${d.organizationName}, until ${formatUtc(d.expiresAt)}.`,
    ],
    action: { label: 'Confirm the reseller change', url: d.redeemUrl },
    footer:
      'If nobody in your organization asked to change reseller, ignore this email: nothing changes without the code.',
  });
}

/** X1: to the requesting reseller, the same whether or not the details matched a customer. */
export function renderRequestReceivedEmail(d: {
  name: string;
  vipId: string;
  adminEmail: string;
  expiresAt: Date;
}): RenderedEmail {
  return renderEmail({
    subject: `Reseller change requested for ${d.vipId}`,
    heading: 'Reseller change requested',
    greeting: `Hello ${d.name},`,
    paragraphs: [
      `We received your request to take over customer ${d.vipId}, with the administrator ${d.adminEmail}.`,
      `If these details match a customer, its administrators have been emailed a reseller change code. Ask them for it; it is valid until ${formatUtc(d.expiresAt)}.`,
    ],
    footer: 'You can send a new code once this one has expired.',
  });
}

/** X2: to the new reseller, the previous reseller and the customer's admins. */
export function renderTransferCompletedEmail(d: {
  name: string;
  organizationName: string;
  vipId: string;
  newResellerName: string;
  audience: 'new-reseller' | 'previous-reseller' | 'customer';
}): RenderedEmail {
  const line = {
    'new-reseller': `${d.organizationName} (${d.vipId}) is now your customer and appears in your customer list, with its licenses and subscriptions.`,
    'previous-reseller': `${d.organizationName} (${d.vipId}) has moved to another reseller at its own request. It no longer appears in your customer list.`,
    customer: `${d.organizationName} is now served by ${d.newResellerName}. Your licenses and subscriptions moved with you and keep working.`,
  }[d.audience];
  return renderEmail({
    subject: `Reseller change completed for ${d.organizationName}`,
    heading: 'Reseller change completed',
    greeting: `Hello ${d.name},`,
    paragraphs: [line],
    footer: "This change was confirmed with a one-time code sent to the customer's administrators.",
  });
}

/** X3: to the requesting reseller when the 72 hours passed without the code being used. */
export function renderCodeExpiredEmail(d: { name: string; vipId: string }): RenderedEmail {
  return renderEmail({
    subject: `Reseller change code expired for ${d.vipId}`,
    heading: 'The reseller change code expired',
    greeting: `Hello ${d.name},`,
    paragraphs: [
      `The reseller change code for customer ${d.vipId} was not used in time and no longer works.`,
      'You can send a new code from the portal.',
    ],
    footer: 'Codes are valid for 72 hours and for one use.',
  });
}
