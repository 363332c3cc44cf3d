import { createHash, createHmac } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/activity';
import type { Config } from '../config';
import type { Sql, Tx } from '../db';
import { priceOrder } from '../db/catalog';
import { durationMs } from '../workflows/duration';
import { OrderFailure, type OrderInput } from '../workflows/definitions';
import { sendOnce, type Mailer } from './mailer';
import {
  renderActivationEmail,
  renderTrialExpiredEmail,
  renderTrialReminderEmail,
  type LicenseEmailData,
} from './templates/order';

interface Deps {
  sql: Sql;
  mailer: Mailer;
  config: Config;
}

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const sha256 = (value: string): Buffer => createHash('sha256').update(value).digest();

/** O8: the license's serial number, derived from the order id so a retried activity finds the same one. */
export function serialNumberFor(orderId: string): string {
  const bytes = createHash('sha256').update(`serial:${orderId}`).digest();
  let s = '';
  for (let i = 0; i < 12; i++) s += ALPHABET[(bytes[i] as number) & 31];
  return `PF-${s.slice(0, 4)}-${s.slice(4, 8)}-${s.slice(8)}`;
}

export function createOrderActivities({ sql, mailer, config }: Deps) {
  async function audit(
    tx: Tx,
    o: { resellerId: string; orderId: string; action: string; actor: string; before?: unknown; after?: unknown },
  ) {
    await tx`INSERT INTO audit_events (reseller_id, entity_type, entity_id, action, actor, before, after)
             VALUES (${o.resellerId}, 'order', ${o.orderId}, ${o.action}, ${o.actor},
                     ${o.before === undefined ? null : tx.json(o.before as never)}, ${o.after === undefined ? null : tx.json(o.after as never)})`;
  }

  async function emailData(
    orderId: string,
  ): Promise<LicenseEmailData & { contactEmail: string; resellerId: string; createdBy: string }> {
    const [o] = await sql<
      (Omit<LicenseEmailData, 'drivers'> & { contactEmail: string; resellerId: string; createdBy: string })[]
    >`
      SELECT o.kind, o.total_minor, o.currency, o.trial_ends_at, o.reseller_id, o.created_by, l.serial_number,
             c.contact_first_name, c.contact_email, c.organization_name, r.name AS reseller_name, p.name AS plan_name, s.name AS subscription_type_name
      FROM orders o JOIN licenses l ON l.order_id = o.id JOIN customers c ON c.id = o.customer_id
      JOIN resellers r ON r.id = o.reseller_id JOIN plans p ON p.code = o.plan JOIN subscription_types s ON s.code = o.subscription_type
      WHERE o.id = ${orderId}`;
    if (!o) throw ApplicationFailure.nonRetryable(`order ${orderId} not found`, 'OrderNotFound');
    const drivers = await sql<
      { name: string }[]
    >`SELECT d.name FROM order_lines ol JOIN drivers d ON d.code = ol.driver_code WHERE ol.order_id = ${orderId} ORDER BY d.name`;
    return { ...o, drivers: drivers.map((d) => d.name) };
  }

  return {
    /**
     * O1/O8/B2: prices the order from its currency's price list (a trial costs nothing until converted),
     * and stores it with its lines and a license awaiting activation; a repeat finds the stored one.
     */
    async placeOrder(args: {
      input: OrderInput;
      trialEndsAt: string | null;
    }): Promise<{ serialNumber: string; totalMinor: number }> {
      const { input } = args;
      const serialNumber = serialNumberFor(input.orderId);
      const [existing] = await sql<
        { totalMinor: number }[]
      >`SELECT total_minor FROM orders WHERE id = ${input.orderId}`;
      if (existing) return { serialNumber, totalMinor: existing.totalMinor };
      const [customer] = await sql<{ country: string }[]>`SELECT country FROM customers WHERE id = ${input.customerId}`;
      if (!customer) throw ApplicationFailure.nonRetryable('The customer no longer exists.', 'OrderInvalid');
      const result = await priceOrder(sql, input, customer.country.trim(), new Date());
      if (!result.ok)
        throw ApplicationFailure.nonRetryable(
          result.issues.map((i) => `${i.field}: ${i.message}`).join('; '),
          'OrderInvalid',
        );
      const p = result.priced;
      const trial = input.kind === 'trial';
      return sql.begin(async (tx) => {
        const inserted = await tx`
          INSERT INTO orders (id, reseller_id, customer_id, kind, status, currency, po_number, promo_code, subscription_type, plan,
                              subtotal_minor, discount_minor, total_minor, trial_ends_at, created_by)
          VALUES (${input.orderId}, ${input.resellerId}, ${input.customerId}, ${input.kind}, 'pending_activation', ${input.currency},
                  ${input.poNumber}, ${input.promoCode}, ${input.subscriptionType}, ${input.plan},
                  ${trial ? 0 : p.subtotalMinor}, ${trial ? 0 : p.discountMinor}, ${trial ? 0 : p.totalMinor}, ${args.trialEndsAt}, ${input.createdBy})
          ON CONFLICT (id) DO NOTHING RETURNING id`;
        if (inserted.length === 0) return { serialNumber, totalMinor: trial ? 0 : p.totalMinor };
        for (const line of p.lines) {
          await tx`INSERT INTO order_lines (order_id, driver_code, unit_price_minor) VALUES (${input.orderId}, ${line.driverCode}, ${trial ? 0 : line.unitPriceMinor})`;
        }
        await tx`INSERT INTO licenses (id, reseller_id, customer_id, serial_number, product, status, order_id, expires_at)
                 VALUES (${input.orderId}, ${input.resellerId}, ${input.customerId}, ${serialNumber}, ${`PrintFactory ${input.plan}`},
                         'pending_activation', ${input.orderId}, ${args.trialEndsAt})`;
        await audit(tx, {
          resellerId: input.resellerId,
          orderId: input.orderId,
          action: `${input.kind}.created`,
          actor: `user:${input.createdBy}`,
          after: {
            ...input,
            serialNumber,
            subtotalMinor: trial ? 0 : p.subtotalMinor,
            discountMinor: trial ? 0 : p.discountMinor,
            totalMinor: trial ? 0 : p.totalMinor,
            trialEndsAt: args.trialEndsAt,
          },
        });
        return { serialNumber, totalMinor: trial ? 0 : p.totalMinor };
      });
    },

    /** O4/T3: emails the activation instructions with a single-use link derived from the email's key. */
    async sendActivationEmail(args: { orderId: string; key: string }): Promise<'sent' | 'already-sent'> {
      const d = await emailData(args.orderId);
      const token = createHmac('sha256', config.TOKEN_SECRET).update(args.key).digest('base64url');
      await sql`INSERT INTO license_activation_tokens (token_hash, license_id, expires_at)
                VALUES (${sha256(token)}, ${args.orderId}, ${new Date(Date.now() + durationMs(config.ACTIVATION_LINK_TTL))})
                ON CONFLICT (token_hash) DO NOTHING`;
      const email = renderActivationEmail({
        ...d,
        activateUrl: `${config.PUBLIC_BASE_URL}/licenses/activate?token=${token}`,
      });
      return sendOnce({ sql, mailer, config }, args.key, {
        ...email,
        to: d.contactEmail,
        template: `license.activation.${d.kind}`,
      });
    },

    /** O4/O7: the customer's link activates the license; the link is spent in the same transaction. */
    async activateLicense(args: { orderId: string; tokenHash: string }): Promise<void> {
      await sql.begin(async (tx) => {
        const [token] = await tx<{ usedAt: Date | null; expiresAt: Date }[]>`
          SELECT used_at, expires_at FROM license_activation_tokens
          WHERE token_hash = ${Buffer.from(args.tokenHash, 'hex')} AND license_id = ${args.orderId} FOR UPDATE`;
        if (!token || token.usedAt || token.expiresAt.getTime() <= Date.now()) {
          throw ApplicationFailure.nonRetryable('This activation link is no longer valid.', OrderFailure.LinkInvalid);
        }
        const [o] = await tx<
          { resellerId: string; status: string }[]
        >`SELECT reseller_id, status FROM orders WHERE id = ${args.orderId} FOR UPDATE`;
        if (!o) throw ApplicationFailure.nonRetryable('The order no longer exists.', OrderFailure.LinkInvalid);
        await tx`UPDATE licenses SET status = 'active', activated_at = now() WHERE id = ${args.orderId}`;
        await tx`UPDATE orders SET status = 'active' WHERE id = ${args.orderId}`;
        await tx`UPDATE license_activation_tokens SET used_at = now() WHERE license_id = ${args.orderId} AND used_at IS NULL`;
        await audit(tx, {
          resellerId: o.resellerId,
          orderId: args.orderId,
          action: 'license.activated',
          actor: 'customer',
          before: { status: o.status },
          after: { status: 'active' },
        });
      });
    },

    /** O5: deletes an order or trial whose license was never activated; the customer stays. */
    async deleteOrder(args: { orderId: string; actor: string }): Promise<void> {
      await sql.begin(async (tx) => {
        const [o] = await tx<
          {
            resellerId: string;
            kind: string;
            customerId: string;
            totalMinor: number;
            licenseStatus: string;
            serialNumber: string;
          }[]
        >`
          SELECT o.reseller_id, o.kind, o.customer_id, o.total_minor, l.status AS license_status, l.serial_number
          FROM orders o JOIN licenses l ON l.order_id = o.id WHERE o.id = ${args.orderId} FOR UPDATE OF o`;
        if (!o) return; // a retry after it was deleted
        if (o.licenseStatus !== 'pending_activation') {
          throw ApplicationFailure.nonRetryable(
            'The license has been activated, so the order can no longer be deleted.',
            OrderFailure.AlreadyActivated,
          );
        }
        await tx`DELETE FROM orders WHERE id = ${args.orderId}`;
        await audit(tx, {
          resellerId: o.resellerId,
          orderId: args.orderId,
          action: `${o.kind}.deleted`,
          actor: args.actor,
          before: o,
        });
      });
    },

    /** O6 "+": a trial's new end date. */
    async extendTrial(args: { orderId: string; trialEndsAt: string; actor: string }): Promise<void> {
      await sql.begin(async (tx) => {
        const [o] = await tx<
          { resellerId: string; trialEndsAt: Date }[]
        >`SELECT reseller_id, trial_ends_at FROM orders WHERE id = ${args.orderId} FOR UPDATE`;
        if (!o || o.trialEndsAt.toISOString() === new Date(args.trialEndsAt).toISOString()) return;
        await tx`UPDATE orders SET trial_ends_at = ${args.trialEndsAt} WHERE id = ${args.orderId}`;
        await tx`UPDATE licenses SET expires_at = ${args.trialEndsAt} WHERE order_id = ${args.orderId}`;
        await audit(tx, {
          resellerId: o.resellerId,
          orderId: args.orderId,
          action: 'trial.extended',
          actor: args.actor,
          before: { trialEndsAt: o.trialEndsAt },
          after: { trialEndsAt: args.trialEndsAt },
        });
      });
    },

    /** O6 "+": the trial becomes an order priced now; its license keeps running, without a gap. */
    async convertTrial(args: { orderId: string; actor: string }): Promise<{ totalMinor: number }> {
      const [o] = await sql<(OrderInput & { country: string; status: string; totalMinor: number })[]>`
        SELECT o.kind, o.currency, o.po_number, o.promo_code, o.subscription_type, o.plan, o.status, o.total_minor, c.country
        FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.id = ${args.orderId}`;
      if (!o) throw ApplicationFailure.nonRetryable('The trial no longer exists.', 'OrderNotFound');
      if (o.kind === 'order') return { totalMinor: o.totalMinor };
      const drivers = (
        await sql<{ driverCode: string }[]>`SELECT driver_code FROM order_lines WHERE order_id = ${args.orderId}`
      ).map((l) => l.driverCode);
      // A promo that has expired since the trial started no longer applies.
      let result = await priceOrder(sql, { ...o, drivers }, o.country.trim(), new Date());
      if (!result.ok && o.promoCode)
        result = await priceOrder(sql, { ...o, drivers, promoCode: null }, o.country.trim(), new Date());
      if (!result.ok)
        throw ApplicationFailure.nonRetryable(
          result.issues.map((i) => `${i.field}: ${i.message}`).join('; '),
          'OrderInvalid',
        );
      const p = result.priced;
      await sql.begin(async (tx) => {
        const [locked] = await tx<
          { resellerId: string; kind: string }[]
        >`SELECT reseller_id, kind FROM orders WHERE id = ${args.orderId} FOR UPDATE`;
        if (!locked || locked.kind === 'order') return;
        await tx`UPDATE orders SET kind = 'order', converted_at = now(), trial_ends_at = NULL,
                   subtotal_minor = ${p.subtotalMinor}, discount_minor = ${p.discountMinor}, total_minor = ${p.totalMinor}
                 WHERE id = ${args.orderId}`;
        for (const line of p.lines) {
          await tx`UPDATE order_lines SET unit_price_minor = ${line.unitPriceMinor} WHERE order_id = ${args.orderId} AND driver_code = ${line.driverCode}`;
        }
        await tx`UPDATE licenses SET expires_at = NULL WHERE order_id = ${args.orderId}`;
        await audit(tx, {
          resellerId: locked.resellerId,
          orderId: args.orderId,
          action: 'trial.converted',
          actor: args.actor,
          before: { kind: 'trial', totalMinor: 0 },
          after: {
            kind: 'order',
            subtotalMinor: p.subtotalMinor,
            discountMinor: p.discountMinor,
            totalMinor: p.totalMinor,
          },
        });
      });
      return { totalMinor: p.totalMinor };
    },

    /** O6: the trial's end: the license is deactivated. */
    async expireTrial(args: { orderId: string }): Promise<void> {
      await sql.begin(async (tx) => {
        const [o] = await tx<
          { resellerId: string; status: string }[]
        >`SELECT reseller_id, status FROM orders WHERE id = ${args.orderId} AND kind = 'trial' FOR UPDATE`;
        if (!o || o.status === 'expired') return;
        await tx`UPDATE orders SET status = 'expired' WHERE id = ${args.orderId}`;
        await tx`UPDATE licenses SET status = 'expired' WHERE order_id = ${args.orderId}`;
        await audit(tx, {
          resellerId: o.resellerId,
          orderId: args.orderId,
          action: 'trial.expired',
          actor: 'system',
          before: { status: o.status },
          after: { status: 'expired' },
        });
      });
    },

    /** O6: a reminder before the trial ends, or the notice that it ended (to the customer and the reseller). */
    async sendTrialEmail(args: {
      orderId: string;
      key: string;
      kind: 'reminder' | 'expired';
      before?: string;
    }): Promise<void> {
      const d = await emailData(args.orderId);
      if (args.kind === 'reminder') {
        const email = renderTrialReminderEmail({ ...d, before: args.before ?? '' });
        await sendOnce({ sql, mailer, config }, args.key, { ...email, to: d.contactEmail, template: 'trial.reminder' });
        return;
      }
      const [creator] = await sql<
        { email: string; name: string }[]
      >`SELECT email, name FROM reseller_users WHERE id = ${d.createdBy}`;
      const toCustomer = renderTrialExpiredEmail({ ...d, name: d.contactFirstName, audience: 'customer' });
      await sendOnce({ sql, mailer, config }, `${args.key}/customer`, {
        ...toCustomer,
        to: d.contactEmail,
        template: 'trial.expired.customer',
      });
      if (creator) {
        const toReseller = renderTrialExpiredEmail({ ...d, name: creator.name, audience: 'reseller' });
        await sendOnce({ sql, mailer, config }, `${args.key}/reseller`, {
          ...toReseller,
          to: creator.email,
          template: 'trial.expired.reseller',
        });
      }
    },
  };
}
