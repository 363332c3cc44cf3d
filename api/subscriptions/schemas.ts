import { z } from 'zod';
import { MAX_SUBSCRIPTION_USERS, SUBSCRIPTION_PRODUCTS } from '../../workflows/definitions';
import { email, isoTime, listOf, Money, pageQuery, text, requestBody } from '../http/schemas';

// The request and response shapes of subscriptions (E1-E3).

/** E1: the exact number of users, a whole number. */
export const UserCount = z
  .number({ error: 'must be a number' })
  .int('must be a whole number')
  .min(1, 'must be at least 1')
  .max(MAX_SUBSCRIPTION_USERS, `must be at most ${MAX_SUBSCRIPTION_USERS}`);

/** E1/E2: product, company name and the exact number of users; a contact when the customer edits signatures. */
const SubscriptionCreateFields = z
  .object({
    product: z.enum(SUBSCRIPTION_PRODUCTS, { error: `must be one of ${SUBSCRIPTION_PRODUCTS.join(', ')}` }),
    companyName: text(200),
    users: UserCount,
    customerCanEditSignatures: z.boolean({ error: 'must be true or false' }),
    contact: z
      .object({ name: text(200), email })
      .strict()
      .optional(),
    customerId: z.uuid('must be the id of one of your customers').optional(),
  })
  .strict();

/** E2: "Let the customer edit signatures?" — then a contact is required, and otherwise not accepted. */
export const SubscriptionCreate = SubscriptionCreateFields.superRefine((v, ctx) => {
  if (v.customerCanEditSignatures && !v.contact) {
    ctx.addIssue({
      code: 'custom',
      path: ['contact'],
      message: 'is required (name and email) when customerCanEditSignatures is true',
    });
  }
  if (!v.customerCanEditSignatures && v.contact) {
    ctx.addIssue({
      code: 'custom',
      path: ['contact'],
      message: 'is only accepted when customerCanEditSignatures is true',
    });
  }
}).meta({
  id: 'SubscriptionCreate',
  // The rule above, for the document.
  if: { properties: { customerCanEditSignatures: { const: true } } },
  // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then/else, not a thenable
  then: { required: ['contact'] },
  else: { not: { required: ['contact'] } },
});

export const SubscriptionUpdateBody = requestBody('SubscriptionUpdate', { users: UserCount });

export const Subscription = z
  .object({
    id: z.uuid(),
    customer: z.object({ id: z.uuid().nullable(), companyName: z.string() }),
    product: z.enum(SUBSCRIPTION_PRODUCTS),
    users: z.number().int(),
    status: z.enum(['active', 'inactive']),
    active: z.boolean(),
    nextPaymentDate: z
      .string()
      .nullable()
      .meta({ description: 'E3: YYYY-MM-DD; monthly from creation; null when inactive.' }),
    customerCanEditSignatures: z.boolean(),
    contact: z.object({ name: z.string(), email: z.string(), setUp: z.boolean() }).nullable(),
    createdAt: isoTime,
  })
  .meta({ id: 'Subscription' });

export const SubscriptionLiveState = z
  .object({
    status: z.enum(['registering', 'active', 'inactive']),
    contactSetup: z.enum(['none', 'pending', 'completed', 'expired']),
    contactLinkExpiresAt: z.string().nullable(),
    workflowId: z.string(),
  })
  .meta({ id: 'SubscriptionState' });

export const SubscriptionWithLifecycle = Subscription.extend({ lifecycle: SubscriptionLiveState.nullable() }).meta({
  id: 'SubscriptionDetails',
});

export const SubscriptionList = listOf(Subscription).meta({ id: 'SubscriptionList' });

export const SubscriptionListQuery = z
  .object({
    status: z.enum(['active', 'inactive']).optional(),
    ...pageQuery,
  })
  .strict();

/** E3: a month's invoice of a per-user subscription. */
export const SubscriptionInvoiceList = z
  .object({
    data: z.array(
      z.object({
        id: z.uuid(),
        periodStart: isoTime,
        periodEnd: isoTime,
        users: z.number().int(),
        unitPrice: Money.meta({ description: 'Per user and month' }),
        total: Money,
        issuedAt: isoTime,
      }),
    ),
  })
  .meta({ id: 'SubscriptionInvoiceList' });
