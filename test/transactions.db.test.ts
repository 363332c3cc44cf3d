// Transactions through db/index.ts withReservedTransactions, which serves every `sql.begin` of the engine: each
// transaction alone on a reserved connection, even with every connection busy and plain queries and transactions
// issued all at once (the shape of porsager/postgres#823's reproduction), rolled back on failure, savepoints alone.
// postgres 3.4.9's own begin can send BEGIN on a connection it did not reserve when pipelines fill: a create failed
// with UNSAFE_TRANSACTION at 50 creates a second. This scenario does not trigger that race on every machine; the
// create bench does (LOG_LEVEL=error prints it), and this holds the replacement to begin's contract.
import postgres from 'postgres';
import { loadConfig } from '../config';
import { type Sql, withReservedTransactions } from '../db';

const config = loadConfig();
// A small pool with short pipelines, so BEGIN meets a full pipeline as it does under load with the default ones.
const sql = withReservedTransactions(
  // max_pipeline is an option the client reads but its types omit.
  postgres(config.DATABASE_URL, {
    max: 3,
    onnotice: () => undefined,
    ...({ max_pipeline: 2 } as object),
  }) as unknown as Sql,
);
afterAll(() => sql.end({ timeout: 5 }));

const xid = async (s: Sql) => (await s<{ xid: string }[]>`SELECT txid_current()::text AS xid`)[0]!.xid;
// Every transaction below takes an xid first: a plain query that sees one assigned runs inside another's.
const inTransaction = async (s: Sql) =>
  (await s<{ open: boolean }[]>`SELECT txid_current_if_assigned() IS NOT NULL AS open`)[0]!.open;

describe('transactions while every connection is busy', () => {
  it('each transaction runs alone on its connection: no UNSAFE_TRANSACTION, no query of another inside it', async () => {
    for (let round = 0; round < 8; round++) {
      const busy = [1, 2, 3].map(() => sql`SELECT pg_sleep(0.3)`);
      const plain = Array.from({ length: 6 }, () => inTransaction(sql));
      const transactions = Array.from({ length: 5 }, () =>
        sql.begin(async (tx) => {
          const first = await xid(tx as unknown as Sql);
          await tx`SELECT pg_sleep(0.01)`;
          return [first, await xid(tx as unknown as Sql)];
        }),
      );
      const [, plainOpen, xids] = await Promise.all([Promise.all(busy), Promise.all(plain), Promise.all(transactions)]);
      // A plain query never finds itself inside someone's transaction.
      expect(plainOpen).toEqual([false, false, false, false, false, false]);
      // Both statements of a transaction in one transaction, and each transaction its own.
      for (const [a, b] of xids as string[][]) expect(a).toBe(b);
      expect(new Set((xids as string[][]).map(([a]) => a)).size).toBe(5);
    }
  });

  it('a failure rolls back, and a savepoint rolls back alone', async () => {
    const table = `tx_probe_${process.pid}`;
    await sql.unsafe(`CREATE TABLE IF NOT EXISTS ${table} (n int)`);
    try {
      await expect(
        sql.begin(async (tx) => {
          await tx.unsafe(`INSERT INTO ${table} VALUES (1)`);
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      await sql.begin(async (tx) => {
        await tx.unsafe(`INSERT INTO ${table} VALUES (2)`);
        await tx
          .savepoint(async (sp) => {
            await sp.unsafe(`INSERT INTO ${table} VALUES (3)`);
            throw new Error('inner');
          })
          .catch(() => undefined);
      });
      const rows = await sql.unsafe<{ n: number }[]>(`SELECT n FROM ${table} ORDER BY n`);
      expect(rows.map((r) => r.n)).toEqual([2]);
    } finally {
      await sql.unsafe(`DROP TABLE ${table}`);
    }
  });
});

// Issue 11's soak: Postgres restarted while a create's transaction waited on Temporal, and the API died: the
// transaction's next statement went to a reserved connection whose server had gone, and postgres 3.4.9 wrote it to
// a socket it had already dropped, from a setImmediate no caller can catch (porsager/postgres#1154, #1208; fixed
// here by patches/postgres+3.4.9.patch until a release carries it). The statement must fail like any other on a
// closed connection, the transaction with it, and the pool must serve the next one.
describe('a transaction whose connection the server closes', () => {
  it('fails with CONNECTION_CLOSED (never an uncaught error), and the next transaction runs', async () => {
    const killer = postgres(config.DATABASE_URL, { max: 1, onnotice: () => undefined });
    const uncaught: Error[] = [];
    const onUncaught = (err: Error) => uncaught.push(err);
    process.prependListener('uncaughtException', onUncaught);
    try {
      for (let round = 0; round < 3; round++) {
        const failed = await sql
          .begin(async (tx) => {
            const [{ pid }] = (await tx`SELECT pg_backend_pid() AS pid`) as unknown as [{ pid: number }];
            await killer`SELECT pg_terminate_backend(${pid})`;
            await new Promise((r) => setTimeout(r, 50));
            await tx`SELECT 1`;
          })
          .then(
            () => null,
            (err: Error & { code?: string }) => err.code ?? err.message,
          );
        expect(failed).toMatch(/CONNECTION_CLOSED|CONNECTION_DESTROYED|57P01|terminat/);
        await new Promise((r) => setImmediate(r));
        expect(uncaught).toEqual([]);
        expect(await sql.begin(async (tx) => (await tx`SELECT 2 AS n`)[0])).toEqual({ n: 2 });
      }
    } finally {
      process.removeListener('uncaughtException', onUncaught);
      await killer.end({ timeout: 5 });
    }
  });
});
