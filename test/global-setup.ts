import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { migrate } from '../db/migrate';
import { loadConfig } from '../config';
import { bundleWorkflows } from '../worker/bundle';
import { TEST_BUNDLE_PATH } from './helpers/temporal';

// Runs once before all suites: the schema is current and the workflows are bundled once for every worker.
export default async function globalSetup(): Promise<void> {
  await migrate(loadConfig().DATABASE_URL);
  const { code } = await bundleWorkflows();
  await mkdir(path.dirname(TEST_BUNDLE_PATH), { recursive: true });
  await writeFile(TEST_BUNDLE_PATH, code);
}
