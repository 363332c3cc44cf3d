import { createHash, createHmac, randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/activity';
import type { Config } from '../config';
import type { Sql } from '../db';
import { PRODUCT_NAMES } from '../db/subscriptions';
import { SubscriptionFailure, type SubscriptionInput, type SubscriptionProduct } from '../workflows/definitions';
import { sendOnce, type Mailer } from './mailer';
import { renderSubscriptionContactEmail } from './templates/subscription-contact';

interface Deps {
  sql: Sql;
  mailer: Mailer;
  config: Config;
}

const sha256 = (value: string): Buffer => createHash('sha256').update(value).digest();

/** Activities of the per-user subscription (E1-E3): each one side effect, safe to repeat for the same business key. */
export function createSubscriptionActivities({ sql, mailer, config }: Deps) {
  return {
    /** E1/E2: stores the subscription and its contact; a repeat finds them stored and changes nothing. */
    async storeSubscription(input: SubscriptionInput): Promise<void> {
      await sql.begin(async (tx) => {
        // The customer must be the same reseller's (T1); one deleted meanwhile is simply not linked.
        const inserted = await tx`
          INSERT INTO subscriptions (id, reseller_id, customer_id, product, company_name, users, customer_can_edit_signatures, created_by)
          VALUES (${input.subscriptionId}, ${input.resellerId},
            (SELECT id FROM customers WHERE id = ${input.customerId} AND reseller_id = ${input.resellerId}),
            ${input.product}, ${input.companyName}, ${input.users}, ${input.contact !== null}, ${input.createdBy})
          ON CONFLICT (id) DO NOTHING
          RETURNING id`;
        if (!inserted[0]) return;
        if (input.contact) {
          await tx`INSERT INTO subscription_contacts (id, subscription_id, email, name)
                   VALUES (${randomUUID()}, ${input.subscriptionId}, ${input.contact.email}, ${input.contact.name})`;
        }
        const { subscriptionId, resellerId, customerId, product, companyName, users, contact } = input;
        await tx`INSERT INTO audit_events (reseller_id, entity_type, entity_id, action, actor, after)
                 VALUES (${resellerId}, 'subscription', ${subscriptionId}, 'subscription.created', ${`user:${input.createdBy}`},
                         ${tx.json({ customerId, product, companyName, users, contact } as never)})`;
      });
    },

    /**
     * E2/T3: emails the contact a single-use account-setup link. The token is derived from the email's key,
     * so a retried activity sends the same link, and only its hash is stored.
     */
    async sendSubscriptionContactEmail(args: {
      subscriptionId: string;
      key: string;
      expiresAt: string;
    }): Promise<'sent' | 'already-sent'> {
      const [s] = await sql<
        {
          contactName: string;
          contactEmail: string;
          companyName: string;
          product: SubscriptionProduct;
          resellerName: string;
        }[]
      >`
        SELECT c.name AS contact_name, c.email AS contact_email, s.company_name, s.product, r.name AS reseller_name
        FROM subscriptions s JOIN subscription_contacts c ON c.subscription_id = s.id JOIN resellers r ON r.id = s.reseller_id
        WHERE s.id = ${args.subscriptionId}`;
      if (!s)
        throw ApplicationFailure.nonRetryable(
          `subscription ${args.subscriptionId} has no contact`,
          'SubscriptionContactNotFound',
        );
      const token = createHmac('sha256', config.TOKEN_SECRET).update(args.key).digest('base64url');
      await sql`
        INSERT INTO access_tokens (token_hash, purpose, subscription_id, email, expires_at)
        VALUES (${sha256(token)}, 'subscription_contact', ${args.subscriptionId}, ${s.contactEmail}, ${new Date(args.expiresAt)})
        ON CONFLICT (token_hash) DO NOTHING`;
      const rendered = renderSubscriptionContactEmail({
        contactName: s.contactName,
        companyName: s.companyName,
        resellerName: s.resellerName,
        productName: PRODUCT_NAMES[s.product],
        email: s.contactEmail,
        setupUrl: `${config.PUBLIC_BASE_URL}/subscription-contact/setup?token=${token}`,
        linkExpiresAt: new Date(args.expiresAt),
      });
      return sendOnce({ sql, mailer, config }, args.key, {
        ...rendered,
        to: s.contactEmail,
        template: 'subscription.contact-invitation',
      });
    },

    /**
     * E2/T3: the contact's details, stored as the link is spent, in one transaction; the password's
     * hash was stored beforehand by the API (storeContactPassword), so it never enters workflow history.
     * Refused (non-retryable) for a spent, expired or foreign link, or when no password was set.
     */
    async completeSubscriptionContactSetup(args: {
      subscriptionId: string;
      tokenHash: string;
      name: string;
      phone: string | null;
    }): Promise<void> {
      await sql.begin(async (tx) => {
        const [token] = await tx<{ email: string; usedAt: Date | null; expiresAt: Date }[]>`
          SELECT email, used_at, expires_at FROM access_tokens
          WHERE token_hash = ${Buffer.from(args.tokenHash, 'hex')} AND purpose = 'subscription_contact' AND subscription_id = ${args.subscriptionId}
          FOR UPDATE`;
        if (!token || token.usedAt || token.expiresAt.getTime() <= Date.now()) {
          throw ApplicationFailure.nonRetryable(
            'This account setup link is no longer valid.',
            SubscriptionFailure.LinkInvalid,
          );
        }
        const [contact] = await tx<{ id: string; resellerId: string }[]>`
          UPDATE subscription_contacts c SET name = ${args.name}, phone = ${args.phone}, setup_at = now()
          FROM subscriptions s
          WHERE c.subscription_id = ${args.subscriptionId} AND lower(c.email) = lower(${token.email}) AND s.id = c.subscription_id
            AND c.password_hash IS NOT NULL
          RETURNING c.id, s.reseller_id`;
        if (!contact)
          throw ApplicationFailure.nonRetryable(
            'The contact no longer exists or has set no password.',
            SubscriptionFailure.LinkInvalid,
          );
        await tx`UPDATE access_tokens SET used_at = now()
                 WHERE subscription_id = ${args.subscriptionId} AND purpose = 'subscription_contact' AND used_at IS NULL`;
        await tx`INSERT INTO audit_events (reseller_id, entity_type, entity_id, action, actor, after)
                 VALUES (${contact.resellerId}, 'subscription', ${args.subscriptionId}, 'subscription.contact_setup', ${`contact:${token.email}`},
                         ${tx.json({ contactName: args.name, contactPhone: args.phone })})`;
      });
    },

    /** E2: the link ran out in workflow time; the stored one stops working now, whatever its stored expiry. */
    async expireSubscriptionContactLinks(args: { subscriptionId: string }): Promise<void> {
      await sql`UPDATE access_tokens SET expires_at = LEAST(expires_at, now())
                WHERE subscription_id = ${args.subscriptionId} AND purpose = 'subscription_contact' AND used_at IS NULL`;
    },

    /** E3: the reseller changes the number of users; the audit trail keeps before and after. */
    async changeSubscriptionUsers(args: { subscriptionId: string; users: number; actor: string }): Promise<void> {
      await sql.begin(async (tx) => {
        const [before] = await tx<{ resellerId: string; users: number; status: string }[]>`
          SELECT reseller_id, users, status FROM subscriptions WHERE id = ${args.subscriptionId} FOR UPDATE`;
        if (!before)
          throw ApplicationFailure.nonRetryable(
            `subscription ${args.subscriptionId} not found`,
            SubscriptionFailure.NotActive,
          );
        if (before.status !== 'active')
          throw ApplicationFailure.nonRetryable(`The subscription is ${before.status}.`, SubscriptionFailure.NotActive);
        // A retried activity finds the change made: no second audit row.
        if (before.users === args.users) return;
        await tx`UPDATE subscriptions SET users = ${args.users}, updated_at = now() WHERE id = ${args.subscriptionId}`;
        await tx`INSERT INTO audit_events (reseller_id, entity_type, entity_id, action, actor, before, after)
                 VALUES (${before.resellerId}, 'subscription', ${args.subscriptionId}, 'subscription.users_changed', ${args.actor},
                         ${tx.json({ users: before.users })}, ${tx.json({ users: args.users })})`;
      });
    },

    /** Ends the subscription: inactive, and its contact's link stops working (sessions end with it, see db/subscriptions). */
    async cancelSubscription(args: { subscriptionId: string; actor: string }): Promise<void> {
      await sql.begin(async (tx) => {
        const [before] = await tx<{ resellerId: string; status: string }[]>`
          SELECT reseller_id, status FROM subscriptions WHERE id = ${args.subscriptionId} FOR UPDATE`;
        if (!before || before.status === 'inactive') return;
        await tx`UPDATE subscriptions SET status = 'inactive', updated_at = now() WHERE id = ${args.subscriptionId}`;
        await tx`UPDATE access_tokens SET expires_at = LEAST(expires_at, now())
                 WHERE subscription_id = ${args.subscriptionId} AND purpose = 'subscription_contact' AND used_at IS NULL`;
        await tx`INSERT INTO audit_events (reseller_id, entity_type, entity_id, action, actor, before, after)
                 VALUES (${before.resellerId}, 'subscription', ${args.subscriptionId}, 'subscription.cancelled', ${args.actor},
                         ${tx.json({ status: 'active' })}, ${tx.json({ status: 'inactive' })})`;
      });
    },
  };
}
