import { z } from 'zod';

// The small shapes every resource shares.

export const IdParam = z.object({ id: z.uuid() });
export const isoTime = z.string().meta({ format: 'date-time' });
export const isoDate = z.string().meta({ format: 'date' });
export const iso = (d: Date | null): string | null => d?.toISOString() ?? null;

export const Money = z.object({ amountMinor: z.number().int(), currency: z.string() }).meta({ id: 'Money' });
export const money = (amountMinor: number, currency: string): z.infer<typeof Money> => ({
  amountMinor,
  currency: currency.trim(),
});

/** Keyset pages, newest first: how many, and where the previous page ended. */
export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
};
export const listOf = <T extends z.ZodType>(item: T) =>
  z.object({ data: z.array(item), nextCursor: z.string().nullable() });

export const text = (max: number) =>
  z.string().trim().min(1, 'is required').max(max, `must be at most ${max} characters`);
export const email = z.email('must be an email address').max(254, 'must be at most 254 characters');

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
