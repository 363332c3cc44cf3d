import type { Sql } from '.';

export type SearchHitType = 'user' | 'company' | 'order' | 'serial' | 'invoice';

export interface SearchHit {
  type: SearchHitType;
  id: string;
  label: string;
  /** The API resource of the hit; users have none. */
  url: string | null;
}

export const SEARCH_LIMIT = 20;

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * A uuid prefix (at least 4 hex digits, dashes optional) as the range of ids it starts, so the primary key
 * serves it; `id::text LIKE` would read every row. Null when q cannot start an id.
 */
export function uuidPrefixRange(q: string): [string, string] | null {
  const hex = q.replace(/-/g, '').toLowerCase();
  if (!/^[0-9a-f]{4,32}$/.test(hex) || !/^[0-9a-f-]+$/i.test(q)) return null;
  const asUuid = (h: string) =>
    `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  return [asUuid(hex.padEnd(32, '0')), asUuid(hex.padEnd(32, 'f'))];
}

/**
 * D3: one search box over the reseller's users (name, email), companies (name, ASCII name, VIP id, and the
 * contact's email or part of it, so an order form finds the existing customer before making a new one: O3), orders
 * (id prefix, PO number), serial numbers and, for users with `billing` (T2), invoices (number, id prefix).
 * Tenant-scoped (T1): orders and serials through their customer's owner (one owner per customer), invoices by
 * the reseller they were issued to.
 *
 * Names (users, companies) are typo-tolerant: every word of q is close to a word of the name by pg_trgm's word
 * similarity (`word <% name`), so "Fjalravn Kanken" finds "Fjällräven Kånken AB" (ASCII "Fjallraven Kanken AB"):
 * a company's name and its ASCII form are one column, `search_name`, with one index (migration 00018).
 * Codes (VIP ids, PO, serial and invoice numbers) match as typed, since a code one character off is another
 * code, case aside: by their start or by one whole part ("4F2A" finds SN-4F2A-0001), not anywhere inside, which
 * a trigram index answers slowly when every code shares its leading trigrams (migration 00013). Ranked: exact
 * matches first, then values that start with q, then the rest by similarity; at most SEARCH_LIMIT. Every
 * condition is served by an index or a primary key (migrations 00012, 00013).
 */
export async function search(
  sql: Sql,
  resellerId: string,
  q: string,
  opts: { invoices: boolean },
): Promise<SearchHit[]> {
  const prefix = `${escapeLike(q)}%`;
  // Under three characters a trigram index has nothing to look up inside a value: prefixes only.
  const contains = q.length >= 3 ? `%${escapeLike(q)}%` : prefix;
  const ids = uuidPrefixRange(q);
  // As code_parts (migration 00013) splits and lowers a code; the expressions match its indexes'.
  const codePrefix = `${escapeLike(q.toLowerCase())}%`;
  // A part is one word: q with a dash or a space can only be a code's start.
  const oneWord = /^[\p{L}\p{N}]+$/u.test(q);
  const code = (column: ReturnType<Sql>) =>
    oneWord
      ? sql`(lower(${column}) LIKE ${codePrefix} OR code_parts(${column}) @> ARRAY[lower(${q})])`
      : sql`lower(${column}) LIKE ${codePrefix}`;
  // The owner checked row by row: joined, the planner (which guesses thousands of matching parts) would hash
  // all the reseller's customers first.
  const ownerOf = (customerId: ReturnType<Sql>) =>
    sql`(SELECT oc.reseller_id FROM customers oc WHERE oc.id = ${customerId}) = ${resellerId}`;
  // Typo tolerance word by word, every word of three letters or more close to some word of the name: all of
  // q at once would let its common words ("Print AB") match thousands of names to rank.
  // Words as pg_trgm splits them (letters and digits), so a code such as "SN-4F2A-0001" is three words, all needed.
  const words = q
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length >= 3)
    .slice(0, 5);
  const close = (...columns: ReturnType<Sql>[]) =>
    words.length === 0
      ? sql``
      : sql`OR (${words
          .map((w) => sql`(${columns.map((c) => sql`${w} <% ${c}`).reduce((a, b) => sql`${a} OR ${b}`)})`)
          .reduce((a, b) => sql`${a} AND ${b}`)})`;
  const idIn = (column: ReturnType<Sql>) =>
    ids ? sql`${column} BETWEEN ${ids[0]}::uuid AND ${ids[1]}::uuid OR` : sql``;
  const rank = (exact: ReturnType<Sql>, starts: ReturnType<Sql>) =>
    sql`CASE WHEN ${exact} THEN 0 WHEN ${starts} THEN 1 ELSE 2 END`;
  // Each kind's best SEARCH_LIMIT (ranked before the limit), then the best of all kinds.
  const best = () => sql`ORDER BY rank, score DESC LIMIT ${SEARCH_LIMIT}`;
  // The planner cannot estimate a code's parts (no statistics for elements seen once) and guesses thousands of
  // rows: enough to start parallel workers and JIT compilation, each costing more than the few rows found.
  return sql.begin(async (tx) => {
    await tx`SELECT set_config('max_parallel_workers_per_gather', '0', true), set_config('jit', 'off', true)`;
    return tx<SearchHit[]>`
    SELECT type, id, label, url FROM (
      (SELECT 'user' AS type, u.id, u.name || ' <' || u.email || '>' AS label, NULL::text AS url, 1 AS kind,
              ${rank(sql`lower(u.email) = lower(${q}) OR lower(u.name) = lower(${q})`, sql`u.name ILIKE ${prefix} OR u.email ILIKE ${prefix}`)} AS rank,
              word_similarity(${q}, u.name) AS score
       FROM reseller_users u
       WHERE u.reseller_id = ${resellerId} AND (u.name ILIKE ${contains} OR u.email ILIKE ${contains} ${close(sql`u.name`)})
       ${best()})
      UNION ALL
      (SELECT 'company', c.id, c.organization_name || ' (' || c.vip_id || ')', '/v1/customers/' || c.id, 2,
              ${rank(
                sql`lower(c.vip_id) = lower(${q}) OR lower(c.organization_name) = lower(${q}) OR lower(c.organization_name_ascii) = lower(${q}) OR lower(c.contact_email) = lower(${q})`,
                sql`c.organization_name ILIKE ${prefix} OR c.organization_name_ascii ILIKE ${prefix} OR c.vip_id ILIKE ${prefix} OR c.contact_email ILIKE ${prefix}`,
              )} AS rank,
              word_similarity(${q}, c.search_name) AS score
       FROM customers c
       WHERE c.reseller_id = ${resellerId}
         AND (c.search_name ILIKE ${contains} OR c.contact_email ILIKE ${contains} OR ${code(sql`c.vip_id`)}
              ${close(sql`c.search_name`)})
       ${best()})
      UNION ALL
      (SELECT 'order', o.id, initcap(o.kind) || ' ' || o.id || COALESCE(' (PO ' || o.po_number || ')', ''), '/v1/orders/' || o.id, 3,
              ${rank(sql`o.id::text = lower(${q}) OR lower(o.po_number) = lower(${q})`, sql`${idIn(sql`o.id`)} o.po_number ILIKE ${prefix}`)} AS rank,
              COALESCE(word_similarity(${q}, o.po_number), 0) AS score
       FROM orders o
       WHERE ${ownerOf(sql`o.customer_id`)} AND (${idIn(sql`o.id`)} ${code(sql`o.po_number`)})
       ${best()})
      UNION ALL
      (SELECT 'serial', l.id, l.serial_number || ' (' || l.product || ')',
              COALESCE('/v1/orders/' || l.order_id, '/v1/customers/' || l.customer_id), 4,
              ${rank(sql`lower(l.serial_number) = lower(${q})`, sql`l.serial_number ILIKE ${prefix}`)} AS rank,
              word_similarity(${q}, l.serial_number) AS score
       FROM licenses l
       WHERE ${ownerOf(sql`l.customer_id`)} AND ${code(sql`l.serial_number`)}
       ${best()})
      ${
        opts.invoices
          ? sql`UNION ALL
      (SELECT 'invoice', i.id, 'Invoice ' || i.number, '/v1/invoices/' || i.id, 5,
              ${rank(sql`lower(i.number) = lower(${q}) OR i.id::text = lower(${q})`, sql`${idIn(sql`i.id`)} i.number ILIKE ${prefix}`)} AS rank,
              word_similarity(${q}, i.number) AS score
       FROM invoices i
       WHERE i.reseller_id = ${resellerId} AND (${idIn(sql`i.id`)} ${code(sql`i.number`)})
       ${best()})`
          : sql``
      }
    ) hits
    ORDER BY rank, score DESC, kind, label
    LIMIT ${SEARCH_LIMIT}`;
  }) as Promise<SearchHit[]>;
}
