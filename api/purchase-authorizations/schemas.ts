import { z } from 'zod';
import { EXTENDED_TERM_MONTHS } from '../../lib/subscription-terms';
import { isoTime, licenseCount, licenseQuantity, Money, requestBody, text } from '../http/schemas';

// The purchase authorizations' request and response shapes (P1-P5, C6).

/** An amount in integer minor units (cents), as every amount of the engine. */
export const amountMinor = () =>
  z
    .number({ error: 'is required: an amount in minor units (cents)' })
    .int('must be a whole number of minor units (cents)')
    .positive('must be more than 0')
    .max(2_147_483_647, 'is too large');
export const currencyCode = () =>
  z
    .string({ error: 'is required: a currency code such as EUR' })
    .regex(/^[A-Z]{3}$/, 'must be a currency code such as EUR');

const EXTENDED_TERM_MIN = Math.min(...Object.values(EXTENDED_TERM_MONTHS).map((t) => t.min));
const EXTENDED_TERM_MAX = Math.max(...Object.values(EXTENDED_TERM_MONTHS).map((t) => t.max));

/** P1: a purchase authorization for one of the reseller's customers; C6: an extended term at signup. */
export const PurchaseAuthorizationCreateBody = requestBody('PurchaseAuthorizationCreate', {
  customerId: z.uuid('must be the id of one of your customers'),
  product: text(120).meta({
    description:
      "C7: a product of the catalog (db/demo-catalog.json `vipProducts`), a team or an enterprise license whatever the customer's type; another name is a 422",
  }),
  quantity: licenseQuantity,
  // C6: within every segment's bounds here (a 400); within the customer's own at the create (a 422).
  extendedTermMonths: z
    .number({ error: 'must be a number of months' })
    .int('must be a whole number')
    .min(EXTENDED_TERM_MIN, `must be at least ${EXTENDED_TERM_MIN}`)
    .max(EXTENDED_TERM_MAX, `must be at most ${EXTENDED_TERM_MAX}`)
    .optional(),
  /** P2: what the PA costs; its payment must cover it. */
  amount: z
    .object({ amountMinor: amountMinor(), currency: currencyCode() })
    .strict()
    .optional()
    .meta({ description: 'What the PA costs, in minor units (P2): its payment must cover it' }),
  /** R4: or priced from the catalog, VIP Select's discount applied. */
  priceList: currencyCode().optional().meta({
    description:
      "R4: price the PA from the catalog's price list in this currency, the customer's VIP Select discount (its level, this purchase included, per segment) applied; instead of `amount`",
  }),
});

/** P2/D6: a payment a `billing` user records: its amount and the reference that is its evidence. */
export const PaymentBody = requestBody('PurchaseAuthorizationPayment', {
  amountMinor: amountMinor(),
  currency: currencyCode(),
  reference: z
    .string({ error: "is required: the payment's reference (bank transfer, receipt)" })
    .trim()
    .min(1, "is required: the payment's reference (bank transfer, receipt)")
    .max(100, 'must be at most 100 characters')
    .regex(/^[\x20-\x7E]+$/, 'must be printable ASCII'),
});

export const PurchaseAuthorizationListQuery = z
  .object({ customerId: z.uuid('must be the id of one of your customers') })
  .strict();

export const AssignmentsBody = requestBody('PurchaseAuthorizationAssignments', {
  assigned: licenseCount(0),
});

export const PurchaseAuthorization = z
  .object({
    id: z.uuid(),
    customerId: z.uuid(),
    product: z.string(),
    licenseType: z
      .enum(['team', 'enterprise'])
      .nullable()
      .meta({ description: "C7: the product's kind of license, whatever the customer's type; null on older PAs" }),
    quantity: z.number().int(),
    licensesAssigned: z.number().int(),
    status: z.string(),
    serialNumber: z.string().nullable(),
    licenseStatus: z.string().nullable(),
    createdAt: isoTime,
    orderedAt: isoTime.nullable(),
    paidAt: isoTime.nullable(),
    amount: Money.nullable().meta({ description: 'What the PA costs (P2); null when it was not priced' }),
    vipSelectDiscountPercent: z.number().int().nullable().meta({
      description: 'R4: the VIP Select discount its catalog price was given; null when not priced from the catalog',
    }),
  })
  .meta({ id: 'PurchaseAuthorization' });

/** The stored PA with its lifecycle's deadlines (P2, P4), while the run can still answer. */
export const PurchaseAuthorizationDetails = PurchaseAuthorization.extend({
  licensesActive: z.boolean(),
  overdueAt: isoTime.nullable(),
  deactivateAt: isoTime.nullable(),
  returnableUntil: isoTime.nullable(),
  returnRequestedAt: isoTime.nullable().meta({ description: 'P4: when a return was requested' }),
  returnProcessedBy: isoTime
    .nullable()
    .meta({ description: 'P4: when the requested return is processed: the PA and its licenses returned' }),
}).meta({ id: 'PurchaseAuthorizationDetails' });

/** P5: the plans view of one customer. */
export const Plans = z
  .object({
    data: z.array(PurchaseAuthorization),
    plans: z.object({
      fulfilled: z.number().int(),
      pending: z.number().int(),
      assigned: z.number().int().meta({ description: 'Total active' }),
      unassigned: z.number().int().meta({ description: 'Total available' }),
    }),
  })
  .meta({ id: 'PurchaseAuthorizationPlans' });
