import { HttpError } from './errors';

/**
 * Keyset cursors for the lists (newest first): the row's created_at, to the microsecond as Postgres
 * keeps it (a millisecond Date would skip rows created within the same millisecond), and its id.
 */
export interface CursorRow {
  cursorAt: string;
  id: string;
}

/**
 * `<microseconds since 1970>_<id>`: every string of this pattern names a point in the list (up to the year 2286),
 * so the document can say exactly which cursors the API takes, and nothing past the pattern reaches the database
 * (an impossible date or id there was a 500).
 */
export const CURSOR_PATTERN = /^[0-9]{1,16}_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function encodeCursor(row: CursorRow): string {
  // cursorAt is CURSOR_AT_FORMAT: milliseconds Date.parse reads, then three more digits.
  const [, upToMs = '', micros = '000'] = /^(.*\.\d{3})(\d{3})Z$/.exec(row.cursorAt) ?? [];
  return `${BigInt(Date.parse(`${upToMs}Z`)) * 1000n + BigInt(micros)}_${row.id}`;
}

export function decodeCursor(cursor: string): { createdAt: string; id: string } {
  if (!CURSOR_PATTERN.test(cursor)) {
    throw new HttpError(400, 'validation_failed', 'cursor: is not a cursor this API returned', {
      issues: [{ field: 'cursor', message: 'is not a cursor this API returned' }],
    });
  }
  const [at = '0', id = ''] = cursor.split('_');
  const micros = BigInt(at);
  const ms = new Date(Number(micros / 1000n)).toISOString();
  return { createdAt: ms.replace('Z', `${String(micros % 1000n).padStart(3, '0')}Z`), id };
}

/** One page of `limit` rows fetched as `limit + 1`, and the cursor of the next page if there is one. */
export function pageOf<T extends CursorRow>(rows: T[], limit: number): { page: T[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { page, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
}

/** The SQL expression of a row's cursor time: microseconds, UTC. */
export const CURSOR_AT_FORMAT = 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"';

/** What a list query in db/ takes: how many rows, after which one. */
export interface KeysetPage {
  limit: number;
  after?: { createdAt: string; id: string };
}

/**
 * One keyset page of a list: `fetch` gets the query's filters with `limit + 1` rows after its cursor; the page
 * comes back as JSON with the next cursor.
 */
export async function keysetPage<Q extends { limit: number; cursor?: string }, T extends CursorRow, J>(
  query: Q,
  fetch: (filtered: Omit<Q, 'limit' | 'cursor'> & KeysetPage) => Promise<T[]>,
  toJson: (row: T) => J,
): Promise<{ data: J[]; nextCursor: string | null }> {
  const { limit, cursor, ...filters } = query;
  const rows = await fetch({ ...filters, limit: limit + 1, after: cursor ? decodeCursor(cursor) : undefined });
  const { page, nextCursor } = pageOf(rows, limit);
  return { data: page.map(toJson), nextCursor };
}
