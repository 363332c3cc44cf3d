import { escapeHtml, layout, type RenderedEmail } from './layout';

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
  const expires = d.linkExpiresAt.toUTCString().replace(/ GMT$/, ' UTC');
  const reminder = d.kind === 'reminder';
  const subject = reminder
    ? `Reminder: ${d.resellerName} is waiting for ${d.organizationName} to accept`
    : `${d.resellerName} invites ${d.organizationName} to manage its software licenses`;
  const intro = reminder
    ? `A few days ago ${d.resellerName} invited ${d.organizationName} to buy and manage its software licenses through them. The invitation is still open.`
    : `${d.resellerName} has added ${d.organizationName} as a customer, so they can order and manage your organization's software licenses for you.`;
  const steps = `To get started, review and accept the reseller terms. Your customer number is ${d.vipId}.`;
  const ignore = `If you did not expect this email, you can ignore it: nothing changes until you accept. The link works once and until ${expires}.`;
  const text = [
    `Hello ${d.contactFirstName},`,
    '',
    intro,
    '',
    steps,
    '',
    `Accept the invitation: ${d.acceptUrl}`,
    '',
    ignore,
    '',
    `— ${d.resellerName}, via the reseller portal`,
  ].join('\n');
  const html = layout({
    preheader: `Accept ${d.resellerName}'s invitation for ${d.organizationName}`,
    heading: reminder ? 'Your invitation is still waiting' : `You're invited by ${d.resellerName}`,
    paragraphs: [`Hello ${escapeHtml(d.contactFirstName)},`, escapeHtml(intro), escapeHtml(steps)],
    action: { label: 'Review and accept', url: d.acceptUrl },
    footer: `${ignore} Sent on behalf of ${d.resellerName}.`,
  });
  return { subject, text, html };
}
