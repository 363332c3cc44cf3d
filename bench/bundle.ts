import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { bundleWorkflows } from '../worker/bundle';
import { BENCH_BUNDLE_PATH } from './stack';

// Bundled ahead of the benches so webpack's time and memory stay out of their figures.
async function main(): Promise<void> {
  const { code } = await bundleWorkflows();
  await mkdir(path.dirname(BENCH_BUNDLE_PATH), { recursive: true });
  await writeFile(`${BENCH_BUNDLE_PATH}.tmp`, code);
  await rename(`${BENCH_BUNDLE_PATH}.tmp`, BENCH_BUNDLE_PATH);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
