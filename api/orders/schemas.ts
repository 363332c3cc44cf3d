import { z } from 'zod';
import { HAS_TEXT, isoTime, listOf, Money, pageQuery, requestBody, SPACE } from '../http/schemas';

// The orders' and trials' request and response shapes (O1-O8, B2).

const code = (what: string) =>
  z
    .string()
    .trim()
    .min(1, 'is required')
    .max(60, 'must be at most 60 characters')
    .regex(/^[a-z0-9-]+$/, `must be a ${what} code from the catalog`);

const Drivers = z
  .array(code('driver'), { error: 'must be a list of driver codes' })
  .min(1, 'choose at least one printer or cutter')
  .max(20, 'at most 20 drivers')
  .refine((d) => new Set(d).size === d.length, 'lists a driver twice')
  .meta({ uniqueItems: true });

/** O1/O2: the new-license form; "order now" or "get a trial". */
export const OrderCreateBody = requestBody('OrderCreate', {
  kind: z.enum(['order', 'trial'], { error: 'must be "order" or "trial"' }),
  customerId: z.uuid('must be the id of one of your customers'),
  priceList: z
    .string()
    .trim()
    .toUpperCase()
    .regex(/^[A-Z]{3}$/, 'must be a currency code such as EUR')
    .meta({ pattern: `^[${SPACE}]*[A-Za-z]{3}[${SPACE}]*$` }),
  poNumber: z.string().trim().min(1).max(50, 'must be at most 50 characters').meta({ pattern: HAS_TEXT }).optional(),
  promoCode: z
    .string()
    .trim()
    .toUpperCase()
    .min(1)
    .max(40, 'must be at most 40 characters')
    .meta({ pattern: HAS_TEXT })
    .optional(),
  drivers: Drivers,
  subscriptionType: code('subscription type'),
  plan: code('plan'),
});

export const ConfigureBody = requestBody('OrderConfigure', { drivers: Drivers });

export const OrderListQuery = z
  .object({ kind: z.enum(['order', 'trial']).optional(), customerId: z.uuid().optional(), ...pageQuery })
  .strict();

/** O5: deleting cannot be undone, so the reseller confirms it. */
export const DeleteQuery = z.object({
  confirm: z.string().optional().meta({ description: 'Must be "true": deleting cannot be undone' }),
});

export const Order = z
  .object({
    id: z.uuid(),
    kind: z.enum(['order', 'trial']),
    status: z.string(),
    customerId: z.uuid(),
    serialNumber: z.string(),
    licenseStatus: z.string(),
    priceList: z.string(),
    poNumber: z.string().nullable(),
    promoCode: z.string().nullable(),
    subscriptionType: z.string(),
    plan: z.string(),
    subtotal: Money,
    discount: Money,
    total: Money,
    trialEndsAt: isoTime.nullable(),
    activatedAt: isoTime.nullable(),
    createdAt: isoTime,
  })
  .meta({ id: 'Order' });

export const OrderWithLines = Order.extend({
  lines: z.array(z.object({ driverCode: z.string(), name: z.string(), unitPrice: Money })),
  activationHelpUrl: z.url().meta({
    description: 'O4: help on registering and activating the license, also in the activation email; to share',
  }),
}).meta({ id: 'OrderDetails' });

export const ConfiguredOrder = OrderWithLines.extend({
  adjustment: Money.meta({ description: 'Charged (positive) or credited (negative) for the change, prorated' }),
}).meta({ id: 'ConfiguredOrder' });

export const OrderList = listOf(Order).meta({ id: 'OrderList' });
