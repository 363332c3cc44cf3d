import { formatUtc, type RenderedEmail, renderEmail } from './layout';

export interface InvitationEmailData {
  kind: 'invitation' | 'reminder';
  contactFirstName: string;
  organizationName: string;
  resellerName: string;
  vipId: string;
  acceptUrl: string;
  linkExpiresAt: Date;
}

/** C2/C3: the invitation to accept the reseller's terms, and its reminder. */
export function renderInvitationEmail(d: InvitationEmailData): RenderedEmail {
  const reminder = d.kind === 'reminder';
  const ignore = `If you did not expect this email, you can ignore it: nothing changes until you accept. The link works once and until ${formatUtc(d.linkExpiresAt)}.`;
  return renderEmail({
    subject: reminder
      ? `Reminder: ${d.resellerName} is waiting for ${d.organizationName} to accept`
      : `${d.resellerName} invites ${d.organizationName} to manage its software licenses`,
    heading: reminder ? 'Your invitation is still waiting' : `You're invited by ${d.resellerName}`,
    preheader: `Accept ${d.resellerName}'s invitation for ${d.organizationName}`,
    greeting: `Hello ${d.contactFirstName},`,
    paragraphs: [
      reminder
        ? `A few days ago ${d.resellerName} invited ${d.organizationName} to buy and manage its software licenses through them. The invitation is still open.`
        : `${d.resellerName} has added ${d.organizationName} as a customer, so they can order and manage your organization's software licenses for you.`,
      `To get started, review and accept the reseller terms. Your customer number is ${d.vipId}.`,
    ],
    action: { label: 'Review and accept', url: d.acceptUrl, text: 'Accept the invitation' },
    footer: `${ignore} Sent on behalf of ${d.resellerName}.`,
    textFooter: `${ignore}\n\n— ${d.resellerName}, via the reseller portal`,
  });
}
