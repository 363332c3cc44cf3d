import { ApplicationFailure } from '@temporalio/activity';
import { billingTerms } from '../config/terms';
import { priceOrder } from '../db/catalog';
import { configureOrder } from '../db/order-configuration';
import * as orders from '../db/orders';
import { durationMs } from '../workflows/duration';
import { type BillingCycle, type BillingTerms, OrderFailure, type OrderInput } from '../workflows/definitions';
import { type ActivityDeps, sendLinkEmail, sendOnce } from './mailer';
import { renderActivationEmail, renderTrialExpiredEmail, renderTrialReminderEmail } from './templates/order';

/** The SaaS subscription types, billed by cycle; the others (perpetual) are invoiced once. */
const CYCLE_OF: Record<string, BillingCycle | undefined> = { 'saas-monthly': 'monthly', 'saas-annual': 'annual' };

const invalid = (issues: { field: string; message: string }[]) =>
  ApplicationFailure.nonRetryable(issues.map((i) => `${i.field}: ${i.message}`).join('; '), OrderFailure.Invalid);

/** Activities of orders and trials: each one side effect through db/orders.ts, safe to repeat. */
export function createOrderActivities(deps: ActivityDeps) {
  const { sql, config } = deps;
  async function emailData(orderId: string) {
    const d = await orders.licenseEmailData(sql, orderId);
    if (!d) throw ApplicationFailure.nonRetryable(`order ${orderId} not found`, 'OrderNotFound');
    return d;
  }

  return {
    /**
     * O1/O8/B2: prices the order from its currency's price list (a trial costs nothing until converted), and
     * stores it with its lines and a license awaiting activation, owned by the customer's reseller; a repeat
     * finds the stored one.
     */
    async placeOrder(args: { input: OrderInput; trialEndsAt: string | null }): Promise<{ serialNumber: string }> {
      const { input } = args;
      const serialNumber = orders.serialNumberFor(input.orderId);
      if (await orders.storedOrder(sql, input.orderId)) return { serialNumber };
      const owner = await orders.customerOwner(sql, input.customerId);
      if (!owner) throw ApplicationFailure.nonRetryable('The customer no longer exists.', OrderFailure.Invalid);
      const result = await priceOrder(sql, input, owner.country, new Date());
      if (!result.ok) throw invalid(result.issues);
      await orders.insertOrder(sql, {
        input,
        resellerId: owner.resellerId,
        priced: result.priced,
        serialNumber,
        trialEndsAt: args.trialEndsAt,
      });
      return { serialNumber };
    },

    /**
     * O4/O7/T3: emails the activation instructions with a single-use link whose token is random (nobody, the
     * reseller included, can compute it), only its hash stored; a retry that has not sent yet replaces it.
     */
    async sendActivationEmail(args: { orderId: string; key: string }): Promise<'sent' | 'already-sent'> {
      const d = await emailData(args.orderId);
      return sendLinkEmail(deps, args.key, {
        link: {
          purpose: 'license_activation',
          licenseId: args.orderId,
          expiresAt: new Date(Date.now() + durationMs(config.ACTIVATION_LINK_TTL)),
        },
        to: d.contactEmail,
        template: `license.activation.${d.kind}`,
        path: '/licenses/activate',
        render: (link) =>
          renderActivationEmail({ ...d, activateUrl: link.url, helpUrl: config.LICENSE_REGISTRATION_HELP_URL }),
      });
    },

    /** O4/O7: the customer's link activates the license; the link is spent in the same transaction. */
    async activateLicense(args: { orderId: string; tokenHash: string }): Promise<void> {
      const outcome = await orders.activateLicense(sql, {
        orderId: args.orderId,
        tokenHash: Buffer.from(args.tokenHash, 'hex'),
      });
      if (outcome === 'link_invalid')
        throw ApplicationFailure.nonRetryable('This activation link is no longer valid.', OrderFailure.LinkInvalid);
    },

    /** O5: deletes an order or trial whose license was never activated; the customer stays. */
    async deleteOrder(args: { orderId: string; actor: string }): Promise<void> {
      const outcome = await orders.deleteUnactivatedOrder(sql, args);
      if (outcome === 'activated')
        throw ApplicationFailure.nonRetryable(
          'The license has been activated, so the order can no longer be deleted (O5).',
          OrderFailure.AlreadyActivated,
        );
    },

    /** O6 "+": a trial's new end date. */
    async extendTrial(args: { orderId: string; trialEndsAt: string; actor: string }): Promise<void> {
      await orders.extendTrial(sql, args);
    },

    /** O6 "+": the trial becomes an order priced now (a promo expired since no longer applies). */
    async convertTrial(args: { orderId: string; actor: string }): Promise<void> {
      const o = await orders.trialToConvert(sql, args.orderId);
      if (!o) throw ApplicationFailure.nonRetryable('The trial no longer exists.', OrderFailure.NotChangeable);
      if (o.kind === 'order') return;
      let result = await priceOrder(sql, o, o.country, new Date());
      if (!result.ok && o.promoCode) result = await priceOrder(sql, { ...o, promoCode: null }, o.country, new Date());
      if (!result.ok) throw invalid(result.issues);
      await orders.convertTrial(sql, { orderId: args.orderId, actor: args.actor, priced: result.priced });
    },

    /** O6: the trial's end: the license is deactivated. */
    async expireTrial(args: { orderId: string }): Promise<void> {
      await orders.expireTrial(sql, args.orderId);
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
        await sendOnce(deps, args.key, { ...email, to: d.contactEmail, template: 'trial.reminder' });
        return;
      }
      const toCustomer = renderTrialExpiredEmail({ ...d, name: d.contactFirstName, audience: 'customer' });
      await sendOnce(deps, `${args.key}/customer`, {
        ...toCustomer,
        to: d.contactEmail,
        template: 'trial.expired.customer',
      });
      const creator = await orders.creatorAtCurrentReseller(sql, args.orderId);
      if (creator) {
        const toReseller = renderTrialExpiredEmail({ ...d, name: creator.name, audience: 'reseller' });
        await sendOnce(deps, `${args.key}/reseller`, {
          ...toReseller,
          to: creator.email,
          template: 'trial.expired.reseller',
        });
      }
    },

    /**
     * O6 "configure": swaps the drivers and records the prorated adjustment with the audit trail, in one
     * transaction (db/order-configuration.ts). Refused, typed, for an unknown or unpriced driver.
     */
    async configureOrder(args: {
      orderId: string;
      drivers: string[];
      actor: string;
      /** When the swap was decided (the workflow's time), so that a retry prorates the same. */
      at: string;
    }): Promise<{ adjustmentMinor: number; adjustmentId: string | null; currency: string }> {
      const outcome = await configureOrder(sql, {
        orderId: args.orderId,
        userId: args.actor.replace(/^user:/, ''),
        drivers: args.drivers,
        now: new Date(args.at),
      });
      if (!outcome.ok) {
        const message = outcome.field ? `${outcome.field}: ${outcome.message}` : outcome.message;
        throw ApplicationFailure.nonRetryable(
          message,
          outcome.status === 400 ? OrderFailure.Invalid : OrderFailure.NotChangeable,
        );
      }
      return {
        adjustmentMinor: outcome.adjustmentMinor,
        adjustmentId: outcome.adjustmentId,
        currency: outcome.currency,
      };
    },

    /**
     * B1/S1: the configured billing terms of an order billed by cycle (a SaaS order, or a converted SaaS trial),
     * with its current owner; null when it is not billed by cycle (a perpetual order, or still a trial).
     */
    async billingTermsOf(args: { orderId: string }): Promise<BillingTerms | null> {
      const o = await orders.billingProfileOf(sql, args.orderId);
      const cycle = o ? CYCLE_OF[o.subscriptionType] : undefined;
      if (!o || !cycle || o.kind !== 'order') return null;
      return { ...billingTerms(config, cycle), resellerId: o.resellerId, customerId: o.customerId };
    },
  };
}
