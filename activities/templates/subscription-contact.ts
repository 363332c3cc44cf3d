import { formatUtc, type RenderedEmail, renderEmail } from './layout';

export interface SubscriptionContactEmailData {
  contactName: string;
  companyName: string;
  resellerName: string;
  productName: string;
  email: string;
  setupUrl: string;
  linkExpiresAt: Date;
}

/** E2: invites the customer's contact to set up the account that lets them edit email signatures. */
export function renderSubscriptionContactEmail(d: SubscriptionContactEmailData): RenderedEmail {
  const ignore = `If you did not expect this email, you can ignore it: no account is created until you set a password. The link works once and until ${formatUtc(d.linkExpiresAt)}.`;
  return renderEmail({
    subject: `Set up your ${d.productName} account for ${d.companyName}`,
    heading: `Manage ${d.companyName}'s email signatures`,
    preheader: `Set up your account to manage ${d.companyName}'s email signatures`,
    greeting: `Hello ${d.contactName},`,
    paragraphs: [
      `${d.resellerName} has set up ${d.productName} for ${d.companyName} and asked that you manage the company's email signatures.`,
      `To get started, enter your contact details and choose a password. Your username is your email address, ${d.email}.`,
    ],
    action: { label: 'Set up your account', url: d.setupUrl },
    footer: `${ignore} Sent on behalf of ${d.resellerName}.`,
    textFooter: `${ignore}\n\n— ${d.resellerName}, via the reseller portal`,
  });
}
