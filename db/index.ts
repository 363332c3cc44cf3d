import postgres from 'postgres';
import type { Config } from '../config';

export type Sql = postgres.Sql<Record<string, never>>;
export type Tx = postgres.TransactionSql<Record<string, never>>;

/**
 * The one shared connection pool of a process; camelCase rows, `sql.end()` on shutdown. Connections are opened
 * on demand, so the pool recovers by itself when Postgres returns.
 */
export function createSql(config: Pick<Config, 'DATABASE_URL' | 'DATABASE_POOL_MAX'>): Sql {
  return withReservedTransactions(
    postgres(config.DATABASE_URL, {
      max: config.DATABASE_POOL_MAX,
      transform: postgres.camel,
      onnotice: () => undefined,
      // Issue 10: an unreachable server fails a query within seconds (the default waits 30 s)...
      connect_timeout: 2,
      // ...and the wait between failed connection attempts stays short (the default grows to 20 s), so a query
      // during an outage fails fast and the first one after it reconnects at once.
      backoff: (retries: number) => Math.min(0.05 * 2 ** retries, 0.5),
    }) as unknown as Sql,
  );
}

type TxFn = (tx: Tx) => unknown;

/**
 * `sql.begin` on a connection reserved first. postgres 3.4.9's own `begin` can write BEGIN without reserving the
 * connection when that BEGIN fills the connection's pipeline or meets socket backpressure (porsager/postgres#823,
 * #1189; the fix, #1218, is unreleased): under load a create failed with UNSAFE_TRANSACTION, a 500, and the open
 * transaction went back to the pool for other queries to run in. A reserved connection is this transaction's
 * alone until it is released, so its BEGIN and everything after it stay on it. Savepoints nest as in `begin`.
 */
export function withReservedTransactions<S extends Sql>(sql: S): S {
  const begin = async (optionsOrFn: string | TxFn, maybeFn?: TxFn): Promise<unknown> => {
    const [options, fn] = typeof optionsOrFn === 'function' ? ['', optionsOrFn] : [optionsOrFn, maybeFn];
    if (!fn) throw new TypeError('sql.begin needs a function');
    const reserved = await sql.reserve();
    let savepoints = 0;
    const scope = async (body: TxFn, savepoint?: string): Promise<unknown> => {
      await reserved.unsafe(savepoint ? `SAVEPOINT ${savepoint}` : `BEGIN ${options.replace(/[^a-z ]/gi, '')}`);
      try {
        const result = body(tx);
        const value = await (Array.isArray(result) ? Promise.all(result) : result);
        await reserved.unsafe(savepoint ? `RELEASE SAVEPOINT ${savepoint}` : 'COMMIT');
        return value;
      } catch (err) {
        // A broken connection cannot roll back; the server ends its transaction when the connection closes.
        await reserved.unsafe(savepoint ? `ROLLBACK TO SAVEPOINT ${savepoint}` : 'ROLLBACK').catch(() => undefined);
        throw err;
      }
    };
    const tx = Object.assign(reserved, {
      savepoint: (nameOrFn: string | TxFn, maybeBody?: TxFn) => {
        const [name, body] = typeof nameOrFn === 'function' ? ['', nameOrFn] : [nameOrFn, maybeBody];
        if (!body) throw new TypeError('tx.savepoint needs a function');
        return scope(body, `s${savepoints++}${name ? `_${name.replace(/\W/g, '')}` : ''}`);
      },
    }) as unknown as Tx;
    try {
      return await scope(fn);
    } finally {
      reserved.release();
    }
  };
  return Object.assign(sql, { begin }) as S;
}

/** Socket errors and the client's own codes for a server that cannot be reached or went away. */
const CONNECTION_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  // SQLSTATE: shutting down, crashed, starting up; too many connections.
  '57P01',
  '57P02',
  '57P03',
  '53300',
]);

/** Whether `err` says Postgres could not be reached (or is shutting down or starting up), not that a query failed. */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const { code, cause, errors } = err as { code?: unknown; cause?: unknown; errors?: unknown };
  // SQLSTATE class 08: connection exceptions.
  if (typeof code === 'string' && (CONNECTION_ERRORS.has(code) || /^08[0-9A-Z]{3}$/.test(code))) return true;
  // A connection to a host with several addresses fails with an AggregateError of one error per address.
  if (Array.isArray(errors) && errors.some(isDatabaseUnavailable)) return true;
  return cause !== err && isDatabaseUnavailable(cause);
}

/**
 * Runs `fn` in the caller's transaction when given one, else in a transaction of its own: the same write
 * serves a workflow's step alone and the API's create, which commits it only once the lifecycle has started.
 */
export function inTransaction<T>(sql: Sql | Tx, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return 'savepoint' in sql ? fn(sql) : (sql.begin(fn) as Promise<T>);
}
