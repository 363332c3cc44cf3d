import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/activity';
import type { Config } from '../config';
import type { Sql } from '../db';
import { renewalTerms } from '../config/terms';
import { currentRenewalDate, findRenewalProfile } from '../db/renewals';
import { addMonths } from '../lib/dates';
import {
  RENEWAL_TERM_MONTHS,
  RenewalFailure,
  type RenewalInput as RenewalSchedule,
  type RenewalTiming,
} from '../workflows/definitions';
import { sendOnce, type Mailer } from './mailer';
import { auditPa, raiseVipSelect } from './purchase-authorizations';
import { renderRenewalNotice } from './templates/renewal';

interface Deps {
  sql: Sql;
  mailer: Mailer;
  config: Config;
}

export function createRenewalActivities({ sql, mailer, config }: Deps) {
  return {
    /**
     * R1/C5: the customer's current renewal date, once its anniversary is set (however it was set), with the
     * configured terms, so that the lifecycle that set it starts the renewal run. Null while there is none.
     */
    async renewalScheduleOf(args: { customerId: string }): Promise<RenewalSchedule | null> {
      const profile = await findRenewalProfile(sql, null, args.customerId);
      const anniversaryDate = profile ? currentRenewalDate(profile) : null;
      if (!profile || !anniversaryDate) return null;
      return {
        customerId: args.customerId,
        resellerId: profile.resellerId,
        anniversaryDate,
        terms: renewalTerms(config),
      };
    },

    /** R1/R2: a notice to the customer's contact, once per key. */
    async sendRenewalNotice(args: {
      customerId: string;
      anniversaryDate: string;
      kind: 'upcoming' | 'ready';
      key: string;
    }): Promise<void> {
      const [c] = await sql<
        { contactFirstName: string; contactEmail: string; organizationName: string; resellerName: string }[]
      >`
        SELECT c.contact_first_name, c.contact_email, c.organization_name, r.name AS reseller_name
        FROM customers c JOIN resellers r ON r.id = c.reseller_id WHERE c.id = ${args.customerId}`;
      if (!c) return; // the customer has gone (deleted or moved away): nobody to tell
      const email = renderRenewalNotice({ ...c, anniversaryDate: args.anniversaryDate, kind: args.kind });
      await sendOnce({ sql, mailer, config }, args.key, {
        ...email,
        to: c.contactEmail,
        template: `renewal.${args.kind}`,
      });
    },

    /**
     * R2/R3: records the renewal order in the renewal history and starts the next 12-month term
     * (C6: after an extended term, renewals are 12 months); R4: the renewed quantity counts for VIP Select.
     */
    async recordRenewal(args: {
      customerId: string;
      resellerId: string;
      renewalDate: string;
      timing: RenewalTiming;
      quantity: number;
      actor: string;
    }): Promise<{ termEndsOn: string }> {
      const termEndsOn = addMonths(args.renewalDate, RENEWAL_TERM_MONTHS);
      await sql.begin(async (tx) => {
        const id = randomUUID();
        const inserted = await tx`
          INSERT INTO renewal_orders (id, reseller_id, customer_id, renewal_date, timing, quantity, term_months, term_starts_on, term_ends_on, created_by)
          VALUES (${id}, ${args.resellerId}, ${args.customerId}, ${args.renewalDate}, ${args.timing}, ${args.quantity}, ${RENEWAL_TERM_MONTHS},
                  ${args.renewalDate}, ${termEndsOn}, ${args.actor})
          ON CONFLICT (customer_id, renewal_date) DO NOTHING RETURNING id`;
        if (inserted.length === 0) return; // a retry after it was recorded
        await raiseVipSelect(tx, args.customerId, args.quantity);
        await auditPa(tx, {
          resellerId: args.resellerId,
          entityType: 'customer',
          entityId: args.customerId,
          action: 'renewal.processed',
          actor: args.actor,
          after: { ...args, termEndsOn },
        });
      });
      return { termEndsOn };
    },

    /** R2: no renewal inside the window: the customer's active licenses expire. */
    async expireRenewal(args: { customerId: string; resellerId: string; renewalDate: string }): Promise<void> {
      await sql.begin(async (tx) => {
        const expired = await tx`UPDATE licenses SET status = 'expired', expires_at = COALESCE(expires_at, now())
                                 WHERE customer_id = ${args.customerId} AND status = 'active' RETURNING id`;
        await auditPa(tx, {
          resellerId: args.resellerId,
          entityType: 'customer',
          entityId: args.customerId,
          action: 'renewal.expired',
          actor: 'system',
          after: { renewalDate: args.renewalDate, licenses: expired.length },
        });
      });
    },

    /** R5: a 3-year commitment, only after VIP Select and never on an extended prepaid term. */
    async commitThreeYears(args: {
      customerId: string;
      resellerId: string;
      quantity: number;
      actor: string;
    }): Promise<void> {
      await sql.begin(async (tx) => {
        const [c] = await tx<
          {
            vipSelectLevel: number | null;
            extendedTermMonths: number | null;
            threeYearCommitmentQuantity: number | null;
          }[]
        >`
          SELECT vip_select_level, extended_term_months, three_year_commitment_quantity FROM customers WHERE id = ${args.customerId} FOR UPDATE`;
        if (!c)
          throw ApplicationFailure.nonRetryable('The customer no longer exists.', RenewalFailure.CommitmentRefused);
        if (c.threeYearCommitmentQuantity !== null) return;
        if (c.extendedTermMonths !== null)
          throw ApplicationFailure.nonRetryable(
            'A 3-year commitment is not available on an extended prepaid term (R5).',
            RenewalFailure.CommitmentRefused,
          );
        if (c.vipSelectLevel === null)
          throw ApplicationFailure.nonRetryable(
            'A 3-year commitment needs VIP Select first: at least 10 licenses in a term (R5).',
            RenewalFailure.CommitmentRefused,
          );
        await tx`UPDATE customers SET three_year_commitment_quantity = ${args.quantity}, three_year_committed_at = now() WHERE id = ${args.customerId}`;
        await auditPa(tx, {
          resellerId: args.resellerId,
          entityType: 'customer',
          entityId: args.customerId,
          action: 'renewal.three_year_commitment',
          actor: args.actor,
          after: { quantity: args.quantity },
        });
      });
    },
  };
}
