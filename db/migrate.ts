import path from 'node:path';
import postgres from 'postgres';
import { loadConfig } from '../config';

/** Applies db/migrations/NNNNN_*.sql in order with postgres-shift; each runs once, in one transaction. */
export async function migrate(databaseUrl: string, log: (line: string) => void = () => undefined): Promise<void> {
  // postgres-shift is an ES module; this project compiles to CommonJS.
  const { default: shift } = (await import('postgres-shift')) as {
    default: (opts: {
      sql: postgres.Sql;
      path: string;
      after?: (m: { migration_id: number; name: string }) => void;
    }) => Promise<void>;
  };
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => undefined });
  try {
    await shift({
      sql,
      path: path.join(__dirname, 'migrations'),
      after: (m) => log(`applied migration ${m.migration_id} ${m.name}`),
    });
  } finally {
    await sql.end();
  }
}

if (require.main === module) {
  const config = loadConfig();
  migrate(config.DATABASE_URL, (line) => console.log(line)).catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
