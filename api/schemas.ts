import { z } from 'zod';
import { CUSTOMER_FILTERS } from '../db/customers';
import type { CustomerDetails } from '../workflows/definitions';

// Every request and response shape of the API: validation and the OpenAPI document both come from here.

const text = (max: number) => z.string().trim().min(1, 'is required').max(max, `must be at most ${max} characters`);
const isAscii = (s: string) => /^[\x20-\x7E]*$/.test(s);

export const ErrorResponse = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      issues: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
    }),
  })
  .meta({ id: 'Error' });

const Contact = z
  .object({
    firstName: text(100),
    lastName: text(100),
    email: z.email('must be an email address').max(254, 'must be at most 254 characters'),
  })
  .strict();

/** C1: everything needed to add a customer. Tax ids are required per country (configured). */
export const CustomerCreateBody = z
  .object({
    organizationName: text(100),
    organizationNameAscii: text(100).refine(isAscii, 'must use ASCII letters only').optional(),
    marketSegment: z.enum(['commercial', 'government', 'education']),
    type: z.enum(['team', 'enterprise']),
    country: z
      .string()
      .trim()
      .toUpperCase()
      .regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 country code such as "SE"'),
    addressLine1: text(200),
    addressLine2: text(200).optional(),
    city: text(100),
    postalCode: text(20),
    taxId: text(40).optional(),
    contact: Contact,
    anniversaryDate: z.iso.date('must be a date as YYYY-MM-DD').optional(),
  })
  .strict()
  .meta({ id: 'CustomerCreate' });

export type CustomerCreate = z.infer<typeof CustomerCreateBody>;

/** The rules across fields (C1): the ASCII spelling for non-ASCII names, the tax id where the region needs it. */
export function customerCreateSchema(taxIdCountries: readonly string[]) {
  return CustomerCreateBody.superRefine((v, ctx) => {
    if (!isAscii(v.organizationName) && !v.organizationNameAscii) {
      ctx.addIssue({
        code: 'custom',
        path: ['organizationNameAscii'],
        message: 'is required when the organization name has non-ASCII letters',
      });
    }
    if (taxIdCountries.includes(v.country) && !v.taxId) {
      ctx.addIssue({ code: 'custom', path: ['taxId'], message: `is required for customers in ${v.country}` });
    }
  });
}

export function toCustomerDetails(body: CustomerCreate): CustomerDetails {
  return {
    organizationName: body.organizationName,
    organizationNameAscii: body.organizationNameAscii ?? body.organizationName,
    marketSegment: body.marketSegment,
    type: body.type,
    country: body.country,
    addressLine1: body.addressLine1,
    addressLine2: body.addressLine2 ?? null,
    city: body.city,
    postalCode: body.postalCode,
    taxId: body.taxId ?? null,
    contact: body.contact,
    anniversaryDate: body.anniversaryDate ?? null,
  };
}

export const Customer = z
  .object({
    id: z.uuid(),
    vipId: z.string().meta({ description: 'The VIP customer number issued with the invitation (C2).' }),
    organizationName: z.string(),
    organizationNameAscii: z.string(),
    marketSegment: z.enum(['commercial', 'government', 'education']),
    type: z.enum(['team', 'enterprise']),
    country: z.string(),
    addressLine1: z.string(),
    addressLine2: z.string().nullable(),
    city: z.string(),
    postalCode: z.string(),
    taxId: z.string().nullable(),
    contact: z.object({ firstName: z.string(), lastName: z.string(), email: z.string() }),
    invitationStatus: z.enum(['pending', 'accepted']),
    invitedAt: z.string(),
    acceptedAt: z.string().nullable(),
    anniversaryDate: z.string().nullable(),
    managedBy: z
      .object({ id: z.uuid(), name: z.string(), email: z.string() })
      .nullable()
      .meta({ description: 'The team member assigned to the customer (D1, D7).' }),
    createdAt: z.string(),
  })
  .meta({ id: 'Customer' });

export const InvitationLiveState = z
  .object({
    status: z.enum(['registering', 'pending', 'accepted', 'deleted']),
    emailsSent: z.number().int(),
    nextReminderAt: z.string().nullable(),
    workflowId: z.string(),
  })
  .meta({ id: 'InvitationState' });

const isoTime = z.string().meta({ format: 'date-time' });

/** D7: the details page: the customer, its invitation, and its commercial terms and histories. */
export const CustomerWithInvitation = Customer.extend({
  invitation: InvitationLiveState.nullable(),
  vipSelect: z
    .object({ level: z.number().int(), discountPercent: z.number().int().nullable() })
    .nullable()
    .meta({ description: 'R4' }),
  threeYearCommitment: z
    .object({ quantity: z.number().int(), committedAt: isoTime.nullable() })
    .nullable()
    .meta({ description: 'R5' }),
  extendedTerm: z.object({ months: z.number().int(), prepaid: z.boolean() }).nullable().meta({ description: 'C6' }),
  plans: z
    .array(z.object({ product: z.string(), status: z.string(), licenses: z.number().int() }))
    .meta({ description: 'Licenses by product and status' }),
  orders: z.array(
    z.object({
      id: z.uuid(),
      kind: z.enum(['order', 'trial']),
      status: z.string(),
      poNumber: z.string().nullable(),
      createdAt: isoTime,
      convertedAt: isoTime.nullable(),
    }),
  ),
  authorizations: z.array(
    z.object({
      id: z.uuid(),
      product: z.string(),
      quantity: z.number().int(),
      status: z.string(),
      createdAt: isoTime,
      orderedAt: isoTime.nullable(),
      paidAt: isoTime.nullable(),
      overdueAt: isoTime.nullable(),
      deactivatedAt: isoTime.nullable(),
      cancelledAt: isoTime.nullable(),
      returnedAt: isoTime.nullable(),
    }),
  ),
  renewals: z
    .array(
      z.object({
        id: z.uuid(),
        renewalDate: z.string(),
        timing: z.enum(['early', 'on_time', 'late']),
        quantity: z.number().int(),
        termMonths: z.number().int(),
        termStartsOn: z.string(),
        termEndsOn: z.string(),
        createdAt: isoTime,
      }),
    )
    .meta({ description: 'R3' }),
}).meta({ id: 'CustomerDetails' });

export const CustomerList = z
  .object({ data: z.array(Customer), nextCursor: z.string().nullable() })
  .meta({ id: 'CustomerList' });

const customerFilters = {
  status: z.enum(['pending', 'accepted']).optional(),
  q: z.string().trim().min(1).max(100).optional(),
  // O3: find an existing customer by its contact's email before ordering.
  email: z.email('must be an email address').optional(),
  // D1: the portal's list filters, and "managed by me".
  filter: z.enum(CUSTOMER_FILTERS).optional().meta({
    description:
      'D1: no products, pending (P1) or overdue (P2) requests, upcoming renewals (R1), ready for renewal (R2), all',
  }),
  managedBy: z.literal('me').optional().meta({ description: 'D1: only the customers assigned to the calling user' }),
};

export const CustomerListQuery = z
  .object({
    ...customerFilters,
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().max(200).optional(),
  })
  .strict();

/** D2: the CSV export takes the list's filters, and gives every matching customer. */
export const CustomerExportQuery = z.object(customerFilters).strict();

/** D1/D7: the only change PATCH accepts: the assigned team member (a user of the same reseller), or nobody. */
export const ManagedByBody = z
  .object({ managedBy: z.uuid('must be a user id').nullable() })
  .strict()
  .meta({ id: 'ManagedBy' });

/** D3: the one search box. */
export const SearchQuery = z
  .object({ q: z.string().trim().min(1, 'is required').max(100, 'must be at most 100 characters') })
  .strict();

export const SearchResults = z
  .object({
    results: z.array(
      z.object({
        type: z.enum(['user', 'company', 'order', 'serial', 'invoice']),
        id: z.uuid(),
        label: z.string(),
        url: z.string().nullable().meta({ description: 'The API resource; null for users, which have none' }),
      }),
    ),
  })
  .meta({ id: 'SearchResults' });

export const ReminderBody = z
  .object({ email: z.email('must be an email address').max(254).optional() })
  .strict()
  .meta({ id: 'Reminder' });

export const IdParam = z.object({ id: z.uuid() });
