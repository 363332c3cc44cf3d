import { z } from 'zod';
import { CUSTOMER_FILTERS } from '../../db/customers';
import type { CustomerDetails } from '../../workflows/definitions';
import { addMonths } from '../../lib/dates';
import {
  dateInput,
  email,
  emailAddress,
  HAS_TEXT,
  isoTime,
  SPACE,
  LifecycleIncident,
  listOf,
  pageQuery,
  requestBody,
  text,
  utcDate,
} from '../http/schemas';

// The customers' request and response shapes (C1-C8, D1, D2, D7).

const isAscii = (s: string) => /^[\x20-\x7E]*$/.test(s);
const MarketSegment = z.enum(['commercial', 'government', 'education']);
const CustomerType = z.enum(['team', 'enterprise']);

/**
 * C5: the anniversary picked at invitation starts the customer's yearly term, so it lies within the coming
 * year, as the one set by a first order does (12 months after it). A day's slack either way for the reseller's
 * time zone; a date before that is a typo (R1's renewal notices would go out at once).
 */
const anniversaryDate = dateInput(
  { min: () => utcDate(-1), max: () => addMonths(utcDate(1), 12) },
  {
    min: (min) => `must not be in the past (at the earliest ${min})`,
    max: (max) => `must be within a year from today (at the latest ${max})`,
  },
);

const Contact = z.object({ firstName: text(100), lastName: text(100), email }).strict();

/** C1: everything needed to add a customer. */
const CustomerCreateFields = z
  .object({
    organizationName: text(100),
    organizationNameAscii: text(100)
      .refine(isAscii, 'must use ASCII letters only')
      .meta({ pattern: `^[${SPACE}]*[\\x21-\\x7E](?:[\\x20-\\x7E]*[\\x21-\\x7E])?[${SPACE}]*$` })
      .optional(),
    marketSegment: MarketSegment,
    type: CustomerType,
    country: z
      .string()
      .trim()
      .toUpperCase()
      .regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 country code such as "SE"')
      .meta({ pattern: `^[${SPACE}]*[A-Za-z]{2}[${SPACE}]*$` }),
    addressLine1: text(200),
    addressLine2: text(200).optional(),
    city: text(100),
    postalCode: text(20),
    taxId: text(40).optional(),
    contact: Contact,
    anniversaryDate: anniversaryDate.optional(),
  })
  .strict();

export type CustomerCreate = z.infer<typeof CustomerCreateFields>;

/**
 * C1 with its rules across fields: the ASCII spelling for non-ASCII names, the tax id where the region
 * needs it (configured, so the schema is built once per app).
 */
export function customerCreateSchema(taxIdCountries: readonly string[]) {
  return CustomerCreateFields.superRefine((v, ctx) => {
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
  }).meta({
    id: 'CustomerCreate',
    // The rules above, for the document (the country as sent: trimmed and upper-cased before the check).
    allOf: [
      {
        if: { properties: { organizationName: { pattern: `^[${SPACE}]*[\\x20-\\x7E]*[${SPACE}]*$` } } },
        else: { required: ['organizationNameAscii'] },
      },
      ...(taxIdCountries.length === 0
        ? []
        : [
            {
              if: { properties: { country: { pattern: countryPattern(taxIdCountries) } }, required: ['country'] },
              // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then, not a thenable
              then: { required: ['taxId'] },
            },
          ]),
    ],
  });
}

/** Any of the countries, in either case, with spaces around: what the schema's trim and toUpperCase accept. */
const countryPattern = (countries: readonly string[]) =>
  `^[${SPACE}]*(?:${countries.map((c) => c.replace(/[A-Z]/g, (l) => `[${l}${l.toLowerCase()}]`)).join('|')})[${SPACE}]*$`;

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
    marketSegment: MarketSegment,
    type: CustomerType,
    country: z.string(),
    addressLine1: z.string(),
    addressLine2: z.string().nullable(),
    city: z.string(),
    postalCode: z.string(),
    taxId: z.string().nullable(),
    contact: z.object({ firstName: z.string(), lastName: z.string(), email: z.string() }),
    invitationStatus: z.enum(['pending', 'accepted']),
    invitedAt: isoTime,
    acceptedAt: isoTime.nullable(),
    anniversaryDate: z.string().nullable(),
    managedBy: z
      .object({ id: z.uuid(), name: z.string(), email: z.string() })
      .nullable()
      .meta({ description: 'The team member assigned to the customer (D1, D7).' }),
    createdAt: isoTime,
  })
  .meta({ id: 'Customer' });

export const InvitationLiveState = z
  .object({
    status: z.enum(['registering', 'pending', 'accepted', 'deleted']),
    emailsSent: z.number().int(),
    nextReminderAt: z.string().nullable(),
    workflowId: z.string(),
    incident: LifecycleIncident.nullable().meta({ description: 'A step waiting for support (T4), if any' }),
  })
  .meta({ id: 'InvitationState' });

/** D7: the details page: the customer, its invitation, and its commercial terms and histories. */
export const CustomerWithInvitation = Customer.extend({
  invitation: InvitationLiveState.nullable().meta({
    description: 'The open invitation run (null once accepted, or while its state cannot be read)',
  }),
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
      kind: z.string().meta({ description: 'order or trial' }),
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
        timing: z.string().meta({ description: 'early, on_time or late' }),
        quantity: z.number().int(),
        termMonths: z.number().int(),
        termStartsOn: z.string(),
        termEndsOn: z.string(),
        createdAt: isoTime,
      }),
    )
    .meta({ description: 'R3' }),
}).meta({ id: 'CustomerDetails' });

export const CustomerList = listOf(Customer).meta({ id: 'CustomerList' });

const customerFilters = {
  status: z.enum(['pending', 'accepted']).optional(),
  q: z.string().trim().min(1).max(100).meta({ pattern: HAS_TEXT }).optional(),
  // O3: find an existing customer by its contact's email before ordering.
  email: emailAddress().optional(),
  // D1: the portal's list filters, and "managed by me".
  filter: z.enum(CUSTOMER_FILTERS).optional().meta({
    description:
      'D1: no products, pending (P1) or overdue (P2) requests, upcoming renewals (R1), ready for renewal (R2), all',
  }),
  managedBy: z.literal('me').optional().meta({ description: 'D1: only the customers assigned to the calling user' }),
};

export const CustomerListQuery = z.object({ ...customerFilters, ...pageQuery }).strict();

/** D2: the CSV export takes the list's filters, and gives every matching customer. */
export const CustomerExportQuery = z.object(customerFilters).strict();

/**
 * D1/D7: the only change PATCH makes is the assigned team member (a user of the same reseller), or nobody;
 * any other field is accepted here only to be refused by C3 with its reason.
 */
export const CustomerPatchBody = z
  .object({ managedBy: z.uuid('must be a user id').nullable().optional() })
  .catchall(z.unknown())
  .meta({ id: 'CustomerPatch' });

export const ReminderBody = requestBody('Reminder', { email: email.optional() });

export const ReminderSent = z
  .object({ status: z.string(), contactEmail: z.string(), emailsSent: z.number().int() })
  .meta({ id: 'ReminderSent' });
