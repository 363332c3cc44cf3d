import { loadConfig, type Config } from '../../config';
import { createSql, type Sql } from '../../db';
import { Mailbox } from './mailbox';

/** The configuration scripts/test exports (test database, mail catcher ports, short durations). */
export function testContext(): { config: Config; sql: Sql; mailbox: Mailbox } {
  const config = loadConfig();
  return { config, sql: createSql({ ...config, DATABASE_POOL_MAX: 5 }), mailbox: Mailbox.fromConfig(config) };
}
