import { z } from 'zod';
import { MAX_SUBSCRIPTION_USERS, SUBSCRIPTION_PRODUCTS } from '../workflows/definitions';

// The request and response shapes of subscriptions (E1-E3) and of the contacts' API (E2, T3).

const text = (max: number) => z.string().trim().min(1, 'is required').max(max, `must be at most ${max} characters`);
const email = z.email('must be an email address').max(254, 'must be at most 254 characters');

/** E1: the exact number of users, a whole number. */
export const UserCount = z
  .number({ error: 'must be a number' })
  .int('must be a whole number')
  .min(1, 'must be at least 1')
  .max(MAX_SUBSCRIPTION_USERS, `must be at most ${MAX_SUBSCRIPTION_USERS}`);

/** E1/E2: product, company name and the exact number of users; a contact when the customer edits signatures. */
export const SubscriptionCreateBody = z
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
  .strict()
  .meta({ id: 'SubscriptionCreate' });

/** E2: "Let the customer edit signatures?" — then a contact is required, and otherwise not accepted. */
export const subscriptionCreateSchema = SubscriptionCreateBody.superRefine((v, ctx) => {
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
});
export type SubscriptionCreate = z.infer<typeof SubscriptionCreateBody>;

export const SubscriptionUpdateBody = z.object({ users: UserCount }).strict().meta({ id: 'SubscriptionUpdate' });

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
    createdAt: z.string(),
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

export const SubscriptionList = z
  .object({ data: z.array(Subscription), nextCursor: z.string().nullable() })
  .meta({ id: 'SubscriptionList' });

export const SubscriptionListQuery = z
  .object({
    status: z.enum(['active', 'inactive']).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().max(200).optional(),
  })
  .strict();

// --- The contacts' API ---------------------------------------------------------------------------

export const ContactLoginBody = z
  .object({
    email,
    password: z.string().min(1, 'is required').max(1000, 'must be at most 1000 characters'),
    subscriptionId: z.uuid().optional(),
  })
  .strict()
  .meta({ id: 'ContactLogin' });

export const ContactSession = z.object({ token: z.string(), expiresAt: z.string() }).meta({ id: 'ContactSession' });

export const SignatureSettings = z
  .object({
    subscriptionId: z.uuid(),
    product: z.enum(SUBSCRIPTION_PRODUCTS),
    companyName: z.string(),
    signatureTemplate: z.string(),
  })
  .meta({ id: 'SignatureSettings' });

export const SignatureSettingsUpdate = z
  .object({ signatureTemplate: z.string().max(10_000, 'must be at most 10000 characters') })
  .strict()
  .meta({ id: 'SignatureSettingsUpdate' });
