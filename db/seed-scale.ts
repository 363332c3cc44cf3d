import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type postgres from 'postgres';
import { loadConfig } from '../config';
import { createSql, type Sql } from '.';
import { issueApiKey } from './api-keys';
import { loadCatalog } from './catalog';

// The portal's reads at scale (issue 9): one reseller with 100k customers, 1M licenses, 300k orders, 100k
// purchase authorizations and 200k invoices among nine smaller ones. Rows are made by INSERT … SELECT over
// generate_series in chunks (one statement per chunk, never a row at a time), through every constraint,
// foreign key and trigger of the schema. Ids are md5 of (reseller, kind, n), so a row's parents are computed,
// not looked up, and still spread over the index like random uuids.

export interface ScaleCounts {
  customers: number;
  licenses: number;
  orders: number;
  authorizations: number;
  /** At most `orders`: one invoice per order (its first billing period). */
  invoices: number;
}

export const ISSUE_9_COUNTS: ScaleCounts = {
  customers: 100_000,
  licenses: 1_000_000,
  orders: 300_000,
  authorizations: 100_000,
  invoices: 200_000,
};

export interface ScaleSeed {
  resellerId: string;
  userId: string;
  apiKey: string;
  /** The reseller's team members (D1 "managed by"); the first is `userId`. */
  teamIds: string[];
  counts: ScaleCounts;
}

/** A piece of SQL spliced into a statement. */
type Fragment = postgres.PendingQuery<postgres.Row[]>;

const CHUNK = 100_000;
const SEEDED_TABLES = [
  'customers',
  'customer_admins',
  'orders',
  'licenses',
  'purchase_authorizations',
  'invoices',
  'payments',
  'reseller_balance_transactions',
  'renewal_orders',
];
const TEAM = 20;

const quoted = (identifier: string) => `"${identifier.replace(/"/g, '""')}"`;

/** Progress as a bar on a terminal, one line per step otherwise (logs); no dependency. */
export function progressBar(total: number, out: NodeJS.WriteStream = process.stdout) {
  const started = performance.now();
  let done = 0;
  return {
    tick(rows: number, label: string): void {
      done += rows;
      const share = Math.min(1, done / total);
      const bar = `${'#'.repeat(Math.round(share * 30))}${'.'.repeat(30 - Math.round(share * 30))}`;
      const secs = ((performance.now() - started) / 1000).toFixed(1);
      const line = `  [${bar}] ${(share * 100).toFixed(0).padStart(3)}%  ${done.toLocaleString('en')} rows  ${secs}s  ${label}`;
      if (out.isTTY) out.write(`\r${line.padEnd(110)}${share >= 1 ? '\n' : ''}`);
      else out.write(`${line}\n`);
    },
  };
}

/** Every row a reseller of these counts makes (payments and balance transactions included). */
const rowsOf = (c: ScaleCounts) =>
  c.customers * 2 /* with customer_admins */ + c.licenses + c.orders + c.authorizations + c.invoices * 4;

function* chunks(total: number): Generator<[number, number]> {
  for (let lo = 1; lo <= total; lo += CHUNK) yield [lo, Math.min(total, lo + CHUNK - 1)];
}

/**
 * The n-th customer holding products (orders, licenses, PAs, invoices): every 10th customer has none (D1 "no
 * products"), so the n-th such row goes to the customer before it.
 */
const customerOf = (sql: Sql, n: Fragment, customers: number) =>
  sql`(CASE WHEN ((${n} - 1) % ${customers} + 1) % 10 = 0 THEN (${n} - 1) % ${customers} ELSE (${n} - 1) % ${customers} + 1 END)`;

/** A version-4-shaped uuid from md5, so the API's uuid validation (RFC 9562) takes it. */
const idOf = (sql: Sql, tag: string, kind: string, n: Fragment) =>
  sql`overlay(overlay(md5(${tag}::text || ${`:${kind}:`}::text || ${n}) placing '4' from 13) placing '8' from 17)::uuid`;

/** Seeds one reseller with these counts; `index` (0-9) keeps its serial and invoice numbers apart from the others'. */
async function seedReseller(
  sql: Sql,
  index: number,
  counts: ScaleCounts,
  tick: (rows: number, label: string) => void,
): Promise<ScaleSeed> {
  const owner = { resellerId: randomUUID() as string, userId: randomUUID() as string };
  await sql`INSERT INTO resellers (id, name, discount_percent) VALUES (${owner.resellerId}, ${`Scale Reseller ${index}`}, 10)`;
  await sql`INSERT INTO reseller_users (id, reseller_id, email, name, permissions)
            VALUES (${owner.userId}, ${owner.resellerId}, ${`owner-${index}@scale-reseller.example`}, ${`Owner ${index}`},
                    ${['order', 'billing', 'admin']})`;
  const apiKey = await issueApiKey(sql, owner.userId);
  const rid = owner.resellerId;
  const tag = rid;
  const team = [owner.userId];
  const [{ ids } = { ids: [] }] = await sql<{ ids: string[] }[]>`
    WITH made AS (
      INSERT INTO reseller_users (id, reseller_id, email, name, permissions)
      SELECT ${idOf(sql, tag, 'u', sql`n`)}, ${rid}, 'member' || n || '-' || ${index}::int || '@scale-reseller.example',
             (ARRAY['Alva', 'Bo', 'Cecilia', 'Dag', 'Elin', 'Frans', 'Greta'])[1 + n % 7] || ' Member ' || n, '{order}'
      FROM generate_series(1, ${TEAM - 1}::int) n RETURNING id)
    SELECT array_agg(id) AS ids FROM made`;
  team.push(...ids);
  const C = counts.customers;
  const n = sql`n`;

  for (const [lo, hi] of chunks(C)) {
    // Pseudo-words from coprime syllable lists: ~7,400 distinct first words, so a name typed in the search box
    // matches a handful of customers, as real company names do; 'ö' and 'å' make ASCII spellings differ.
    await sql`
      INSERT INTO customers (id, reseller_id, vip_id, organization_name, organization_name_ascii, market_segment,
        customer_type, country, address_line1, city, postal_code, contact_first_name, contact_last_name, contact_email,
        invitation_status, invited_at, accepted_at, anniversary_date, vip_select_level, three_year_commitment_quantity,
        three_year_committed_at, managed_by, created_by, created_at, updated_at)
      SELECT ${idOf(sql, tag, 'c', n)}, ${rid}, 'VIP' || nextval('vip_number'), v.name, translate(v.name, 'åäöÅÄÖ', 'aaoAAO'),
        (ARRAY['commercial', 'government', 'education'])[1 + n % 3], CASE WHEN n % 4 = 0 THEN 'enterprise' ELSE 'team' END,
        (ARRAY['SE', 'US', 'DE', 'GB', 'NL', 'FR'])[1 + n % 6], (n % 200 + 1) || ' ' || v.word || ' Street',
        (ARRAY['Stockholm', 'Boston', 'Berlin', 'Leeds', 'Utrecht', 'Lyon'])[1 + n % 6], lpad((n % 99999)::text, 5, '0'),
        v.first, v.last, lower(translate(v.first, 'ö', 'o') || '.' || v.last || n || '.' || ${index}::int || '@' || v.word) || '.example',
        CASE WHEN n % 7 = 0 THEN 'pending' ELSE 'accepted' END, v.at,
        CASE WHEN n % 7 = 0 THEN NULL ELSE v.at + interval '1 day' END,
        -- Anniversaries over two years around today, so each renewal window (R1, R2) holds its share.
        CASE WHEN n % 20 = 0 THEN NULL ELSE current_date + ((n * 37) % 730 - 365) END,
        CASE WHEN n % 5 = 0 THEN 1 + n % 3 END,
        CASE WHEN n % 25 = 0 THEN 10 + n % 40 END, CASE WHEN n % 25 = 0 THEN v.at + interval '30 days' END,
        CASE WHEN n % 3 = 0 THEN (${team}::uuid[])[1 + (n / 3) % ${TEAM}::int] END, ${owner.userId}, v.at, v.at
      FROM generate_series(${lo}::int, ${hi}::int) n
      CROSS JOIN LATERAL (SELECT
        initcap((ARRAY['nor', 'vel', 'kar', 'lum', 'tis', 'ber', 'gal', 'sön', 'mar', 'fjä', 'dal', 'ros', 'ek', 'lin',
                       'hav', 'stå', 'ven', 'tor', 'pax', 'qui', 'zen', 'ol', 'ryd'])[1 + n % 23]
          || (ARRAY['da', 'ri', 'lo', 'me', 'sa', 'vi', 'ko', 'ne', 'tu', 'ba', 'le', 'mo', 'ka', 'ju', 'fe', 'po', 'hi',
                    'ga', 'wy'])[1 + (n / 23) % 19]
          || (ARRAY['n', 'x', 'ra', 'lin', 'sson', 'berg', 'ton', 'via', 'tex', 'ium', 'ex', 'ora', 'ix', 'and', 'us',
                    'ent', 'ar'])[1 + (n / 437) % 17])
          || ' ' || (ARRAY['Print', 'Media', 'Signs', 'Labels', 'Graphics', 'Wraps', 'Textiles', 'Displays', 'Studio',
                           'Packaging', 'Imaging', 'Design', 'Works'])[1 + (n / 7) % 13]
          || ' ' || (ARRAY['AB', 'Ltd', 'GmbH', 'BV', 'Inc', 'SARL'])[1 + n % 6] AS name,
        (ARRAY['lumen', 'north', 'ink', 'press', 'signal', 'vivid', 'crisp'])[1 + n % 7] AS word,
        (ARRAY['Astrid', 'Björn', 'Chloe', 'David', 'Emma', 'Farid', 'Greta', 'Hugo', 'Ines', 'Jonas'])[1 + n % 10] AS first,
        (ARRAY['Lind', 'Meyer', 'Smith', 'Jansen', 'Dubois', 'Novak', 'Berg', 'Rossi', 'Kowalski'])[1 + (n / 10) % 9] AS last,
        date_trunc('milliseconds', now()) - n * interval '15 minutes' AS at) v`;
    tick((hi - lo + 1) * 2, `reseller ${index}: customers (and their primary admins)`);
  }

  const O = counts.orders;
  for (const [lo, hi] of chunks(O)) {
    await sql`
      INSERT INTO orders (id, reseller_id, customer_id, kind, status, currency, po_number, subscription_type, plan,
        subtotal_minor, discount_minor, total_minor, plan_price_minor, percent_off, trial_ends_at, created_by, created_at)
      SELECT ${idOf(sql, tag, 'o', n)}, ${rid}, ${idOf(sql, tag, 'c', customerOf(sql, n, C))},
        CASE WHEN n % 10 = 0 THEN 'trial' ELSE 'order' END,
        CASE WHEN n % 10 = 0 THEN (ARRAY['active', 'expired', 'converted'])[1 + n % 3]
             WHEN n % 5 = 1 THEN 'pending_activation' ELSE 'active' END,
        (ARRAY['EUR', 'USD', 'GBP'])[1 + n % 3],
        CASE WHEN n % 5 <> 0 THEN 'PO-' || (2020 + n % 6) || '-' || lpad((${index}::int * 1000000 + n)::text, 7, '0') END,
        (ARRAY['saas-monthly', 'saas-annual', 'perpetual'])[1 + n % 3], (ARRAY['production', 'connect'])[1 + n % 2],
        99000, 0, 99000, 99000, 0, CASE WHEN n % 10 = 0 THEN now() + interval '20 days' END,
        (${team}::uuid[])[1 + n % ${TEAM}::int], date_trunc('milliseconds', now()) - n * interval '5 minutes'
      FROM generate_series(${lo}::int, ${hi}::int) n`;
    tick(hi - lo + 1, `reseller ${index}: orders`);
  }

  for (const [lo, hi] of chunks(counts.licenses)) {
    // Each order's licenses; the customer is the order's.
    await sql`
      INSERT INTO licenses (id, reseller_id, customer_id, serial_number, product, status, order_id, activated_at, created_at)
      SELECT ${idOf(sql, tag, 'l', n)}, ${rid}, ${idOf(sql, tag, 'c', customerOf(sql, sql`((n - 1) % ${O}::int + 1)`, C))},
        'SN-' || upper(substr(md5(${tag}::text || n), 1, 4)) || '-' || upper(substr(md5(${tag}::text || n), 5, 4)) || '-'
          || ${index}::int || lpad(n::text, 7, '0'),
        (ARRAY['PrintFactory Production', 'PrintFactory Connect', 'Acrobat Pro', 'Photoshop', 'Illustrator'])[1 + n % 5],
        (ARRAY['active', 'active', 'active', 'active', 'suspended', 'expired', 'pending_activation'])[1 + n % 7],
        ${idOf(sql, tag, 'o', sql`((n - 1) % ${O}::int + 1)`)}, now() - n * interval '1 minute',
        date_trunc('milliseconds', now()) - n * interval '1 minute'
      FROM generate_series(${lo}::int, ${hi}::int) n`;
    tick(hi - lo + 1, `reseller ${index}: licenses`);
  }

  for (const [lo, hi] of chunks(counts.authorizations)) {
    // P1-P5 in realistic shares: 10% pending, 2% overdue, the rest ordered, paid, cancelled or returned.
    await sql`
      INSERT INTO purchase_authorizations (id, reseller_id, customer_id, product, quantity, licenses_assigned, status,
        created_by, created_at, ordered_at, paid_at, overdue_at, deactivated_at, cancelled_at, returned_at)
      SELECT ${idOf(sql, tag, 'pa', n)}, ${rid}, ${idOf(sql, tag, 'c', customerOf(sql, sql`(n * 7)`, C))},
        (ARRAY['Acrobat Pro', 'Photoshop', 'Illustrator', 'InDesign'])[1 + n % 4], 1 + n % 20, ((1 + n % 20) * (n % 3)) / 2,
        s.status, (${team}::uuid[])[1 + n % ${TEAM}::int], s.at,
        CASE WHEN s.status IN ('ordered', 'paid', 'overdue', 'deactivated', 'returned') THEN s.at + interval '3 days' END,
        CASE WHEN s.status = 'paid' THEN s.at + interval '20 days' END,
        CASE WHEN s.status IN ('overdue', 'deactivated') THEN s.at + interval '31 days' END,
        CASE WHEN s.status = 'deactivated' THEN s.at + interval '61 days' END,
        CASE WHEN s.status = 'cancelled' THEN s.at + interval '1 day' END,
        CASE WHEN s.status = 'returned' THEN s.at + interval '10 days' END
      FROM generate_series(${lo}::int, ${hi}::int) n
      CROSS JOIN LATERAL (SELECT CASE WHEN n % 50 < 5 THEN 'pending' WHEN n % 50 = 5 THEN 'overdue'
                                      WHEN n % 50 = 6 THEN 'deactivated' WHEN n % 50 < 10 THEN 'cancelled'
                                      WHEN n % 50 = 10 THEN 'returned' WHEN n % 50 < 21 THEN 'ordered' ELSE 'paid' END AS status,
                                 date_trunc('milliseconds', now()) - n * interval '9 minutes' AS at) s`;
    tick(hi - lo + 1, `reseller ${index}: purchase authorizations`);
  }

  for (const [lo, hi] of chunks(Math.min(counts.invoices, O))) {
    // The first period's invoice of order n; 7 in 8 are paid (a payment and its settling transaction, D6).
    const period = sql`date_trunc('milliseconds', now()) - n * interval '5 minutes'`;
    await sql`
      INSERT INTO invoices (id, number, reseller_id, customer_id, order_id, currency, period_start, period_end, status,
        subtotal_minor, discount_percent, discount_minor, total_minor, issued_at, due_at, paid_at)
      SELECT ${idOf(sql, tag, 'i', n)}, 'INV-' || ${index}::int || lpad(n::text, 8, '0'), ${rid},
        ${idOf(sql, tag, 'c', customerOf(sql, n, C))}, ${idOf(sql, tag, 'o', n)}, (ARRAY['EUR', 'USD', 'GBP'])[1 + n % 3],
        ${period}, ${period} + interval '1 month', CASE WHEN n % 8 = 0 THEN 'open' ELSE 'paid' END,
        99000, 10, 9900, 89100, ${period}, ${period} + interval '14 days',
        CASE WHEN n % 8 = 0 THEN NULL ELSE ${period} + interval '10 days' END
      FROM generate_series(${lo}::int, ${hi}::int) n`;
    await sql`
      INSERT INTO payments (id, provider_event_id, invoice_id, reseller_id, amount_minor, currency, received_at)
      SELECT ${idOf(sql, tag, 'p', n)}, 'evt_' || ${tag}::text || '_' || n, ${idOf(sql, tag, 'i', n)}, ${rid}, 89100,
        (ARRAY['EUR', 'USD', 'GBP'])[1 + n % 3], ${period} + interval '10 days'
      FROM generate_series(${lo}::int, ${hi}::int) n WHERE n % 8 <> 0`;
    await sql`
      INSERT INTO reseller_balance_transactions (reseller_id, kind, invoice_id, payment_id, currency, amount_minor, description, created_at)
      SELECT ${rid}, t.kind, ${idOf(sql, tag, 'i', n)}, t.payment_id, (ARRAY['EUR', 'USD', 'GBP'])[1 + n % 3], t.amount,
        t.description, ${period} + t.after
      FROM generate_series(${lo}::int, ${hi}::int) n
      CROSS JOIN LATERAL (VALUES ('invoice', NULL::uuid, 89100, 'Invoice INV-' || ${index}::int || lpad(n::text, 8, '0'), interval '0'),
                                 ('payment', ${idOf(sql, tag, 'p', n)}, -89100, 'Payment', interval '10 days')) t(kind, payment_id, amount, description, after)
      WHERE t.kind = 'invoice' OR n % 8 <> 0
      ORDER BY 8`;
    tick((hi - lo + 1) * 4, `reseller ${index}: invoices, payments, balance transactions`);
  }

  // R3: one customer in twenty renewed last year: its renewal date moved a year on (D1's renewal filters).
  await sql`
    INSERT INTO renewal_orders (id, reseller_id, customer_id, renewal_date, timing, quantity, term_months, term_starts_on,
      term_ends_on, created_by, created_at)
    SELECT ${idOf(sql, tag, 'r', sql`c.id::text`)}, ${rid}, c.id, c.anniversary_date - 365, 'on_time', 10, 12, c.anniversary_date - 365,
      c.anniversary_date, 'seed', now()
    FROM customers c WHERE c.reseller_id = ${rid} AND c.anniversary_date IS NOT NULL AND right(c.vip_id, 2)::int % 20 = 1`;
  return { resellerId: rid, userId: owner.userId, apiKey, teamIds: team, counts };
}

/**
 * Ten resellers: the one measured (index 0) with `counts`, nine others with `otherShare` of them, so every
 * tenant condition has rows to skip. Ends with VACUUM ANALYZE, as autovacuum would have left a live database.
 */
export async function seedScale(
  sql: Sql,
  opts: { counts?: ScaleCounts; others?: number; otherShare?: number; out?: NodeJS.WriteStream } = {},
): Promise<ScaleSeed> {
  const counts = opts.counts ?? ISSUE_9_COUNTS;
  const others = opts.others ?? 9;
  const share = opts.otherShare ?? 0.02;
  const small: ScaleCounts = {
    customers: Math.max(10, Math.round(counts.customers * share)),
    licenses: Math.max(10, Math.round(counts.licenses * share)),
    orders: Math.max(10, Math.round(counts.orders * share)),
    authorizations: Math.max(10, Math.round(counts.authorizations * share)),
    invoices: Math.max(10, Math.round(counts.invoices * share)),
  };
  await loadCatalog(sql);
  const bar = progressBar(rowsOf(counts) + others * rowsOf(small), opts.out);
  const tick = (rows: number, label: string) => bar.tick(rows, label);
  // One transaction: a failed seed leaves nothing behind, the dropped indexes included.
  const measured = await sql.begin(async (tx) => {
    // Building an index once is far cheaper than updating it row by row (as pg_restore does). Only plain
    // indexes go: primary keys, unique indexes and foreign keys check every row as it is written.
    const plain = await tx<{ name: string; definition: string }[]>`
      SELECT indexname AS name, indexdef AS definition FROM pg_indexes
      WHERE schemaname = current_schema() AND tablename = ANY(${SEEDED_TABLES}) AND indexdef NOT LIKE 'CREATE UNIQUE%'`;
    // Foreign keys likewise: checked row by row they cost more than the inserts; added back at the end, each is
    // validated over the whole table in one join, so no row escapes them.
    const foreign = await tx<{ table: string; name: string; definition: string }[]>`
      SELECT conrelid::regclass::text AS table, conname AS name, pg_get_constraintdef(oid) AS definition
      FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY(${SEEDED_TABLES}::regclass[])`;
    for (const fk of foreign) await tx.unsafe(`ALTER TABLE ${fk.table} DROP CONSTRAINT ${quoted(fk.name)}`);
    for (const index of plain) await tx.unsafe(`DROP INDEX ${quoted(index.name)}`);
    // The measured reseller in the middle of the others' rows, not first or last in every table.
    const before = Math.floor(others / 2);
    for (let i = 1; i <= before; i++) await seedReseller(tx as unknown as Sql, i, small, tick);
    const seeded = await seedReseller(tx as unknown as Sql, 0, counts, tick);
    for (let i = before + 1; i <= others; i++) await seedReseller(tx as unknown as Sql, i, small, tick);
    await tx`SET LOCAL maintenance_work_mem = '256MB'`;
    for (const index of plain) {
      await tx.unsafe(index.definition);
      tick(0, `index ${index.name}`);
    }
    for (const fk of foreign) {
      await tx.unsafe(`ALTER TABLE ${fk.table} ADD CONSTRAINT ${quoted(fk.name)} ${fk.definition}`);
      tick(0, `foreign key ${fk.name}`);
    }
    return seeded;
  });
  await sql.unsafe('VACUUM ANALYZE');
  return measured;
}

if (require.main === module) {
  const sql = createSql(loadConfig());
  const started = performance.now();
  seedScale(sql)
    .then((seed) => {
      console.log(`seeded in ${((performance.now() - started) / 1000).toFixed(1)}s; reseller ${seed.resellerId}`);
      console.log(`API key of its owner: ${seed.apiKey}`);
    })
    .catch((err) => {
      console.error(err);
      process.exitCode = 1;
    })
    .finally(() => sql.end());
}
