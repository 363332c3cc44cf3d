import type { Sql } from '.';

// Counters of rate limits and quotas, shared by every API instance through Postgres (issue 10).

export interface Hits {
  /** Hits in the current window, this one included. */
  hits: number;
  resetsAt: Date;
}

/**
 * Counts one hit under `key` in a fixed window of `windowMs` that starts with the first hit: one atomic
 * statement, so concurrent requests on any instance each get their own count. A window that is over starts
 * again at this hit.
 */
export async function hitRateLimit(sql: Sql, key: string, windowMs: number): Promise<Hits> {
  const [row] = await sql<Hits[]>`
    INSERT INTO rate_limit_counters AS c (key, hits, window_started_at, resets_at)
    VALUES (${key}, 1, now(), now() + ${`${windowMs} milliseconds`}::interval)
    ON CONFLICT (key) DO UPDATE SET
      hits = CASE WHEN c.resets_at <= now() THEN 1 ELSE c.hits + 1 END,
      window_started_at = CASE WHEN c.resets_at <= now() THEN now() ELSE c.window_started_at END,
      resets_at = CASE WHEN c.resets_at <= now() THEN excluded.resets_at ELSE c.resets_at END
    RETURNING hits, resets_at`;
  if (!row) throw new Error(`rate limit counter ${key} neither inserted nor updated`);
  return row;
}

/** Takes one hit back (a request that turned out not to count), never below zero. */
export async function unhitRateLimit(sql: Sql, key: string): Promise<void> {
  await sql`UPDATE rate_limit_counters SET hits = hits - 1 WHERE key = ${key} AND hits > 0 AND resets_at > now()`;
}

/** The current window of `key`, if one is running. */
export async function findRateLimit(sql: Sql, key: string): Promise<Hits | null> {
  const [row] = await sql<Hits[]>`
    SELECT hits, resets_at FROM rate_limit_counters WHERE key = ${key} AND resets_at > now()`;
  return row ?? null;
}

export async function resetRateLimit(sql: Sql, key: string): Promise<void> {
  await sql`DELETE FROM rate_limit_counters WHERE key = ${key}`;
}

/** Every key that starts with `prefix` (one limit's counters). */
export async function resetRateLimits(sql: Sql, prefix: string): Promise<void> {
  await sql`DELETE FROM rate_limit_counters WHERE starts_with(key, ${prefix})`;
}

/** Forgets windows that are over: they count as zero anyway. */
export async function sweepRateLimits(sql: Sql): Promise<number> {
  const rows = await sql`DELETE FROM rate_limit_counters WHERE resets_at <= now()`;
  return rows.count;
}
