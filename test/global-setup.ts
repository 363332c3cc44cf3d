import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { migrate } from '../db/migrate';
import { createSql } from '../db';
import { loadCatalog } from '../db/catalog';
import { resetRateLimits } from '../db/rate-limits';
import { loadConfig } from '../config';
import { bundleWorkflows } from '../worker/bundle';
import { TEST_BUNDLE_PATH } from './helpers/temporal';

// Runs once before all suites: the schema is current and the workflows are bundled once for every worker.
export default async function globalSetup(): Promise<void> {
  const config = loadConfig();
  await migrate(config.DATABASE_URL);
  const sql = createSql({ ...config, DATABASE_POOL_MAX: 1 });
  await loadCatalog(sql);
  // Rate-limit counters live in the database (issue 10): each run starts from zero, so the tests of an earlier
  // run (all from 127.0.0.1) do not count against this one's.
  await resetRateLimits(sql, '');
  await sql.end();
  const { code } = await bundleWorkflows();
  await mkdir(path.dirname(TEST_BUNDLE_PATH), { recursive: true });
  await writeFile(TEST_BUNDLE_PATH, code);
}
