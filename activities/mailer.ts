import { createTransport, type Transporter } from 'nodemailer';
import { ApplicationFailure } from '@temporalio/activity';
import type { Config } from '../config';
import type { Sql } from '../db';
import { type AccessTokenOwner, storeAccessToken } from '../db/access-tokens';
import { claimEmail, markEmailSent } from '../db/email-log';
import { linkToken, sha256, sha256Hex } from '../lib/hash';
import type { RenderedEmail } from './templates/layout';

export type Mailer = Transporter;

/** What every activity factory is built from (createActivities); sendOnce needs all three. */
export interface ActivityDeps {
  sql: Sql;
  mailer: Mailer;
  config: Config;
}

export function createMailer(config: Config): Mailer {
  return createTransport({
    // One worker sends many emails: reusing a few connections spares a TCP and SMTP handshake (and their CPU, on
    // both ends) per message. Five at once, each renewed after 100 messages (nodemailer's defaults).
    pool: true,
    host: config.SMTP_HOST,
    port: config.SMTP_PORT,
    secure: config.SMTP_SECURE,
    auth: config.SMTP_USER ? { user: config.SMTP_USER, pass: config.SMTP_PASSWORD } : undefined,
    // Plain SMTP to a local catcher in dev; real relays negotiate STARTTLS when offered.
    ignoreTLS: !config.SMTP_SECURE && config.NODE_ENV !== 'production',
  });
}

export interface OutgoingEmail extends RenderedEmail {
  to: string;
  template: string;
}

/**
 * Sends an email at most once per idempotency key: the key is recorded before sending and marked sent
 * after, so an activity retried after a failure (or after success) does not send it again.
 * SMTP 5xx is permanent (non-retryable); 4xx and connection errors are transient and retried.
 * A retry to a corrected address (T4) sends to that address, and the log records it.
 */
export async function sendOnce(
  deps: ActivityDeps,
  key: string,
  email: OutgoingEmail,
): Promise<'sent' | 'already-sent'> {
  const { sql, mailer, config } = deps;
  if ((await claimEmail(sql, { key, template: email.template, to: email.to, subject: email.subject })) === 'sent')
    return 'already-sent';

  // A stable Message-ID lets a receiving system drop a duplicate if a crash ever falls between send and record.
  const messageId = `<${sha256Hex(key).slice(0, 32)}@reseller-engine>`;
  try {
    await mailer.sendMail({
      from: config.MAIL_FROM,
      to: email.to,
      subject: email.subject,
      text: email.text,
      html: email.html,
      messageId,
    });
  } catch (err) {
    const code = (err as { responseCode?: number }).responseCode;
    if (code !== undefined && code >= 500) {
      throw ApplicationFailure.nonRetryable(
        `SMTP refused the message (${code}): ${(err as Error).message}`,
        'SmtpRejected',
      );
    }
    throw err;
  }
  await markEmailSent(sql, { key, to: email.to, messageId });
  return 'sent';
}

/**
 * T3: emails a contact a single-use link to `path`. The token is derived from the email's key, so a retried
 * activity sends the same link (with the expiry stored the first time), and only its hash is stored.
 */
export async function sendLinkEmail(
  deps: ActivityDeps,
  key: string,
  email: {
    link: AccessTokenOwner & { expiresAt: Date };
    to: string;
    template: string;
    path: string;
    render: (link: { url: string; expiresAt: Date }) => RenderedEmail;
  },
): Promise<'sent' | 'already-sent'> {
  const token = linkToken(deps.config.TOKEN_SECRET, key);
  const expiresAt = await storeAccessToken(deps.sql, { ...email.link, tokenHash: sha256(token), email: email.to });
  const rendered = email.render({ url: `${deps.config.PUBLIC_BASE_URL}${email.path}?token=${token}`, expiresAt });
  return sendOnce(deps, key, { ...rendered, to: email.to, template: email.template });
}
