import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/activity';
import type { Config } from '../config';
import type { Sql } from '../db';
import { applyPrices } from '../db/catalog';
import type { BillingCycle, BillingState, Entitlement } from '../workflows/definitions';
import { sendOnce, type Mailer } from './mailer';
import { renderInvoiceEmail } from './templates/billing';

interface Deps {
  sql: Sql;
  mailer: Mailer;
  config: Config;
}

export interface OpenedCycle {
  invoiceId: string;
  number: string;
  totalMinor: number;
}

export interface BillingChange {
  entitlement?: Entitlement;
  suspendAtCycleEnd?: boolean;
  billing?: BillingState;
}

/** The license follows the entitlement: usable only while it is active. */
const licenseStatusOf = (e: Entitlement): 'active' | 'suspended' => (e === 'active' ? 'active' : 'suspended');

export function createBillingActivities({ sql, mailer, config }: Deps) {
  return {
    /**
     * B1/B2: opens a billing period and issues its invoice, priced now from the price list of the
     * order's currency, net of the reseller's discount; the charge goes on the reseller's balance (D6).
     * Keyed by (order, period start): a retry finds the invoice already issued.
     */
    async openBillingCycle(args: {
      orderId: string;
      cycle: BillingCycle;
      periodStart: string;
      periodEnd: string;
      dueAt: string;
    }): Promise<OpenedCycle> {
      const [o] = await sql<
        {
          resellerId: string;
          customerId: string;
          currency: string;
          subscriptionType: string;
          plan: string;
          discountPercent: number;
        }[]
      >`
        SELECT o.reseller_id, o.customer_id, o.currency, o.subscription_type, o.plan, r.discount_percent
        FROM orders o JOIN resellers r ON r.id = o.reseller_id WHERE o.id = ${args.orderId}`;
      if (!o) throw ApplicationFailure.nonRetryable(`order ${args.orderId} not found`, 'OrderNotFound');
      const items = await sql<{ item: string; name: string; isPlan: boolean; amountMinor: number | null }[]>`
        SELECT i.item, i.name, i.is_plan, p.amount_minor
        FROM (SELECT ol.driver_code AS item, d.name, false AS is_plan FROM order_lines ol JOIN drivers d ON d.code = ol.driver_code WHERE ol.order_id = ${args.orderId}
              UNION ALL SELECT pl.code, 'PrintFactory ' || pl.name, true FROM plans pl WHERE pl.code = ${o.plan}) i
        LEFT JOIN prices p ON p.item = i.item AND p.currency = ${o.currency} AND p.subscription_type = ${o.subscriptionType}
        ORDER BY i.is_plan DESC, i.name`;
      const unpriced = items.filter((i) => i.amountMinor === null).map((i) => i.item);
      if (unpriced.length)
        throw ApplicationFailure.nonRetryable(
          `the ${o.currency.trim()} price list has no ${o.subscriptionType} price for ${unpriced.join(', ')}`,
          'PriceMissing',
        );
      const plan = items.find((i) => i.isPlan)!;
      const priced = applyPrices(
        items.filter((i) => !i.isPlan).map((i) => ({ driverCode: i.item, unitPriceMinor: i.amountMinor! })),
        plan.amountMinor!,
        o.discountPercent,
      );

      return sql.begin(async (tx) => {
        await tx`
          INSERT INTO billing_subscriptions (order_id, reseller_id, customer_id, cycle, current_period_start, current_period_end, next_payment_date, billing_state)
          VALUES (${args.orderId}, ${o.resellerId}, ${o.customerId}, ${args.cycle}, ${args.periodStart}, ${args.periodEnd}, ${args.periodEnd}, 'active')
          ON CONFLICT (order_id) DO UPDATE SET current_period_start = EXCLUDED.current_period_start, current_period_end = EXCLUDED.current_period_end,
            next_payment_date = EXCLUDED.next_payment_date, billing_state = 'active', updated_at = now()`;
        const [existing] = await tx<{ id: string; number: string; totalMinor: number }[]>`
          SELECT id, number, total_minor FROM invoices WHERE order_id = ${args.orderId} AND period_start = ${args.periodStart}`;
        if (existing) return { invoiceId: existing.id, number: existing.number, totalMinor: existing.totalMinor };
        const id = randomUUID();
        const [inv] = await tx<{ number: string }[]>`
          INSERT INTO invoices (id, number, reseller_id, customer_id, order_id, currency, period_start, period_end,
                                subtotal_minor, discount_percent, discount_minor, total_minor, due_at)
          VALUES (${id}, 'INV-' || nextval('invoice_number'), ${o.resellerId}, ${o.customerId}, ${args.orderId}, ${o.currency}, ${args.periodStart}, ${args.periodEnd},
                  ${priced.subtotalMinor}, ${o.discountPercent}, ${priced.discountMinor}, ${priced.totalMinor}, ${args.dueAt})
          RETURNING number`;
        let position = 0;
        for (const i of items) {
          await tx`INSERT INTO invoice_lines (invoice_id, position, item, description, unit_price_minor)
                   VALUES (${id}, ${++position}, ${i.item}, ${i.name}, ${i.amountMinor!})`;
        }
        await tx`INSERT INTO reseller_balance_transactions (reseller_id, kind, invoice_id, currency, amount_minor, description)
                 VALUES (${o.resellerId}, 'invoice', ${id}, ${o.currency}, ${priced.totalMinor}, ${`Invoice ${inv!.number}`})`;
        return { invoiceId: id, number: inv!.number, totalMinor: priced.totalMinor };
      });
    },

    /**
     * S1/S2: changes the entitlement, the pending suspension or the billing state; the license's status
     * and the audit event are written in the same transaction. Repeating a change already made is a no-op.
     */
    async changeBilling(args: { orderId: string; set: BillingChange; action: string; actor: string }): Promise<void> {
      await sql.begin(async (tx) => {
        const [b] = await tx<
          { resellerId: string; entitlement: Entitlement; suspendAtCycleEnd: boolean; billingState: BillingState }[]
        >`
          SELECT reseller_id, entitlement, suspend_at_cycle_end, billing_state FROM billing_subscriptions WHERE order_id = ${args.orderId} FOR UPDATE`;
        if (!b) throw ApplicationFailure.nonRetryable(`no billing for order ${args.orderId}`, 'BillingNotFound');
        const before = { entitlement: b.entitlement, suspendAtCycleEnd: b.suspendAtCycleEnd, billing: b.billingState };
        const after = { ...before, ...args.set };
        if (
          after.entitlement === before.entitlement &&
          after.suspendAtCycleEnd === before.suspendAtCycleEnd &&
          after.billing === before.billing
        )
          return;
        await tx`UPDATE billing_subscriptions SET entitlement = ${after.entitlement}, suspend_at_cycle_end = ${after.suspendAtCycleEnd},
                   billing_state = ${after.billing}, next_payment_date = ${after.billing === 'paused' ? null : sql`next_payment_date`}, updated_at = now()
                 WHERE order_id = ${args.orderId}`;
        if (after.entitlement !== before.entitlement) {
          await tx`UPDATE licenses SET status = ${licenseStatusOf(after.entitlement)} WHERE order_id = ${args.orderId}`;
        }
        await tx`INSERT INTO audit_events (reseller_id, entity_type, entity_id, action, actor, before, after)
                 VALUES (${b.resellerId}, 'order', ${args.orderId}, ${args.action}, ${args.actor}, ${tx.json(before)}, ${tx.json(after)})`;
      });
    },

    /** B1: emails the invoice to the reseller's billing users (the order's creator when it has none). */
    async sendInvoiceEmail(args: { invoiceId: string; key: string }): Promise<void> {
      const [d] = await sql<
        {
          number: string;
          currency: string;
          periodStart: Date;
          periodEnd: Date;
          subtotalMinor: number;
          discountPercent: number;
          discountMinor: number;
          totalMinor: number;
          dueAt: Date;
          resellerId: string;
          resellerName: string;
          organizationName: string;
          serialNumber: string;
          createdBy: string;
        }[]
      >`SELECT i.number, i.currency, i.period_start, i.period_end, i.subtotal_minor, i.discount_percent, i.discount_minor, i.total_minor, i.due_at,
               i.reseller_id, r.name AS reseller_name, c.organization_name, l.serial_number, o.created_by
        FROM invoices i JOIN resellers r ON r.id = i.reseller_id JOIN customers c ON c.id = i.customer_id
        JOIN orders o ON o.id = i.order_id JOIN licenses l ON l.order_id = i.order_id
        WHERE i.id = ${args.invoiceId}`;
      if (!d) throw ApplicationFailure.nonRetryable(`invoice ${args.invoiceId} not found`, 'InvoiceNotFound');
      let to = await sql<{ id: string; email: string; name: string }[]>`
        SELECT id, email, name FROM reseller_users WHERE reseller_id = ${d.resellerId} AND 'billing' = ANY (permissions) ORDER BY created_at, id`;
      if (to.length === 0)
        to = await sql<
          { id: string; email: string; name: string }[]
        >`SELECT id, email, name FROM reseller_users WHERE id = ${d.createdBy}`;
      for (const user of to) {
        const email = renderInvoiceEmail({
          ...d,
          currency: d.currency.trim(),
          recipientName: user.name,
          invoiceUrl: `${config.PUBLIC_BASE_URL}/v1/invoices/${args.invoiceId}/pdf`,
        });
        await sendOnce({ sql, mailer, config }, `${args.key}/${user.id}`, {
          ...email,
          to: user.email,
          template: 'billing.invoice',
        });
      }
    },
  };
}
