import pino from 'pino';
import { ConfigError, loadConfig } from '../config';
import { createSql } from '../db';
import { createApp } from './app';
import { createHttpMetrics, serveMetrics } from './http/metrics';
import { createTemporalClient } from './temporal';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = pino({ level: config.LOG_LEVEL, base: { service: 'api' } });
  const sql = createSql(config);
  const temporal = await createTemporalClient(config);
  const metrics = createHttpMetrics();
  const server = createApp({ sql, temporal, config, logger, metrics }).listen(config.API_PORT, () => {
    logger.info({ port: config.API_PORT }, 'API listening');
  });
  const metricsServer = await serveMetrics(metrics.registry, config.API_METRICS_PORT, config.METRICS_HOST);
  logger.info({ port: config.API_METRICS_PORT, host: config.METRICS_HOST }, 'API metrics at /metrics');

  const shutdown = (signal: string) => {
    logger.info({ signal }, 'API stopping');
    metricsServer.close();
    server.close(async () => {
      await temporal.connection.close();
      await sql.end({ timeout: 5 });
      process.exit(0);
    });
    server.closeIdleConnections();
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err) => {
  // A bad configuration is the operator's to fix: its message names each variable; a stack trace adds nothing.
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
