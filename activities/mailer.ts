import { createTransport, type Transporter } from 'nodemailer';
import { ApplicationFailure } from '@temporalio/activity';
import type { Config } from '../config';
import type { Sql, Tx } from '../db';
import { type AccessTokenOwner, issueAccessToken } from '../db/access-tokens';
import { claimEmail, claimEmailAnd, markEmailSent } from '../db/email-log';
import { randomToken, sha256, sha256Hex } from '../lib/hash';
import type { RenderedEmail } from './templates/layout';

export type Mailer = Transporter;

/** What every activity factory is built from (createActivities); sendOnce needs all three. */
export interface ActivityDeps {
  sql: Sql;
  mailer: Mailer;
  config: Config;
}

/** Below the email step's start-to-close timeout (8 s): connect, then the server's greeting, then any silence. */
export const SMTP_TIMEOUT_MS = { connection: 3_000, greeting: 3_000, socket: 6_000 };

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
    // Issue 11: a relay that is down or hangs fails the attempt here, inside the email step's start-to-close timeout
    // (config/terms.ts EMAIL_STEP_TIMEOUT, 8 s), so it is retried as a transient error rather than timed out
    // (nodemailer's defaults wait up to 2 minutes for a connection and 10 for a silent socket).
    connectionTimeout: SMTP_TIMEOUT_MS.connection,
    greetingTimeout: SMTP_TIMEOUT_MS.greeting,
    socketTimeout: SMTP_TIMEOUT_MS.socket,
  });
}

/** The header that carries idempotencyHeaderOf(key) on every email. */
export const IDEMPOTENCY_HEADER = 'X-Idempotency-Key';
export const idempotencyHeaderOf = (key: string): string => sha256Hex(`email-key:${key}`).slice(0, 32);

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
  if ((await claimEmail(deps.sql, claimOf(key, email))) === 'sent') return 'already-sent';
  // A stable Message-ID lets a receiving system drop a duplicate if a crash ever falls between send and record.
  await deliver(deps, key, email, key);
  return 'sent';
}

const claimOf = (key: string, email: OutgoingEmail) => ({
  key,
  template: email.template,
  to: email.to,
  subject: email.subject,
});

/** Sends a claimed email and records it sent, under a Message-ID made from `idSeed`. */
async function deliver(deps: ActivityDeps, key: string, email: OutgoingEmail, idSeed: string): Promise<void> {
  const { sql, mailer, config } = deps;
  const messageId = `<${sha256Hex(idSeed).slice(0, 32)}@reseller-engine>`;
  try {
    await mailer.sendMail({
      from: config.MAIL_FROM,
      to: email.to,
      subject: email.subject,
      text: email.text,
      html: email.html,
      messageId,
      // The hash of the idempotency key: a mail catcher (the soak) counts duplicates per key, across a secret's
      // re-issue (which changes the Message-ID); the hash keeps internal ids out of what recipients see.
      headers: { [IDEMPOTENCY_HEADER]: idempotencyHeaderOf(key) },
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
}

/**
 * Sends, at most once per key, an email that carries a secret (a link's token, a code) issued for it.
 * `issue` stores the secret's hash in the transaction that claims the email, replacing what an earlier attempt
 * of the same email issued; it answers 'spent' when that earlier secret was already used (nothing is sent then).
 *
 * The secret is random and cannot be derived again, so a retry cannot resend the same one: each attempt that
 * sends issues a new one and retires the last, and only the secret of the email that went out works. The one
 * window is a crash between the send and its record: the retry then sends a second email whose secret replaces
 * the first (the first email's link says it was replaced). We accept that rare duplicate rather than keep two
 * secrets alive or store one readable; the Message-ID follows the secret, so no receiving system drops the
 * second email, the one that works, as a duplicate of the first.
 */
export async function sendWithSecret(
  deps: ActivityDeps,
  key: string,
  secret: string,
  email: OutgoingEmail,
  issue: (tx: Tx, secretHash: Buffer) => Promise<'issued' | 'spent'>,
): Promise<'sent' | 'already-sent'> {
  const secretHash = sha256(secret);
  const claim = await claimEmailAnd(deps.sql, claimOf(key, email), (tx) => issue(tx, secretHash));
  if (claim.status === 'sent' || claim.issued === 'spent') return 'already-sent';
  await deliver(deps, key, email, `${key}/${secretHash.toString('hex')}`);
  return 'sent';
}

/**
 * T3: emails a contact a single-use link to `path`, with a random token of its own; only its hash is stored,
 * and a retried attempt that has not sent yet replaces it (sendWithSecret).
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
  const token = randomToken();
  const { expiresAt } = email.link;
  const rendered = email.render({ url: `${deps.config.PUBLIC_BASE_URL}${email.path}?token=${token}`, expiresAt });
  return sendWithSecret(deps, key, token, { ...rendered, to: email.to, template: email.template }, (tx, tokenHash) =>
    issueAccessToken(tx, { ...email.link, tokenHash, emailKey: key, email: email.to }),
  );
}
