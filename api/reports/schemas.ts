import { z } from 'zod';
import { LICENSE_EXPIRY_REASONS, type ReportWindow, SUBSCRIPTION_EXPIRY_REASONS } from '../../db/reports';
import { unprocessableField } from '../http/errors';
import { dateInput, isoTime, listOf, pageQuery, utcDate } from '../http/schemas';

// D5: the reports' request and response shapes.

/** The longest window a report covers, in days: a year and a day (a leap year's anniversary included). */
export const MAX_WINDOW_DAYS = 366;
/** The window when neither `to` nor `withinDays` is given. */
export const DEFAULT_WINDOW_DAYS = 30;

const windowQuery = {
  from: dateInput().optional().meta({ description: 'The first day of the window (UTC); today when not given' }),
  to: dateInput().optional().meta({ description: 'The last day of the window (UTC), included; not with withinDays' }),
  // A pattern rather than z.coerce, so the document states the range exactly (a coerced number is documented as
  // nullable).
  withinDays: z
    .string()
    .regex(/^(?:[0-2]?[0-9]?[0-9]|3[0-5][0-9]|36[0-6])$/, `must be a whole number of days from 0 to ${MAX_WINDOW_DAYS}`)
    .transform(Number)
    .meta({
      description: `The window's length in days after \`from\` when \`to\` is not given (${DEFAULT_WINDOW_DAYS})`,
    })
    .optional(),
};

export const ReportQuery = z.object({ ...windowQuery, ...pageQuery }).strict();
/** The CSV twins take the window, and give every row. */
export const ReportExportQuery = z.object(windowQuery).strict();

const DAY_MS = 86_400_000;
const dayAfter = (date: string, days: number) =>
  new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);

/**
 * D5: the rules across the window's fields, which the document cannot state (so a 422 naming the field, as for
 * every input the document allows but the API refuses): `to` or `withinDays`, not both; `to` not before `from`;
 * at most MAX_WINDOW_DAYS days.
 */
const WindowRules = z
  .object({ from: z.string(), to: z.string().optional(), withinDays: z.number().optional() })
  .superRefine((w, ctx) => {
    if (w.to !== undefined && w.withinDays !== undefined)
      ctx.addIssue({ code: 'custom', path: ['withinDays'], message: 'must not be given with to' });
    const to = w.to ?? dayAfter(w.from, w.withinDays ?? DEFAULT_WINDOW_DAYS);
    // ISO dates compare as strings.
    if (to < w.from) ctx.addIssue({ code: 'custom', path: ['to'], message: `must not be before from (${w.from})` });
    else if (to > dayAfter(w.from, MAX_WINDOW_DAYS))
      ctx.addIssue({
        code: 'custom',
        path: [w.to === undefined ? 'withinDays' : 'to'],
        message: `must be at most ${MAX_WINDOW_DAYS} days after from (${w.from})`,
      });
  })
  .transform(
    (w): ReportWindow => ({ from: w.from, to: w.to ?? dayAfter(w.from, w.withinDays ?? DEFAULT_WINDOW_DAYS) }),
  );

/** The window of a parsed query: `from` (today by default) to `to` or `from` + `withinDays` (30). */
export function reportWindow(query: z.infer<typeof ReportExportQuery>): ReportWindow {
  const parsed = WindowRules.safeParse({ ...query, from: query.from ?? utcDate() });
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message }));
  const [first] = issues;
  throw unprocessableField(first?.field ?? 'to', first?.message ?? 'is not a window', issues);
}

const ReportCustomer = z
  .object({ id: z.uuid(), vipId: z.string(), organizationName: z.string() })
  .meta({ id: 'ReportCustomer' });

const reasonDescription = (reasons: Record<string, string>) =>
  Object.entries(reasons)
    .map(([reason, meaning]) => `\`${reason}\`: ${meaning}`)
    .join('; ');

/** What each reason of the license report means, for the document. */
export const LICENSE_REASONS: Record<(typeof LICENSE_EXPIRY_REASONS)[number], string> = {
  trial_end: "a trial's license ends at the trial's end (O2, O6), unless extended or converted",
  suspension:
    'a SaaS license suspended by the reseller lapses at the end of its billing cycle (S1), unless the suspension ' +
    'is revoked; or lapsed then',
  pa_deactivation:
    "an unpaid purchase authorization's licenses are deactivated at its deadline (P2: PA_DEACTIVATE_AFTER, 61 days " +
    'after the PA) unless paid; or were deactivated then',
  renewal:
    "the customer's licenses under its purchase authorizations are up for renewal on its renewal date (R1, R2) " +
    'and expire without one',
};

export const ExpiringLicense = z
  .object({
    reason: z.enum(LICENSE_EXPIRY_REASONS).meta({ description: reasonDescription(LICENSE_REASONS) }),
    at: isoTime.meta({ description: 'When the license lapses (or lapsed); a renewal date at 00:00 UTC' }),
    licenseId: z.uuid(),
    serialNumber: z.string().meta({ description: 'O8' }),
    product: z.string(),
    licenseStatus: z.string().meta({ description: "The license's status now" }),
    customer: ReportCustomer,
    orderId: z.uuid().nullable().meta({ description: 'The order or trial of the license, if any' }),
    purchaseAuthorizationId: z.uuid().nullable().meta({ description: 'The purchase authorization, if any' }),
  })
  .meta({ id: 'ExpiringLicense' });
export const ExpiringLicenseList = listOf(ExpiringLicense).meta({ id: 'ExpiringLicenseList' });

/** What each reason of the subscription report means, for the document. */
export const SUBSCRIPTION_REASONS: Record<(typeof SUBSCRIPTION_EXPIRY_REASONS)[number], string> = {
  next_payment:
    "the subscription's next payment: a billing subscription's cycle ends and renews with an invoice (B1), a " +
    "per-user subscription's next monthly payment (E3)",
  suspension:
    'a billing subscription suspended by the reseller ends at the end of its cycle (S1), unless the suspension is ' +
    'revoked; or ended then',
  cancellation: 'a per-user subscription was cancelled then (it ends at once)',
};

export const ExpiringSubscription = z
  .object({
    kind: z.enum(['billing', 'per_user']).meta({
      description:
        "billing: a SaaS order's billing cycle (S1, B1), id the order's; per_user: a per-user subscription (E1)",
    }),
    id: z.uuid(),
    reason: z.enum(SUBSCRIPTION_EXPIRY_REASONS).meta({ description: reasonDescription(SUBSCRIPTION_REASONS) }),
    at: isoTime.meta({ description: 'When it renews, ends or ended' }),
    product: z.string(),
    companyName: z
      .string()
      .meta({ description: "The customer's organization name, or the per-user subscription's company name" }),
    customer: ReportCustomer.nullable().meta({ description: 'A per-user subscription may name no customer (E1)' }),
    serialNumber: z.string().nullable().meta({ description: "The billed order's license (O8)" }),
    cycle: z.enum(['monthly', 'annual']).nullable().meta({ description: 'A billing subscription only' }),
    users: z.number().int().nullable().meta({ description: 'A per-user subscription only (E1)' }),
  })
  .meta({ id: 'ExpiringSubscription' });
export const ExpiringSubscriptionList = listOf(ExpiringSubscription).meta({ id: 'ExpiringSubscriptionList' });
