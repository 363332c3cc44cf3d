import { createHash, createHmac } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/activity';
import type { Config } from '../config';
import type { Sql } from '../db';
import { deleteCustomerWithoutProducts } from '../db/customers';
import { durationMs } from '../workflows/duration';
import { InvitationFailure, type InvitationInput, type Registration } from '../workflows/definitions';
import { sendOnce, type Mailer } from './mailer';
import { renderInvitationEmail } from './templates/invitation';

interface Deps {
  sql: Sql;
  mailer: Mailer;
  config: Config;
}

const sha256 = (value: string): Buffer => createHash('sha256').update(value).digest();

/** Activities of the customer invitation: each one side effect, safe to repeat for the same business key. */
export function createCustomerActivities({ sql, mailer, config }: Deps) {
  return {
    /** C1/C2: stores the customer and issues its VIP id; a repeat returns the same VIP id. */
    async registerCustomer(input: InvitationInput): Promise<Registration> {
      const c = input.customer;
      return sql.begin(async (tx) => {
        const inserted = await tx<{ vipId: string }[]>`
          INSERT INTO customers (id, reseller_id, vip_id, organization_name, organization_name_ascii, market_segment,
            customer_type, country, address_line1, address_line2, city, postal_code, tax_id,
            contact_first_name, contact_last_name, contact_email, anniversary_date, created_by)
          VALUES (${input.customerId}, ${input.resellerId}, 'VIP' || nextval('vip_number'), ${c.organizationName},
            ${c.organizationNameAscii}, ${c.marketSegment}, ${c.type}, ${c.country}, ${c.addressLine1}, ${c.addressLine2},
            ${c.city}, ${c.postalCode}, ${c.taxId}, ${c.contact.firstName}, ${c.contact.lastName}, ${c.contact.email},
            ${c.anniversaryDate}, ${input.invitedBy})
          ON CONFLICT (id) DO NOTHING
          RETURNING vip_id`;
        if (inserted[0]) {
          await tx`INSERT INTO audit_events (reseller_id, entity_type, entity_id, action, actor, after)
                   VALUES (${input.resellerId}, 'customer', ${input.customerId}, 'customer.invited', ${`user:${input.invitedBy}`},
                           ${tx.json({ vipId: inserted[0].vipId, ...c } as never)})`;
          return { customerId: input.customerId, vipId: inserted[0].vipId };
        }
        const [existing] = await tx<{ vipId: string }[]>`SELECT vip_id FROM customers WHERE id = ${input.customerId}`;
        if (!existing) throw new Error(`customer ${input.customerId} neither inserted nor found`);
        return { customerId: input.customerId, vipId: existing.vipId };
      });
    },

    /** C3: a reminder may go to a corrected address; the contact's email changes with it. */
    async changeContactEmail(args: { customerId: string; email: string; actor: string }): Promise<void> {
      await sql.begin(async (tx) => {
        const [before] = await tx<{ resellerId: string; contactEmail: string }[]>`
          SELECT reseller_id, contact_email FROM customers WHERE id = ${args.customerId} FOR UPDATE`;
        if (!before || before.contactEmail === args.email) return;
        await tx`UPDATE customers SET contact_email = ${args.email}, updated_at = now() WHERE id = ${args.customerId}`;
        await tx`INSERT INTO audit_events (reseller_id, entity_type, entity_id, action, actor, before, after)
                 VALUES (${before.resellerId}, 'customer', ${args.customerId}, 'customer.contact_email_changed', ${args.actor},
                         ${tx.json({ contactEmail: before.contactEmail })}, ${tx.json({ contactEmail: args.email })})`;
      });
    },

    /**
     * C2/T3: emails the contact a single-use acceptance link. The token is derived from the email's key,
     * so a retried activity sends the same link, and only its hash is stored.
     */
    async sendInvitationEmail(args: {
      customerId: string;
      kind: 'invitation' | 'reminder';
      key: string;
    }): Promise<'sent' | 'already-sent'> {
      const [c] = await sql<
        {
          contactFirstName: string;
          contactEmail: string;
          organizationName: string;
          vipId: string;
          resellerName: string;
        }[]
      >`
        SELECT c.contact_first_name, c.contact_email, c.organization_name, c.vip_id, r.name AS reseller_name
        FROM customers c JOIN resellers r ON r.id = c.reseller_id WHERE c.id = ${args.customerId}`;
      if (!c) throw ApplicationFailure.nonRetryable(`customer ${args.customerId} not found`, 'CustomerNotFound');
      const token = createHmac('sha256', config.TOKEN_SECRET).update(args.key).digest('base64url');
      const expiresAt = new Date(Date.now() + durationMs(config.INVITATION_LINK_TTL));
      const [stored] = await sql<{ expiresAt: Date }[]>`
        INSERT INTO access_tokens (token_hash, purpose, customer_id, email, expires_at)
        VALUES (${sha256(token)}, 'invitation', ${args.customerId}, ${c.contactEmail}, ${expiresAt})
        ON CONFLICT (token_hash) DO UPDATE SET token_hash = EXCLUDED.token_hash
        RETURNING expires_at`;
      const rendered = renderInvitationEmail({
        kind: args.kind,
        contactFirstName: c.contactFirstName,
        organizationName: c.organizationName,
        resellerName: c.resellerName,
        vipId: c.vipId,
        acceptUrl: `${config.PUBLIC_BASE_URL}/invitations/accept?token=${token}`,
        linkExpiresAt: stored?.expiresAt ?? expiresAt,
      });
      return sendOnce({ sql, mailer, config }, args.key, {
        ...rendered,
        to: c.contactEmail,
        template: `invitation.${args.kind}`,
      });
    },

    /**
     * C2/C4/T3: marks the invitation Accepted and spends every acceptance link of the customer, in one
     * transaction. Refused (non-retryable) for a spent or expired link, or when C4 forbids it.
     */
    async acceptInvitation(args: { customerId: string; tokenHash: string }): Promise<void> {
      await sql.begin(async (tx) => {
        const [token] = await tx<{ usedAt: Date | null; expiresAt: Date }[]>`
          SELECT used_at, expires_at FROM access_tokens
          WHERE token_hash = ${Buffer.from(args.tokenHash, 'hex')} AND purpose = 'invitation' AND customer_id = ${args.customerId}
          FOR UPDATE`;
        if (!token || token.usedAt || token.expiresAt.getTime() <= Date.now()) {
          throw ApplicationFailure.nonRetryable(
            'This invitation link is no longer valid.',
            InvitationFailure.LinkInvalid,
          );
        }
        const [customer] = await tx<{ resellerId: string; organizationName: string; contactEmail: string }[]>`
          SELECT reseller_id, organization_name, contact_email FROM customers WHERE id = ${args.customerId} FOR UPDATE`;
        if (!customer)
          throw ApplicationFailure.nonRetryable('The customer no longer exists.', InvitationFailure.LinkInvalid);
        // C4 is also a unique index; checking first gives a clear reason without aborting the transaction.
        const [clash] = await tx`
          SELECT 1 FROM customers WHERE invitation_status = 'accepted' AND id <> ${args.customerId}
            AND lower(contact_email) = lower(${customer.contactEmail}) AND organization_name = ${customer.organizationName}`;
        if (clash) {
          throw ApplicationFailure.nonRetryable(
            `${customer.contactEmail} is already the primary admin of another customer named "${customer.organizationName}".`,
            InvitationFailure.DuplicatePrimaryAdmin,
          );
        }
        await tx`UPDATE customers SET invitation_status = 'accepted', accepted_at = now(), updated_at = now() WHERE id = ${args.customerId}`;
        await tx`UPDATE access_tokens SET used_at = now() WHERE customer_id = ${args.customerId} AND purpose = 'invitation' AND used_at IS NULL`;
        await tx`INSERT INTO audit_events (reseller_id, entity_type, entity_id, action, actor, before, after)
                 VALUES (${customer.resellerId}, 'customer', ${args.customerId}, 'invitation.accepted', ${`contact:${customer.contactEmail}`},
                         ${tx.json({ invitationStatus: 'pending' })}, ${tx.json({ invitationStatus: 'accepted' })})`;
      });
    },

    /** C3/C8: deletes a customer that has no products, with its links; refused otherwise. */
    async deleteCustomer(args: { customerId: string; actor: string }): Promise<void> {
      const outcome = await deleteCustomerWithoutProducts(sql, args.customerId, args.actor);
      if (outcome === 'has-products') {
        throw ApplicationFailure.nonRetryable(
          'The customer has products and cannot be deleted.',
          InvitationFailure.HasProducts,
        );
      }
    },
  };
}
