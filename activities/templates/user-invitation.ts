import { formatUtc, type RenderedEmail, renderEmail } from './layout';

export interface UserInvitationEmailData {
  name: string;
  email: string;
  resellerName: string;
  inviterName: string | null;
  setupUrl: string;
  linkExpiresAt: Date;
}

/** T2: invites a reseller user to set up its account in the reseller portal. */
export function renderUserInvitationEmail(d: UserInvitationEmailData): RenderedEmail {
  const ignore = `If you did not expect this email, you can ignore it: the account stays inactive until you set a password. The link works once and until ${formatUtc(d.linkExpiresAt)}.`;
  const who = d.inviterName ? `${d.inviterName} of ${d.resellerName}` : d.resellerName;
  return renderEmail({
    subject: `Set up your ${d.resellerName} reseller portal account`,
    heading: `Join ${d.resellerName} in the reseller portal`,
    greeting: `Hello ${d.name},`,
    paragraphs: [
      `${who} has invited you to the reseller portal.`,
      `To get started, choose a password. Your username is your email address, ${d.email}.`,
    ],
    action: { label: 'Set up your account', url: d.setupUrl },
    footer: `${ignore} Sent on behalf of ${d.resellerName}.`,
    textFooter: `${ignore}\n\n— ${d.resellerName}, via the reseller portal`,
  });
}
