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
 * D3: one search box over the reseller's users (name, email), companies (name, ASCII name, VIP id), orders
 * (id prefix, PO number), serial numbers and, for users with `billing` (T2), invoices (number, id prefix).
 * Tenant-scoped (T1): orders and serials through their customer's owner (one owner per customer), invoices by
 * the reseller they were issued to. Exact matches first, then prefix matches, then the rest; at most SEARCH_LIMIT.
 */
export async function search(
  sql: Sql,
  resellerId: string,
  q: string,
  opts: { invoices: boolean },
): Promise<SearchHit[]> {
  const contains = `%${escapeLike(q)}%`;
  const prefix = `${escapeLike(q)}%`;
  // Ids are uuids: only a hexadecimal prefix can start one (and it is compared as lowercase text).
  const idPrefix = /^[0-9a-f-]+$/i.test(q) ? `${q.toLowerCase()}%` : null;
  const rank = (exact: ReturnType<Sql>, starts: ReturnType<Sql>) =>
    sql`CASE WHEN ${exact} THEN 0 WHEN ${starts} THEN 1 ELSE 2 END`;
  return sql<SearchHit[]>`
    SELECT type, id, label, url FROM (
      (SELECT 'user' AS type, u.id, u.name || ' <' || u.email || '>' AS label, NULL::text AS url, 1 AS kind,
              ${rank(sql`lower(u.email) = lower(${q}) OR lower(u.name) = lower(${q})`, sql`u.name ILIKE ${prefix} OR u.email ILIKE ${prefix}`)} AS rank
       FROM reseller_users u
       WHERE u.reseller_id = ${resellerId} AND (u.name ILIKE ${contains} OR u.email ILIKE ${contains})
       LIMIT ${SEARCH_LIMIT})
      UNION ALL
      (SELECT 'company', c.id, c.organization_name || ' (' || c.vip_id || ')', '/v1/customers/' || c.id, 2,
              ${rank(sql`lower(c.vip_id) = lower(${q}) OR lower(c.organization_name) = lower(${q})`, sql`c.organization_name ILIKE ${prefix} OR c.organization_name_ascii ILIKE ${prefix}`)}
       FROM customers c
       WHERE c.reseller_id = ${resellerId}
         AND (c.organization_name ILIKE ${contains} OR c.organization_name_ascii ILIKE ${contains} OR c.vip_id ILIKE ${contains})
       LIMIT ${SEARCH_LIMIT})
      UNION ALL
      (SELECT 'order', o.id, initcap(o.kind) || ' ' || o.id || COALESCE(' (PO ' || o.po_number || ')', ''), '/v1/orders/' || o.id, 3,
              ${rank(sql`o.id::text = lower(${q}) OR lower(o.po_number) = lower(${q})`, sql`o.po_number ILIKE ${prefix}`)}
       FROM orders o JOIN customers oc ON oc.id = o.customer_id
       WHERE oc.reseller_id = ${resellerId}
         AND (${idPrefix ? sql`o.id::text LIKE ${idPrefix} OR` : sql``} o.po_number ILIKE ${contains})
       LIMIT ${SEARCH_LIMIT})
      UNION ALL
      (SELECT 'serial', l.id, l.serial_number || ' (' || l.product || ')',
              COALESCE('/v1/orders/' || l.order_id, '/v1/customers/' || l.customer_id), 4,
              ${rank(sql`lower(l.serial_number) = lower(${q})`, sql`l.serial_number ILIKE ${prefix}`)}
       FROM licenses l JOIN customers lc ON lc.id = l.customer_id
       WHERE lc.reseller_id = ${resellerId} AND l.serial_number ILIKE ${contains}
       LIMIT ${SEARCH_LIMIT})
      ${
        opts.invoices
          ? sql`UNION ALL
      (SELECT 'invoice', i.id, 'Invoice ' || i.number, '/v1/invoices/' || i.id, 5,
              ${rank(sql`lower(i.number) = lower(${q}) OR i.id::text = lower(${q})`, sql`i.number ILIKE ${prefix}`)}
       FROM invoices i
       WHERE i.reseller_id = ${resellerId}
         AND (${idPrefix ? sql`i.id::text LIKE ${idPrefix} OR` : sql``} i.number ILIKE ${contains})
       LIMIT ${SEARCH_LIMIT})`
          : sql``
      }
    ) hits
    ORDER BY rank, kind, label
    LIMIT ${SEARCH_LIMIT}`;
}
