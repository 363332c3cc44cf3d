import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { Sql, Tx } from '.';
import type { OrderRequest } from '../workflows/definitions';

// The catalog lives in the database; this loads it from a JSON file (db/demo-catalog.json for the demo).

const CatalogFile = z.object({
  priceLists: z.array(z.object({ currency: z.string().regex(/^[A-Z]{3}$/), name: z.string() })).min(1),
  subscriptionTypes: z.array(z.object({ code: z.string(), name: z.string(), countries: z.array(z.string()).min(1) })),
  plans: z.array(z.object({ code: z.string(), name: z.string() })),
  drivers: z.array(
    z.object({
      code: z.string(),
      name: z.string(),
      kind: z.enum(['printer', 'cutter']),
      tier: z.number().int().positive(),
    }),
  ),
  tierPrices: z.record(z.string(), z.record(z.string(), z.number().int().nonnegative())),
  planPrices: z.record(z.string(), z.record(z.string(), z.number().int().nonnegative())),
  currencyFactorPercent: z.record(z.string(), z.number().int().positive()),
  /** C7: what purchase authorizations buy, each a team or an enterprise license. */
  vipProducts: z.array(
    z.object({
      name: z.string().min(1),
      licenseType: z.enum(['team', 'enterprise']),
      /** R4: per license and term, in EUR minor units; other price lists by `currencyFactorPercent`. */
      unitPriceEur: z.number().int().nonnegative(),
    }),
  ),
  promoCodes: z.array(
    z.object({
      code: z.string(),
      percentOff: z.number().int().min(1).max(100),
      validFrom: z.iso.datetime(),
      validUntil: z.iso.datetime(),
    }),
  ),
});

export const DEFAULT_CATALOG = path.join(__dirname, 'demo-catalog.json');

/** Loads (or refreshes) the catalog in one transaction; prices per currency derive from the base (EUR) tiers. */
export async function loadCatalog(sql: Sql, file = DEFAULT_CATALOG): Promise<void> {
  const c = CatalogFile.parse(JSON.parse(await readFile(file, 'utf8')));
  // Integer arithmetic on minor units, rounded to whole units of 100 like a real list price.
  const convert = (eurMinor: number, currency: string) =>
    Math.round((eurMinor * (c.currencyFactorPercent[currency] ?? 100)) / 100 / 100) * 100;
  await sql.begin(async (tx) => {
    for (const p of c.priceLists)
      await tx`INSERT INTO price_lists ${tx(p)} ON CONFLICT (currency) DO UPDATE SET name = EXCLUDED.name`;
    for (const s of c.subscriptionTypes) {
      await tx`INSERT INTO subscription_types (code, name) VALUES (${s.code}, ${s.name}) ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name`;
      await tx`DELETE FROM subscription_type_regions WHERE subscription_type = ${s.code}`;
      for (const country of s.countries) await tx`INSERT INTO subscription_type_regions VALUES (${s.code}, ${country})`;
    }
    for (const p of c.plans) await tx`INSERT INTO plans ${tx(p)} ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name`;
    for (const d of c.drivers)
      await tx`INSERT INTO drivers ${tx(d)} ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind, tier = EXCLUDED.tier`;
    for (const { currency } of c.priceLists) {
      for (const [type, tiers] of Object.entries(c.tierPrices)) {
        for (const d of c.drivers) {
          const amount = convert(tiers[String(d.tier)] ?? 0, currency);
          await tx`INSERT INTO prices VALUES (${d.code}, ${currency}, ${type}, ${amount}) ON CONFLICT (item, currency, subscription_type) DO UPDATE SET amount_minor = EXCLUDED.amount_minor`;
        }
      }
      for (const [plan, byType] of Object.entries(c.planPrices)) {
        for (const [type, eur] of Object.entries(byType)) {
          await tx`INSERT INTO prices VALUES (${plan}, ${currency}, ${type}, ${convert(eur, currency)}) ON CONFLICT (item, currency, subscription_type) DO UPDATE SET amount_minor = EXCLUDED.amount_minor`;
        }
      }
    }
    for (const p of c.vipProducts) {
      await tx`INSERT INTO vip_products (name, license_type) VALUES (${p.name}, ${p.licenseType})
               ON CONFLICT (name) DO UPDATE SET license_type = EXCLUDED.license_type`;
      for (const { currency } of c.priceLists)
        await tx`INSERT INTO vip_product_prices VALUES (${p.name}, ${currency}, ${convert(p.unitPriceEur, currency)})
                 ON CONFLICT (product, currency) DO UPDATE SET amount_minor = EXCLUDED.amount_minor`;
    }
    for (const p of c.promoCodes) {
      await tx`INSERT INTO promo_codes (code, percent_off, valid_from, valid_until) VALUES (${p.code}, ${p.percentOff}, ${p.validFrom}, ${p.validUntil})
               ON CONFLICT (code) DO UPDATE SET percent_off = EXCLUDED.percent_off, valid_from = EXCLUDED.valid_from, valid_until = EXCLUDED.valid_until`;
    }
  });
}

/** C7: a product purchase authorizations may buy, with its kind of license; null when the catalog has none. */
export async function findVipProduct(
  sql: Sql,
  name: string,
): Promise<{ name: string; licenseType: 'team' | 'enterprise' } | null> {
  const [row] = await sql<{ name: string; licenseType: 'team' | 'enterprise' }[]>`
    SELECT name, license_type FROM vip_products WHERE name = ${name}`;
  return row ?? null;
}

/** R4: a product's price per license and term in a price list; null when it has none there. */
export async function findVipProductPrice(sql: Sql, product: string, currency: string): Promise<number | null> {
  const [row] = await sql<{ amountMinor: number }[]>`
    SELECT amount_minor FROM vip_product_prices WHERE product = ${product} AND currency = ${currency}`;
  return row ? Number(row.amountMinor) : null;
}

export interface PricedOrder {
  lines: { driverCode: string; unitPriceMinor: number }[];
  planPriceMinor: number;
  subtotalMinor: number;
  discountMinor: number;
  totalMinor: number;
  percentOff: number;
}

/** B1/B2 arithmetic: the discount is rounded down, so it never creates a cent the list price lacks. */
export function applyPrices(lines: PricedOrder['lines'], planPriceMinor: number, percentOff: number): PricedOrder {
  const subtotalMinor = lines.reduce((sum, l) => sum + l.unitPriceMinor, planPriceMinor);
  const discountMinor = Math.floor((subtotalMinor * percentOff) / 100);
  return { lines, planPriceMinor, subtotalMinor, discountMinor, totalMinor: subtotalMinor - discountMinor, percentOff };
}

export type PriceResult =
  | { ok: true; priced: PricedOrder }
  | { ok: false; issues: { field: string; message: string }[] };

/**
 * O1/B2: prices an order from the price list of its currency, checking every choice against the
 * catalog and the customer's country; each problem names its field.
 */
export async function priceOrder(sql: Sql | Tx, req: OrderRequest, country: string, at: Date): Promise<PriceResult> {
  const issues: { field: string; message: string }[] = [];
  const [list] = await sql`SELECT 1 FROM price_lists WHERE currency = ${req.currency}`;
  if (!list) issues.push({ field: 'priceList', message: `no price list in ${req.currency}` });
  const [plan] = await sql`SELECT 1 FROM plans WHERE code = ${req.plan}`;
  if (!plan) issues.push({ field: 'plan', message: `unknown plan "${req.plan}"` });
  const [offered] = await sql`
    SELECT 1 FROM subscription_type_regions WHERE subscription_type = ${req.subscriptionType} AND country IN ('*', ${country})`;
  if (!offered)
    issues.push({ field: 'subscriptionType', message: `"${req.subscriptionType}" is not offered in ${country}` });
  const known = await sql<{ code: string }[]>`SELECT code FROM drivers WHERE code IN ${sql(req.drivers)}`;
  const missing = req.drivers.filter((d) => !known.some((k) => k.code === d));
  if (missing.length) issues.push({ field: 'drivers', message: `unknown driver(s): ${missing.join(', ')}` });
  let percentOff = 0;
  if (req.promoCode) {
    const [promo] = await sql<{ percentOff: number; validFrom: Date; validUntil: Date }[]>`
      SELECT percent_off, valid_from, valid_until FROM promo_codes WHERE code = ${req.promoCode}`;
    if (!promo) issues.push({ field: 'promoCode', message: `unknown promo code "${req.promoCode}"` });
    else if (at < promo.validFrom || at > promo.validUntil)
      issues.push({ field: 'promoCode', message: `promo code "${req.promoCode}" is not valid now` });
    else percentOff = promo.percentOff;
  }
  if (issues.length) return { ok: false, issues };

  const prices = await sql<{ item: string; amountMinor: number }[]>`
    SELECT item, amount_minor FROM prices
    WHERE currency = ${req.currency} AND subscription_type = ${req.subscriptionType} AND item IN ${sql([...req.drivers, req.plan])}`;
  const priceOf = (item: string) => prices.find((p) => p.item === item)?.amountMinor;
  const unpriced = [...req.drivers, req.plan].filter((i) => priceOf(i) === undefined);
  if (unpriced.length)
    return {
      ok: false,
      issues: [
        { field: 'priceList', message: `the ${req.currency} price list has no price for ${unpriced.join(', ')}` },
      ],
    };
  return {
    ok: true,
    priced: applyPrices(
      req.drivers.map((d) => ({ driverCode: d, unitPriceMinor: priceOf(d)! })),
      priceOf(req.plan)!,
      percentOff,
    ),
  };
}
