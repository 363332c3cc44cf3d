import postgres from 'postgres';
import type { Config } from '../config';

export type Sql = postgres.Sql<Record<string, never>>;
export type Tx = postgres.TransactionSql<Record<string, never>>;

/** The one shared connection pool of a process; camelCase rows, `sql.end()` on shutdown. */
export function createSql(config: Pick<Config, 'DATABASE_URL' | 'DATABASE_POOL_MAX'>): Sql {
  return postgres(config.DATABASE_URL, {
    max: config.DATABASE_POOL_MAX,
    transform: postgres.camel,
    onnotice: () => undefined,
  }) as unknown as Sql;
}

/**
 * Runs `fn` in the caller's transaction when given one, else in a transaction of its own: the same write
 * serves a workflow's step alone and the API's create, which commits it only once the lifecycle has started.
 */
export function inTransaction<T>(sql: Sql | Tx, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return 'savepoint' in sql ? fn(sql) : (sql.begin(fn) as Promise<T>);
}
