import { escapeHtml, layout, type RenderedEmail } from './layout';

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
  const expires = d.linkExpiresAt.toUTCString().replace(/ GMT$/, ' UTC');
  const subject = `Set up your ${d.productName} account for ${d.companyName}`;
  const intro = `${d.resellerName} has set up ${d.productName} for ${d.companyName} and asked that you manage the company's email signatures.`;
  const steps = `To get started, enter your contact details and choose a password. Your username is your email address, ${d.email}.`;
  const ignore = `If you did not expect this email, you can ignore it: no account is created until you set a password. The link works once and until ${expires}.`;
  const text = [
    `Hello ${d.contactName},`,
    '',
    intro,
    '',
    steps,
    '',
    `Set up your account: ${d.setupUrl}`,
    '',
    ignore,
    '',
    `— ${d.resellerName}, via the reseller portal`,
  ].join('\n');
  const html = layout({
    preheader: `Set up your account to manage ${d.companyName}'s email signatures`,
    heading: `Manage ${d.companyName}'s email signatures`,
    paragraphs: [`Hello ${escapeHtml(d.contactName)},`, escapeHtml(intro), escapeHtml(steps)],
    action: { label: 'Set up your account', url: d.setupUrl },
    footer: `${ignore} Sent on behalf of ${d.resellerName}.`,
  });
  return { subject, text, html };
}
