import { createHash, createHmac } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/activity';
import type { Config } from '../config';
import type { Sql } from '../db';
import { sendOnce, type Mailer } from './mailer';
import {
  renderCodeEmail,
  renderCodeExpiredEmail,
  renderRequestReceivedEmail,
  renderTransferCompletedEmail,
} from './templates/reseller-change';

interface Deps {
  sql: Sql;
  mailer: Mailer;
  config: Config;
}

// Crockford's base32: no I, L, O or U, so a code read aloud or typed is not mistaken.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** The code of a request, derived from its id with the server's secret: a retried activity sends the same one. */
export function resellerChangeCode(secret: string, requestId: string): string {
  const bytes = createHmac('sha256', secret).update(`reseller-change:${requestId}`).digest();
  let code = '';
  for (let i = 0; i < 10; i++) code += ALPHABET[(bytes[i] as number) & 31];
  return `${code.slice(0, 5)}-${code.slice(5)}`;
}

/** How a code is compared: case, spaces and dashes do not matter. */
export function codeHash(code: string): string {
  return createHash('sha256').update(code.toUpperCase().replace(/[\s-]/g, '')).digest('hex');
}

interface RequestRow {
  id: string;
  newResellerId: string;
  requestedBy: string;
  vipId: string;
  adminEmail: string;
  customerId: string | null;
  previousResellerId: string | null;
  codeHash: Buffer | null;
  status: string;
  failedAttempts: number;
  expiresAt: Date;
}

export type RedeemOutcome =
  | { outcome: 'moved'; customerId: string }
  | { outcome: 'wrong-code'; attemptsLeft: number }
  | { outcome: 'not-pending'; status: string };

export function createResellerChangeActivities({ sql, mailer, config }: Deps) {
  const requester = async (requestId: string) => {
    const [row] = await sql<{ email: string; name: string }[]>`
      SELECT u.email, u.name FROM reseller_change_requests r JOIN reseller_users u ON u.id = r.requested_by WHERE r.id = ${requestId}`;
    if (!row) throw ApplicationFailure.nonRetryable(`reseller change ${requestId} not found`, 'NotFound');
    return row;
  };

  return {
    /**
     * X1: matches the VIP id and admin email to a customer of another reseller; when they match, stores
     * the code's hash and emails the code to every admin of the customer. The requester is told the same
     * either way, so nobody learns which VIP ids exist or who administers them.
     */
    async issueResellerChangeCode(args: { requestId: string; expiresAt: string }): Promise<{ matched: boolean }> {
      const code = resellerChangeCode(config.TOKEN_SECRET, args.requestId);
      const expiresAt = new Date(args.expiresAt);
      const match = await sql.begin(async (tx) => {
        const [request] = await tx<
          RequestRow[]
        >`SELECT * FROM reseller_change_requests WHERE id = ${args.requestId} FOR UPDATE`;
        if (!request) throw ApplicationFailure.nonRetryable(`reseller change ${args.requestId} not found`, 'NotFound');
        const [customer] = await tx<{ id: string; resellerId: string }[]>`
          SELECT c.id, c.reseller_id FROM customers c
          WHERE c.vip_id = ${request.vipId.toUpperCase()} AND c.reseller_id <> ${request.newResellerId}
            AND EXISTS (SELECT 1 FROM customer_admins a WHERE a.customer_id = c.id AND lower(a.email) = lower(${request.adminEmail}))`;
        await tx`UPDATE reseller_change_requests SET expires_at = ${expiresAt},
                   customer_id = ${customer?.id ?? null}, previous_reseller_id = ${customer?.resellerId ?? null},
                   code_hash = ${customer ? Buffer.from(codeHash(code), 'hex') : null}
                 WHERE id = ${args.requestId}`;
        return customer ?? null;
      });
      if (match) {
        const admins = await sql<
          { email: string; firstName: string; organizationName: string; vipId: string; newResellerName: string }[]
        >`
          SELECT a.email, a.first_name, c.organization_name, c.vip_id, r.name AS new_reseller_name
          FROM customer_admins a JOIN customers c ON c.id = a.customer_id
          JOIN reseller_change_requests q ON q.id = ${args.requestId} JOIN resellers r ON r.id = q.new_reseller_id
          WHERE a.customer_id = ${match.id} ORDER BY a.email`;
        const redeemUrl = `${config.PUBLIC_BASE_URL}/reseller-change/redeem?request=${args.requestId}&code=${encodeURIComponent(code)}`;
        for (const a of admins) {
          const email = renderCodeEmail({
            adminFirstName: a.firstName,
            organizationName: a.organizationName,
            vipId: a.vipId,
            newResellerName: a.newResellerName,
            code,
            redeemUrl,
            expiresAt,
          });
          await sendOnce({ sql, mailer, config }, `reseller-change:${args.requestId}/code/${a.email.toLowerCase()}`, {
            ...email,
            to: a.email,
            template: 'reseller-change.code',
          });
        }
      }
      const [request] = await sql<
        { vipId: string; adminEmail: string }[]
      >`SELECT vip_id, admin_email FROM reseller_change_requests WHERE id = ${args.requestId}`;
      const user = await requester(args.requestId);
      const received = renderRequestReceivedEmail({
        userName: user.name,
        vipId: request!.vipId,
        adminEmail: request!.adminEmail,
        expiresAt,
      });
      await sendOnce({ sql, mailer, config }, `reseller-change:${args.requestId}/received`, {
        ...received,
        to: user.email,
        template: 'reseller-change.received',
      });
      return { matched: match !== null };
    },

    /**
     * X2: with the right code, moves the customer with its licenses to the new reseller, spends the code
     * and writes the audit trail, all in one transaction. A wrong code is counted (and committed).
     * Repeating a redemption that already moved the customer answers 'moved' again.
     */
    async redeemResellerChangeCode(args: {
      requestId: string;
      codeHash: string;
      actor: string;
    }): Promise<RedeemOutcome> {
      return sql.begin(async (tx): Promise<RedeemOutcome> => {
        const [r] = await tx<
          RequestRow[]
        >`SELECT * FROM reseller_change_requests WHERE id = ${args.requestId} FOR UPDATE`;
        if (!r) throw ApplicationFailure.nonRetryable(`reseller change ${args.requestId} not found`, 'NotFound');
        const matches = r.codeHash !== null && r.codeHash.toString('hex') === args.codeHash;
        if (r.status === 'redeemed' && matches && r.customerId) return { outcome: 'moved', customerId: r.customerId };
        if (r.status !== 'pending' || r.expiresAt.getTime() <= Date.now())
          return { outcome: 'not-pending', status: r.status === 'pending' ? 'expired' : r.status };
        if (!matches || !r.customerId) {
          const [{ failedAttempts } = { failedAttempts: 0 }] = await tx<{ failedAttempts: number }[]>`
            UPDATE reseller_change_requests SET failed_attempts = failed_attempts + 1 WHERE id = ${r.id} RETURNING failed_attempts`;
          return {
            outcome: 'wrong-code',
            attemptsLeft: Math.max(config.RESELLER_CHANGE_MAX_ATTEMPTS - failedAttempts, 0),
          };
        }
        const [customer] = await tx<
          { resellerId: string }[]
        >`SELECT reseller_id FROM customers WHERE id = ${r.customerId} FOR UPDATE`;
        if (!customer || customer.resellerId !== r.previousResellerId)
          return { outcome: 'not-pending', status: 'customer-changed' };
        await tx`UPDATE customers SET reseller_id = ${r.newResellerId}, managed_by = NULL, updated_at = now() WHERE id = ${r.customerId}`;
        await tx`UPDATE licenses SET reseller_id = ${r.newResellerId} WHERE customer_id = ${r.customerId}`;
        await tx`UPDATE reseller_change_requests SET status = 'redeemed', redeemed_at = now() WHERE id = ${r.id}`;
        await tx`INSERT INTO audit_events (reseller_id, entity_type, entity_id, action, actor, before, after)
                 VALUES (${r.newResellerId}, 'customer', ${r.customerId}, 'customer.reseller_changed', ${args.actor},
                         ${tx.json({ resellerId: r.previousResellerId })}, ${tx.json({ resellerId: r.newResellerId, requestId: r.id })})`;
        return { outcome: 'moved', customerId: r.customerId };
      });
    },

    /** Locks a request after too many wrong codes, so the code cannot be guessed. */
    async lockResellerChange(args: { requestId: string }): Promise<void> {
      await sql`UPDATE reseller_change_requests SET status = 'locked' WHERE id = ${args.requestId} AND status = 'pending'`;
    },

    /** X3: the code's 72 hours passed; the requester may send a new one. */
    async expireResellerChange(args: { requestId: string }): Promise<void> {
      await sql`UPDATE reseller_change_requests SET status = 'expired' WHERE id = ${args.requestId} AND status = 'pending'`;
      const [r] = await sql<
        { vipId: string }[]
      >`SELECT vip_id FROM reseller_change_requests WHERE id = ${args.requestId}`;
      const user = await requester(args.requestId);
      const email = renderCodeExpiredEmail({ userName: user.name, vipId: r!.vipId });
      await sendOnce({ sql, mailer, config }, `reseller-change:${args.requestId}/expired`, {
        ...email,
        to: user.email,
        template: 'reseller-change.expired',
      });
    },

    /** X2: tells the new reseller, the previous reseller's admins and the customer's admins. */
    async sendTransferCompletedEmails(args: { requestId: string }): Promise<void> {
      const [c] = await sql<
        {
          organizationName: string;
          vipId: string;
          newResellerName: string;
          customerId: string;
          previousResellerId: string;
        }[]
      >`
        SELECT c.organization_name, c.vip_id, r.name AS new_reseller_name, q.customer_id, q.previous_reseller_id
        FROM reseller_change_requests q JOIN customers c ON c.id = q.customer_id JOIN resellers r ON r.id = q.new_reseller_id
        WHERE q.id = ${args.requestId}`;
      if (!c) return;
      const user = await requester(args.requestId);
      const previous = await sql<{ email: string; name: string }[]>`
        SELECT email, name FROM reseller_users WHERE reseller_id = ${c.previousResellerId} AND 'admin' = ANY (permissions) ORDER BY email`;
      const admins = await sql<
        { email: string; firstName: string }[]
      >`SELECT email, first_name FROM customer_admins WHERE customer_id = ${c.customerId} ORDER BY email`;
      const recipients = [
        { to: user.email, name: user.name, audience: 'new-reseller' as const },
        ...previous.map((p) => ({ to: p.email, name: p.name, audience: 'previous-reseller' as const })),
        ...admins.map((a) => ({ to: a.email, name: a.firstName, audience: 'customer' as const })),
      ];
      for (const r of recipients) {
        const email = renderTransferCompletedEmail({
          name: r.name,
          organizationName: c.organizationName,
          vipId: c.vipId,
          newResellerName: c.newResellerName,
          audience: r.audience,
        });
        await sendOnce({ sql, mailer, config }, `reseller-change:${args.requestId}/completed/${r.to.toLowerCase()}`, {
          ...email,
          to: r.to,
          template: `reseller-change.completed.${r.audience}`,
        });
      }
    },
  };
}
