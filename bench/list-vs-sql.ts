// The customer list through the API versus the same query straight to Postgres (listCustomers, and a
// hand-written `sql` query), on one reseller with M customers seeded by one bulk INSERT.
import { randomUUID } from 'node:crypto';
import { listCustomers, type CustomerListQuery, type CustomerRow } from '../db/customers';
import type { Sql } from '../db';
import { newReseller } from '../test/helpers/fixtures';
import { envInt, ms, ratio, recordResults, summarize, table, timed, type Summary } from './lib';
import { startBenchStack, type BenchStack } from './stack';

const M = envInt('BENCH_M', 5000);
const ITERS = envInt('BENCH_LIST_ITERS', 200);
const WARMUP = envInt('BENCH_LIST_WARMUP', 20);
const LIMIT = 50;
const Q = 'acme'; // every 25th seeded customer is an "Acme Print …"

type Path = 'api' | 'listCustomers' | 'bare sql';
const PATHS: Path[] = ['api', 'listCustomers', 'bare sql'];

/**
 * M customers in one statement. Timestamps are whole milliseconds and a second apart, so the API's
 * millisecond cursors land exactly on rows; the customer_admins rows come from the insert trigger.
 */
async function seed(sql: Sql, resellerId: string, userId: string, m: number, tag: string): Promise<void> {
  await sql`
    INSERT INTO customers (id, reseller_id, vip_id, organization_name, organization_name_ascii, market_segment,
      customer_type, country, address_line1, city, postal_code, contact_first_name, contact_last_name, contact_email,
      invited_at, created_by, created_at, updated_at)
    SELECT gen_random_uuid(), ${resellerId}::uuid, 'VIP' || nextval('vip_number'), v.name, v.name,
      (ARRAY['commercial', 'government', 'education'])[1 + i % 3], CASE WHEN i % 2 = 0 THEN 'team' ELSE 'enterprise' END,
      'US', i || ' Market Street', 'San Francisco', '94105', 'First' || i, 'Last' || i,
      'contact' || i || '@' || ${tag}::text || '.bench.test', v.ts, ${userId}::uuid, v.ts, v.ts
    FROM generate_series(1, ${m}::int) AS i
    CROSS JOIN LATERAL (SELECT CASE WHEN i % 25 = 0 THEN 'Acme Print ' ELSE 'Bench Org ' END || i AS name,
                               date_trunc('milliseconds', now()) - i * interval '1 second' AS ts) v`;
}

// The API's cursor format (api/routes/customers.ts encodeCursor), to jump to a deep page directly.
const encodeCursor = (createdAt: Date, id: string): string =>
  Buffer.from(JSON.stringify([createdAt.toISOString(), id])).toString('base64url');

interface Case {
  name: string;
  url: string;
  query: CustomerListQuery;
  /** The same statement listCustomers builds, written out as one static query. */
  bare: (sql: Sql) => Promise<CustomerRow[]>;
  explain: (sql: Sql) => Promise<string[]>;
}

async function main(): Promise<void> {
  const stack = await startBenchStack();
  try {
    await run(stack);
  } finally {
    await stack.stop();
  }
}

async function run(stack: BenchStack): Promise<void> {
  const { sql, baseUrl } = stack;
  const reseller = await newReseller(sql);
  const other = await newReseller(sql);
  // Another tenant of the same size, so the reseller_id condition has rows to skip.
  const seedMs = await timed(async () => {
    await seed(sql, reseller.resellerId, reseller.userId, M, `r-${randomUUID().slice(0, 8)}`);
    await seed(sql, other.resellerId, other.userId, M, `o-${randomUUID().slice(0, 8)}`);
    await sql`ANALYZE customers`;
    await sql`ANALYZE customer_admins`;
  });
  const rid = reseller.resellerId;

  const depth = Math.max(0, Math.floor(M * 0.9) - 1);
  const [anchor] = await sql<{ createdAt: Date; id: string }[]>`
    SELECT created_at, id FROM customers WHERE reseller_id = ${rid} ORDER BY created_at DESC, id DESC OFFSET ${depth} LIMIT 1`;
  if (!anchor) throw new Error('the seed left no rows to page to');
  const after = { createdAt: anchor.createdAt.toISOString(), id: anchor.id };
  const like = `%${Q}%`;

  const cols = (s: Sql) => s`
    id, reseller_id, vip_id, organization_name, organization_name_ascii, market_segment, customer_type, country,
    address_line1, address_line2, city, postal_code, tax_id, contact_first_name, contact_last_name, contact_email,
    invitation_status, invited_at, accepted_at, to_char(anniversary_date, 'YYYY-MM-DD') AS anniversary_date, created_at`;
  // EXPLAIN's one column is "QUERY PLAN", whatever the pool's name transform makes of it.
  const plan = async (q: Promise<Record<string, unknown>[]>): Promise<string[]> =>
    (await q).map((row) => String(Object.values(row)[0]));

  const cases: Case[] = [
    {
      name: 'first page',
      url: `/v1/customers?limit=${LIMIT}`,
      query: { limit: LIMIT + 1 },
      bare: (s) => s<CustomerRow[]>`
        SELECT ${cols(s)} FROM customers WHERE reseller_id = ${rid} ORDER BY created_at DESC, id DESC LIMIT ${LIMIT + 1}`,
      explain: (s) =>
        plan(s`EXPLAIN (ANALYZE, BUFFERS)
          SELECT ${cols(s)} FROM customers WHERE reseller_id = ${rid} ORDER BY created_at DESC, id DESC LIMIT ${LIMIT + 1}`),
    },
    {
      name: `deep page (row ${depth + 2} of ${M})`,
      url: `/v1/customers?limit=${LIMIT}&cursor=${encodeCursor(anchor.createdAt, anchor.id)}`,
      query: { limit: LIMIT + 1, after },
      bare: (s) => s<CustomerRow[]>`
        SELECT ${cols(s)} FROM customers WHERE reseller_id = ${rid}
          AND (created_at, id) < (${after.createdAt}::timestamptz, ${after.id}::uuid)
        ORDER BY created_at DESC, id DESC LIMIT ${LIMIT + 1}`,
      explain: (s) =>
        plan(s`EXPLAIN (ANALYZE, BUFFERS)
          SELECT ${cols(s)} FROM customers WHERE reseller_id = ${rid}
            AND (created_at, id) < (${after.createdAt}::timestamptz, ${after.id}::uuid)
          ORDER BY created_at DESC, id DESC LIMIT ${LIMIT + 1}`),
    },
    {
      name: `search q=${Q}`,
      url: `/v1/customers?limit=${LIMIT}&q=${Q}`,
      query: { limit: LIMIT + 1, q: Q },
      bare: (s) => s<CustomerRow[]>`
        SELECT ${cols(s)} FROM customers WHERE reseller_id = ${rid}
          AND (organization_name ILIKE ${like} OR contact_email ILIKE ${like} OR vip_id ILIKE ${like})
        ORDER BY created_at DESC, id DESC LIMIT ${LIMIT + 1}`,
      explain: (s) =>
        plan(s`EXPLAIN (ANALYZE, BUFFERS)
          SELECT ${cols(s)} FROM customers WHERE reseller_id = ${rid}
            AND (organization_name ILIKE ${like} OR contact_email ILIKE ${like} OR vip_id ILIKE ${like})
          ORDER BY created_at DESC, id DESC LIMIT ${LIMIT + 1}`),
    },
  ];

  const headers = { authorization: `Bearer ${reseller.apiKey}` };
  const call = async (c: Case, path: Path): Promise<string[]> => {
    if (path === 'api') {
      const res = await fetch(`${baseUrl}${c.url}`, { headers });
      if (res.status !== 200) throw new Error(`GET ${c.url} answered ${res.status}: ${await res.text()}`);
      return ((await res.json()) as { data: { id: string }[] }).data.map((r) => r.id);
    }
    const rows = path === 'listCustomers' ? await listCustomers(sql, rid, c.query) : await c.bare(sql);
    return rows.slice(0, LIMIT).map((r) => r.id);
  };

  console.log(
    `\nBench: customer list, ${M} customers of one reseller (+${M} of another), ${ITERS} sequential requests per path and case`,
  );
  console.log(`  seeded ${2 * M} customers (bulk INSERT … generate_series, with ANALYZE) in ${ms(seedMs)} ms`);
  console.log(
    '  api = GET /v1/customers over HTTP (auth, zod, JSON); listCustomers = db/customers.ts; bare sql = one static query\n',
  );

  const results: { c: Case; s: Record<Path, Summary> }[] = [];
  for (const c of cases) {
    // The three paths must agree before their speeds mean anything.
    const pages = await Promise.all(PATHS.map((p) => call(c, p)));
    if (pages.some((p) => p.join() !== pages[0]!.join())) throw new Error(`${c.name}: the API and SQL pages differ`);
    if (pages[0]!.length === 0) throw new Error(`${c.name}: empty page`);

    const lat: Record<Path, number[]> = { api: [], listCustomers: [], 'bare sql': [] };
    for (let i = 0; i < WARMUP + ITERS; i++) {
      // Rotating order inside each iteration, so drift and cache effects fall on all three alike.
      for (let k = 0; k < PATHS.length; k++) {
        const path = PATHS[(i + k) % PATHS.length]!;
        const t = await timed(() => call(c, path));
        if (i >= WARMUP) lat[path].push(t);
      }
    }
    results.push({
      c,
      s: {
        api: summarize(lat.api),
        listCustomers: summarize(lat.listCustomers),
        'bare sql': summarize(lat['bare sql']),
      },
    });
  }

  console.log(
    table([
      ['case', 'path', 'n', 'p50 ms', 'p95 ms', 'mean ms'],
      ...results.flatMap(({ c, s }) =>
        PATHS.map((p) => [c.name, p, s[p].n, ms(s[p].p50), ms(s[p].p95), ms(s[p].mean)]),
      ),
    ]),
  );

  console.log('\nEXPLAIN (ANALYZE, BUFFERS) of the first page:');
  const firstPlan = await cases[0]!.explain(sql);
  for (const line of firstPlan) console.log(`  ${line}`);
  for (const c of cases) {
    const lines = c === cases[0] ? firstPlan : await c.explain(sql);
    const text = lines.join('\n');
    const exec = /Execution Time: ([\d.]+) ms/.exec(text)?.[1] ?? '?';
    // The plan's nodes top-down, e.g. "Limit > Incremental Sort > Index Scan using customers_by_reseller".
    const nodes = lines
      .map((l) => /^\s*(?:->\s+)?([A-Z][A-Za-z ]*?(?: using \S+)?)(?: on \S+)?\s+\(cost=/.exec(l)?.[1])
      .filter((n): n is string => Boolean(n));
    console.log(
      `uses customers_by_reseller (${c.name}): ${text.includes('customers_by_reseller') ? 'yes' : 'no'} [${nodes.join(' > ')}], execution ${exec} ms`,
    );
  }
  console.log('');
  for (const { c, s } of results) {
    for (const base of ['listCustomers', 'bare sql'] as const) {
      console.log(`ratio api/${base} p50 (${c.name}): ${ratio(s.api.p50, s[base].p50)}`);
      console.log(`ratio api/${base} p95 (${c.name}): ${ratio(s.api.p95, s[base].p95)}`);
    }
  }
  const figures: Record<string, number> = {};
  for (const { c, s } of results) {
    figures[`${c.name} api p95 ms`] = s.api.p95;
    figures[`${c.name} api/sql p50`] = s.api.p50 / s['bare sql'].p50;
    figures[`${c.name} api/sql p95`] = s.api.p95 / s['bare sql'].p95;
  }
  await recordResults('list-vs-sql', figures);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
