// Issue 11: schemathesis (property-based, from the served OpenAPI document) against the whole engine: the API on
// scripts/test's API_PORT, a worker with the real activities, one reseller user holding every permission. Every
// check is on (`--checks all`): no 5xx, every answer in the document (status, headers, body), every input the
// document allows accepted and every other refused, undeclared methods 405, and the stateful phase following the
// document's links from each create to the operations on what it made. Run by scripts/test after jest (whose
// global setup migrated the database and bundled the workflows); exits with schemathesis's status.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { inviteResellerUser } from '../db/reseller-users';
import { newReseller } from './helpers/fixtures';
import { startStack } from './helpers/stack';

const ROOT = path.join(__dirname, '..');
const SCHEMATHESIS =
  process.env.SCHEMATHESIS_BIN ?? path.join(ROOT, '.cache', 'venv-schemathesis', 'bin', 'schemathesis');
/** The budget on 2 shared cores: examples per operation and the whole run's seconds (stateful included). */
const MAX_EXAMPLES = process.env.SCHEMATHESIS_MAX_EXAMPLES ?? '10';
const MAX_TIME = process.env.SCHEMATHESIS_MAX_TIME ?? '100';
/** Where the run's reports go (scripts/test's TEST_REPORT_DIR); the summary at the end of the test command reads them. */
const REPORT_DIR = path.join(process.env.TEST_REPORT_DIR ?? path.join(ROOT, '.local', 'test-reports'), 'schemathesis');
/**
 * A fixed seed, so the test command gates on the same inputs every run (a failure reproduces; CI does not pass or
 * fail by luck). Exploring: SCHEMATHESIS_SEED=random, or another number; fix what a new seed finds, with a test.
 */
const SEED = process.env.SCHEMATHESIS_SEED ?? '219403263498868374628623384471663963069';

// The limits stay on (their 429s are in the document), high enough that the run tests the API, not the limits.
const UNLIMITED = 1_000_000;

async function main(): Promise<number> {
  const stack = await startStack(
    {
      LOGIN_RATE_LIMIT: UNLIMITED,
      LOGIN_ACCOUNT_RATE_LIMIT: UNLIMITED,
      PUBLIC_PAGE_RATE_LIMIT: UNLIMITED,
      EMAIL_QUOTA_PER_RESELLER_PER_HOUR: UNLIMITED,
      EMAIL_QUOTA_PER_CUSTOMER_PER_DAY: UNLIMITED,
      RESELLER_CHANGE_DAILY_LIMIT: UNLIMITED,
    },
    Number(process.env.API_PORT ?? 0),
  );
  try {
    const user = await newReseller(stack.sql, ['order', 'billing', 'admin', 'support']);
    // Of the same reseller: what could take the caller's permissions or key away acts on it (tools/schemathesis.toml).
    const spare = await inviteResellerUser(stack.sql, {
      id: randomUUID(),
      resellerId: user.resellerId,
      email: `spare-${randomUUID().slice(0, 8)}@reseller.test`,
      name: 'Spare user',
      permissions: ['order'],
      actor: 'system:schemathesis',
    });
    if (spare === 'email_taken') throw new Error('the spare user exists already');
    const args = [
      '--config-file',
      path.join(ROOT, 'tools', 'schemathesis.toml'),
      'run',
      `${stack.baseUrl}/openapi.json`,
      '--checks',
      'all',
      '--max-examples',
      MAX_EXAMPLES,
      '--max-time',
      MAX_TIME,
      '--generation-database',
      'none',
      '--request-timeout',
      '30',
      ...(SEED === 'random' ? [] : ['--seed', SEED]),
      // For the test command's closing summary (test/summary.ts).
      '--report',
      'json',
      '--report-dir',
      REPORT_DIR,
      ...process.argv.slice(2),
    ];
    return await new Promise<number>((resolve, reject) => {
      const env = { ...process.env, SCHEMATHESIS_API_KEY: user.apiKey, SCHEMATHESIS_SPARE_USER_ID: spare.user.id };
      const child = spawn(SCHEMATHESIS, args, { stdio: 'inherit', env });
      child.on('error', reject);
      child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
    });
  } finally {
    await stack.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
