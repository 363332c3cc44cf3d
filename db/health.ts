import type { Sql } from '.';

/** Whether Postgres answers a query. */
export async function pingDatabase(sql: Sql): Promise<void> {
  await sql`SELECT 1`;
}
