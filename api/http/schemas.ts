import { z } from 'zod';
import { CURSOR_PATTERN } from './cursor';

// The small shapes every resource shares.

export const IdParam = z.object({ id: z.uuid() });
export const isoTime = z.string().meta({ format: 'date-time' });
export const isoDate = z.string().meta({ format: 'date' });
export const iso = (d: Date | null): string | null => d?.toISOString() ?? null;

/** Today's calendar date (UTC), `days` away. */
export const utcDate = (days = 0): string => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

/** The bounds of each date input as of today, by the key its schema carries to the document (`x-date-range`). */
export const DATE_RANGES = new Map<string, () => { min: string; max: string }>();

/**
 * A calendar date sent to the API (YYYY-MM-DD, a real day) inside `[min, max]`, each a date or a function of
 * today: a date far in the past or future is a typo, and a 400 naming the field, not a row. By default
 * 2000-01-01 to 2100-12-31. The served document states the range as of the day it is served.
 */
export const dateInput = (
  range: { min?: string | (() => string); max?: string | (() => string) } = {},
  messages: { min?: (min: string) => string; max?: (max: string) => string } = {},
) => {
  const bounds = () => ({
    min: typeof range.min === 'function' ? range.min() : (range.min ?? '2000-01-01'),
    max: typeof range.max === 'function' ? range.max() : (range.max ?? '2100-12-31'),
  });
  const key = `date-${DATE_RANGES.size + 1}`;
  DATE_RANGES.set(key, bounds);
  return z.iso
    .date('must be a date as YYYY-MM-DD')
    .superRefine((d, ctx) => {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(d)) return; // the format's own issue says it
      const { min, max } = bounds();
      // ISO dates compare as strings.
      if (d < min) ctx.addIssue({ code: 'custom', message: messages.min?.(min) ?? `must not be before ${min}` });
      else if (d > max) ctx.addIssue({ code: 'custom', message: messages.max?.(max) ?? `must not be after ${max}` });
    })
    .meta({ format: 'date', 'x-date-range': key });
};

export const Money = z.object({ amountMinor: z.number().int(), currency: z.string() }).meta({ id: 'Money' });
export const money = (amountMinor: number, currency: string): z.infer<typeof Money> => ({
  amountMinor,
  currency: currency.trim(),
});

/** Keyset pages, newest first: how many, and where the previous page ended. */
export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z
    .string()
    .regex(CURSOR_PATTERN, 'is not a cursor this API returned')
    .optional()
    .meta({ description: 'The nextCursor of the previous page' }),
};
export const listOf = <T extends z.ZodType>(item: T) =>
  z.object({ data: z.array(item), nextCursor: z.string().nullable() });

/** What JavaScript's trim() removes, as a regex class body (Python's \\s, which schemathesis reads, differs). */
export const SPACE = '\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff';
/** For the document: text that holds more than spaces (what `.trim().min(1)` checks) and no NUL. */
export const HAS_TEXT = `^[^\\u0000]*[^\\u0000${SPACE}][^\\u0000]*$`;
/** For the document: text of at least `min` (2 or more) characters once trimmed (`.trim().min(min)`), and no NUL. */
export const trimmedAtLeast = (min: number) =>
  `^[${SPACE}]*[^\\u0000${SPACE}][^\\u0000]{${min - 2},}[^\\u0000${SPACE}][${SPACE}]*$`;

export const text = (max: number) =>
  z.string().trim().min(1, 'is required').max(max, `must be at most ${max} characters`).meta({ pattern: HAS_TEXT });

/**
 * zod's email syntax, with domain labels of at most 63 characters that neither start nor end with a hyphen
 * (RFC 1035): a relay refuses `a@b-.example` or a longer label (SMTP 501), which would leave the lifecycle's email
 * step failing for good.
 */
export const EMAIL_PATTERN =
  /^(?:[A-Za-z0-9_'+-]+\.)*[A-Za-z0-9_'+-]*[A-Za-z0-9_+-]@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/;
export const emailAddress = () => z.email({ pattern: EMAIL_PATTERN, error: 'must be an email address' });
/** 253, not RFC 5321's 254: relays count the path's limit differently, and smtp-server (the mail catcher's) refuses 254. */
export const email = emailAddress().max(253, 'must be at most 253 characters');

/** A JSON request body: these fields and no others, named `id` in the OpenAPI document. */
export const requestBody = <S extends z.ZodRawShape>(id: string, shape: S) => z.object(shape).strict().meta({ id });

/** A number of licenses: a whole number, at least `min`. */
export const licenseCount = (min: number) =>
  z.number({ error: 'must be a number of licenses' }).int('must be a whole number').min(min, `must be at least ${min}`);
/** How many licenses one request orders, renews or commits. */
export const licenseQuantity = licenseCount(1).max(100_000, 'must be at most 100000');

/** T4: a step of a lifecycle that failed for good and waits for support. */
export const LifecycleIncident = z
  .object({
    step: z.string(),
    error: z.string(),
    errorType: z.string().nullable(),
    since: isoTime,
    retries: z.number().int(),
    skippable: z.boolean(),
  })
  .meta({ id: 'LifecycleIncident' });
