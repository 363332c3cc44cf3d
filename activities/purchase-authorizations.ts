import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/activity';
import type { Config } from '../config';
import type { Sql, Tx } from '../db';
import {
  extendedTermIssue,
  PurchaseAuthorizationFailure,
  type MarketSegment,
  type PurchaseAuthorizationInput,
  type PurchaseAuthorizationStatus,
} from '../workflows/definitions';
import type { Mailer } from './mailer';

interface Deps {
  sql: Sql;
  mailer: Mailer;
  config: Config;
}

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** O8 for PA licenses: derived from the PA id, so a retried activity finds the same one. */
export function paSerialNumberFor(paId: string): string {
  const bytes = createHash('sha256').update(`pa-serial:${paId}`).digest();
  let s = '';
  for (let i = 0; i < 12; i++) s += ALPHABET[(bytes[i] as number) & 31];
  return `PA-${s.slice(0, 4)}-${s.slice(4, 8)}-${s.slice(8)}`;
}

export async function auditPa(
  tx: Tx,
  o: {
    resellerId: string;
    entityType: string;
    entityId: string;
    action: string;
    actor: string;
    before?: unknown;
    after?: unknown;
  },
) {
  await tx`INSERT INTO audit_events (reseller_id, entity_type, entity_id, action, actor, before, after)
           VALUES (${o.resellerId}, ${o.entityType}, ${o.entityId}, ${o.action}, ${o.actor},
                   ${o.before === undefined ? null : tx.json(o.before as never)}, ${o.after === undefined ? null : tx.json(o.after as never)})`;
}

/** R4: raises the customer's VIP Select level to the highest its segment grants for `licenses` bought in a term; never lowers it. */
export async function raiseVipSelect(tx: Tx, customerId: string, licenses: number): Promise<void> {
  await tx`
    UPDATE customers c SET vip_select_level = l.level
    FROM (SELECT v.market_segment, max(v.level) AS level FROM vip_select_levels v WHERE v.min_licenses <= ${licenses} GROUP BY v.market_segment) l
    WHERE c.id = ${customerId} AND l.market_segment = c.market_segment AND l.level > COALESCE(c.vip_select_level, 0)`;
}

/** What each status writes: its timestamp column, and what becomes of the PA's license. */
const TRANSITIONS: Partial<Record<PurchaseAuthorizationStatus, { column: string; license: string }>> = {
  paid: { column: 'paid_at', license: 'active' },
  overdue: { column: 'overdue_at', license: 'active' },
  deactivated: { column: 'deactivated_at', license: 'deactivated' },
  cancelled: { column: 'cancelled_at', license: 'cancelled' },
  returned: { column: 'returned_at', license: 'returned' },
};

export function createPurchaseAuthorizationActivities({ sql }: Deps) {
  return {
    /**
     * P1: stores the PA with an active license (immediate access). Refused while the customer has an
     * overdue or deactivated PA (P2), or for an extended term out of its segment's bounds or not at signup (C6).
     * A repeat returns the stored PA.
     */
    async storePurchaseAuthorization(args: { input: PurchaseAuthorizationInput }): Promise<{ createdAt: string }> {
      const { input } = args;
      return sql.begin(async (tx) => {
        const [existing] = await tx<
          { createdAt: Date }[]
        >`SELECT created_at FROM purchase_authorizations WHERE id = ${input.paId}`;
        if (existing) return { createdAt: existing.createdAt.toISOString() };
        const [customer] = await tx<{ marketSegment: MarketSegment; resellerId: string }[]>`
          SELECT market_segment, reseller_id FROM customers WHERE id = ${input.customerId} FOR UPDATE`;
        if (!customer || customer.resellerId !== input.resellerId)
          throw ApplicationFailure.nonRetryable('The customer no longer exists.', PurchaseAuthorizationFailure.Refused);
        const [late] =
          await tx`SELECT 1 FROM purchase_authorizations WHERE customer_id = ${input.customerId} AND status IN ('overdue', 'deactivated') LIMIT 1`;
        if (late)
          throw ApplicationFailure.nonRetryable(
            'The customer has an overdue purchase authorization; no new one until it is paid (P2).',
            PurchaseAuthorizationFailure.Refused,
          );
        if (input.extendedTermMonths !== null) {
          const issue = extendedTermIssue(customer.marketSegment, input.extendedTermMonths);
          if (issue)
            throw ApplicationFailure.nonRetryable(
              `extendedTermMonths: ${issue} (C6).`,
              PurchaseAuthorizationFailure.Refused,
            );
          const [earlier] = await tx`SELECT 1 FROM purchase_authorizations WHERE customer_id = ${input.customerId}
                                     UNION ALL SELECT 1 FROM orders WHERE customer_id = ${input.customerId} AND kind = 'order' LIMIT 1`;
          if (earlier)
            throw ApplicationFailure.nonRetryable(
              'extendedTermMonths: an extended term is prepaid at signup, with the first purchase (C6).',
              PurchaseAuthorizationFailure.Refused,
            );
          await tx`UPDATE customers SET extended_term_months = ${input.extendedTermMonths}, extended_term_prepaid = true WHERE id = ${input.customerId}`;
        }
        const [pa] = await tx<{ createdAt: Date }[]>`
          INSERT INTO purchase_authorizations (id, reseller_id, customer_id, product, quantity, created_by)
          VALUES (${input.paId}, ${input.resellerId}, ${input.customerId}, ${input.product}, ${input.quantity}, ${input.createdBy})
          RETURNING created_at`;
        await tx`INSERT INTO licenses (id, reseller_id, customer_id, serial_number, product, status, purchase_authorization_id, activated_at)
                 VALUES (${input.paId}, ${input.resellerId}, ${input.customerId}, ${paSerialNumberFor(input.paId)}, ${input.product}, 'active', ${input.paId}, now())`;
        // R4: the licenses bought in the current term (the last 12 months of purchases still standing).
        const [bought] = await tx<{ n: number }[]>`
          SELECT COALESCE(sum(quantity), 0)::int AS n FROM purchase_authorizations
          WHERE customer_id = ${input.customerId} AND status NOT IN ('cancelled', 'returned') AND created_at > now() - interval '12 months'`;
        await raiseVipSelect(tx, input.customerId, bought?.n ?? 0);
        const { terms: _t, ...after } = input;
        await auditPa(tx, {
          resellerId: input.resellerId,
          entityType: 'purchase_authorization',
          entityId: input.paId,
          action: 'purchase_authorization.created',
          actor: `user:${input.createdBy}`,
          after,
        });
        return { createdAt: (pa as { createdAt: Date }).createdAt.toISOString() };
      });
    },

    /** P1/P2: an order placed under the PA; a pending PA becomes ordered, an overdue one stays overdue. */
    async recordPurchaseAuthorizationOrder(args: { paId: string; actor: string }): Promise<void> {
      await sql.begin(async (tx) => {
        const [pa] = await tx<{ resellerId: string; status: string; orderedAt: Date | null }[]>`
          SELECT reseller_id, status, ordered_at FROM purchase_authorizations WHERE id = ${args.paId} FOR UPDATE`;
        if (!pa || pa.orderedAt) return;
        await tx`UPDATE purchase_authorizations SET ordered_at = now(), status = CASE WHEN status = 'pending' THEN 'ordered' ELSE status END WHERE id = ${args.paId}`;
        await auditPa(tx, {
          resellerId: pa.resellerId,
          entityType: 'purchase_authorization',
          entityId: args.paId,
          action: 'purchase_authorization.ordered',
          actor: args.actor,
          before: { status: pa.status },
        });
      });
    },

    /** P2-P4: moves the PA to a status and its license with it (paid restores it; deactivated, cancelled, returned end access). */
    async changePurchaseAuthorizationStatus(args: {
      paId: string;
      to: PurchaseAuthorizationStatus;
      actor: string;
    }): Promise<void> {
      const t = TRANSITIONS[args.to];
      if (!t)
        throw ApplicationFailure.nonRetryable(
          `No transition to ${args.to}.`,
          PurchaseAuthorizationFailure.NotChangeable,
        );
      await sql.begin(async (tx) => {
        const [pa] = await tx<
          { resellerId: string; status: string }[]
        >`SELECT reseller_id, status FROM purchase_authorizations WHERE id = ${args.paId} FOR UPDATE`;
        if (!pa || pa.status === args.to) return;
        await tx`UPDATE purchase_authorizations SET status = ${args.to}, ${tx(t.column)} = now(),
                   ordered_at = CASE WHEN ${args.to}::text = 'paid' THEN COALESCE(ordered_at, now()) ELSE ordered_at END
                 WHERE id = ${args.paId}`;
        await tx`UPDATE licenses SET status = ${t.license} WHERE purchase_authorization_id = ${args.paId}`;
        await auditPa(tx, {
          resellerId: pa.resellerId,
          entityType: 'purchase_authorization',
          entityId: args.paId,
          action: `purchase_authorization.${args.to}`,
          actor: args.actor,
          before: { status: pa.status },
          after: { status: args.to },
        });
      });
    },

    /** P5: how many of the PA's licenses are assigned to users. */
    async assignPurchaseAuthorizationLicenses(args: { paId: string; assigned: number; actor: string }): Promise<void> {
      await sql.begin(async (tx) => {
        const [pa] = await tx<
          { resellerId: string; licensesAssigned: number }[]
        >`SELECT reseller_id, licenses_assigned FROM purchase_authorizations WHERE id = ${args.paId} FOR UPDATE`;
        if (!pa || pa.licensesAssigned === args.assigned) return;
        await tx`UPDATE purchase_authorizations SET licenses_assigned = ${args.assigned} WHERE id = ${args.paId}`;
        await auditPa(tx, {
          resellerId: pa.resellerId,
          entityType: 'purchase_authorization',
          entityId: args.paId,
          action: 'purchase_authorization.assigned',
          actor: args.actor,
          before: { assigned: pa.licensesAssigned },
          after: { assigned: args.assigned },
        });
      });
    },
  };
}
