import { loadConfig } from '../config';
import { createSql } from '.';
import { issueApiKey } from './api-keys';
import { loadCatalog } from './catalog';

// The demo reseller of scripts/start: fixed ids so re-running the seed finds it; new keys each run.
const DEMO_RESELLER_ID = '00000000-0000-4000-8000-000000000001';
const DEMO_USER_ID = '00000000-0000-4000-8000-000000000002';
// T4: the operators' own row; its users hold `support` and see every tenant's incidents, nothing else.
const OPERATOR_ID = '00000000-0000-4000-8000-000000000010';
const SUPPORT_USER_ID = '00000000-0000-4000-8000-000000000011';

async function main(): Promise<void> {
  const sql = createSql(loadConfig());
  try {
    await sql.begin(async (tx) => {
      await tx`INSERT INTO resellers (id, name) VALUES (${DEMO_RESELLER_ID}, 'Demo Reseller Ltd') ON CONFLICT (id) DO NOTHING`;
      await tx`INSERT INTO reseller_users (id, reseller_id, email, name, permissions)
               VALUES (${DEMO_USER_ID}, ${DEMO_RESELLER_ID}, 'owner@demo-reseller.example', 'Dana Demo', ${['order', 'billing', 'admin']})
               ON CONFLICT (id) DO NOTHING`;
      await tx`INSERT INTO resellers (id, name) VALUES (${OPERATOR_ID}, 'Engine operators') ON CONFLICT (id) DO NOTHING`;
      await tx`INSERT INTO reseller_users (id, reseller_id, email, name, permissions)
               VALUES (${SUPPORT_USER_ID}, ${OPERATOR_ID}, 'support@operator.example', 'Sam Support', ${['support']})
               ON CONFLICT (id) DO NOTHING`;
    });
    await loadCatalog(sql);
    // Two keys on one line, for scripts/start: the demo reseller's, then the support user's (T4).
    process.stdout.write(`${await issueApiKey(sql, DEMO_USER_ID)} ${await issueApiKey(sql, SUPPORT_USER_ID)}`);
  } finally {
    await sql.end();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
