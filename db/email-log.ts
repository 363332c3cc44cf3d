// The bookkeeping of sendOnce (activities/mailer.ts): every email under its idempotency key, recorded before
// it is sent and marked after, so a retried activity never sends it twice.
import type { Sql, Tx } from '.';

export interface EmailClaim {
  key: string;
  template: string;
  to: string;
  subject: string;
}

/**
 * Records an attempt at the email under its key; answers 'sent' when an earlier attempt already sent it.
 * An attempt that has not gone out yet takes the latest address and subject: support may retry a failed
 * email at a corrected address (T4), and the log must say where it finally went.
 */
export async function claimEmail(sql: Sql | Tx, e: EmailClaim): Promise<'sent' | 'sending'> {
  const [row] = await sql<{ status: 'sent' | 'sending' }[]>`
    INSERT INTO email_log (idempotency_key, template, to_address, subject, status, attempts)
    VALUES (${e.key}, ${e.template}, ${e.to}, ${e.subject}, 'sending', 1)
    ON CONFLICT (idempotency_key) DO UPDATE SET
      attempts = email_log.attempts + 1,
      to_address = CASE WHEN email_log.status = 'sent' THEN email_log.to_address ELSE EXCLUDED.to_address END,
      subject = CASE WHEN email_log.status = 'sent' THEN email_log.subject ELSE EXCLUDED.subject END
    RETURNING status`;
  return row?.status ?? 'sending';
}

/**
 * Claims the email as claimEmail does and, while it is not sent, runs `issue` in the same transaction: the
 * email's row stays locked until both commit, so a link issued for an email that went out meanwhile (a
 * concurrent attempt) never replaces the one it carried.
 */
export async function claimEmailAnd<T>(
  sql: Sql,
  e: EmailClaim,
  issue: (tx: Tx) => Promise<T>,
): Promise<{ status: 'sent' } | { status: 'sending'; issued: T }> {
  return sql.begin(async (tx) => {
    if ((await claimEmail(tx, e)) === 'sent') return { status: 'sent' as const };
    return { status: 'sending' as const, issued: await issue(tx) };
  }) as Promise<{ status: 'sent' } | { status: 'sending'; issued: T }>;
}

/** The email went out: to this address, under this Message-ID. */
export async function markEmailSent(sql: Sql, e: { key: string; to: string; messageId: string }): Promise<void> {
  await sql`UPDATE email_log SET status = 'sent', sent_at = now(), message_id = ${e.messageId}, to_address = ${e.to}
            WHERE idempotency_key = ${e.key}`;
}

export interface EmailLogRow {
  idempotencyKey: string;
  template: string;
  toAddress: string;
  subject: string;
  status: 'sending' | 'sent';
  attempts: number;
  messageId: string | null;
  sentAt: Date | null;
}

export async function findEmailLog(sql: Sql, key: string): Promise<EmailLogRow | null> {
  const [row] = await sql<EmailLogRow[]>`
    SELECT idempotency_key, template, to_address, subject, status, attempts, message_id, sent_at
    FROM email_log WHERE idempotency_key = ${key}`;
  return row ?? null;
}
