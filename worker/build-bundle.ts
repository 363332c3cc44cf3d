import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BUNDLE_PATH, bundleWorkflows } from './bundle';

// Bundles the workflows ahead of time, so the worker starts without webpack and runs exactly this code.
async function main(): Promise<void> {
  const { code } = await bundleWorkflows();
  await mkdir(path.dirname(BUNDLE_PATH), { recursive: true });
  await writeFile(BUNDLE_PATH, code);
  console.log(
    `workflow bundle written to ${path.relative(process.cwd(), BUNDLE_PATH)} (${(code.length / 1024).toFixed(0)} KiB)`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
