import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Config } from '../../config';
import type { Sql } from '../../db';
import type { HttpMetrics } from './metrics';

/** What every resource's routes are built from. */
export interface AppDeps {
  sql: Sql;
  temporal: Client;
  config: Config;
  logger: Logger;
  /** Where requests are counted and timed; without it, nowhere (tests that do not look). */
  metrics?: HttpMetrics;
}
