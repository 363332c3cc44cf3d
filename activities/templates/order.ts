import { formatMoney, type RenderedEmail, renderEmail } from './layout';

const day = (d: Date) => d.toUTCString().slice(0, 16);

export interface LicenseEmailData {
  contactFirstName: string;
  organizationName: string;
  resellerName: string;
  kind: 'order' | 'trial';
  planName: string;
  subscriptionTypeName: string;
  drivers: string[];
  serialNumber: string;
  totalMinor: number;
  currency: string;
  trialEndsAt: Date | null;
}

/** O4: the license activation instructions, with the single-use link. */
export function renderActivationEmail(d: LicenseEmailData & { activateUrl: string; helpUrl: string }): RenderedEmail {
  const what =
    d.kind === 'trial'
      ? `a trial of PrintFactory ${d.planName}`
      : `PrintFactory ${d.planName} (${d.subscriptionTypeName})`;
  return renderEmail({
    subject:
      d.kind === 'trial'
        ? `Your PrintFactory trial is ready — serial ${d.serialNumber}`
        : `Activate your PrintFactory license — serial ${d.serialNumber}`,
    heading: d.kind === 'trial' ? 'Your trial is ready to activate' : 'Your license is ready to activate',
    greeting: `Hello ${d.contactFirstName},`,
    paragraphs: [
      `${d.resellerName} has set up ${what} for ${d.organizationName}.`,
      `Serial number: ${d.serialNumber}. Drivers: ${d.drivers.join(', ')}.`,
      d.kind === 'trial' && d.trialEndsAt
        ? `The trial runs until ${day(d.trialEndsAt)}; we will remind you before it ends.`
        : `Order total: ${formatMoney(d.totalMinor, d.currency)}, invoiced by ${d.resellerName}.`,
      'To activate: open the link below on the computer that will run PrintFactory, press Activate, then enter the serial number when the software asks for it.',
      `Step-by-step help with registering and activating the license: ${d.helpUrl}`,
    ],
    action: { label: 'Activate the license', url: d.activateUrl },
    footer: 'The activation link works once. If you did not expect this email, contact your reseller.',
  });
}

/** O6: before a trial ends. */
export function renderTrialReminderEmail(d: LicenseEmailData & { before: string }): RenderedEmail {
  return renderEmail({
    subject: `Your PrintFactory trial ends in ${d.before}`,
    heading: `Your trial ends in ${d.before}`,
    greeting: `Hello ${d.contactFirstName},`,
    paragraphs: [
      `The PrintFactory ${d.planName} trial of ${d.organizationName} (serial ${d.serialNumber}) ends on ${day(d.trialEndsAt!)}.`,
      `To keep working without interruption, ask ${d.resellerName} to convert it into a subscription or to extend it.`,
    ],
    footer: `Sent on behalf of ${d.resellerName}.`,
  });
}

/** O6: the trial ended and its license was deactivated; to the customer and the reseller. */
export function renderTrialExpiredEmail(
  d: LicenseEmailData & { name: string; audience: 'customer' | 'reseller' },
): RenderedEmail {
  return renderEmail({
    subject: `PrintFactory trial ended — ${d.organizationName}, serial ${d.serialNumber}`,
    heading: 'The trial has ended',
    greeting: `Hello ${d.name},`,
    paragraphs: [
      `The PrintFactory ${d.planName} trial of ${d.organizationName} (serial ${d.serialNumber}) ended and its license is deactivated.`,
      d.audience === 'customer'
        ? `${d.resellerName} can turn it into a subscription at any time; your settings are kept.`
        : 'You can place an order for this customer from the portal; the customer record is kept.',
    ],
    footer: 'Sent by the reseller portal.',
  });
}
