import express from 'express';
import { pinoHttp } from 'pino-http';
import type { Logger } from 'pino';
import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import type { Sql } from '../db';
import { authenticate } from './auth';
import { errorHandler, notFoundRoute } from './errors';
import { buildOpenApiDocument } from './openapi';
import { customersRouter } from './routes/customers';
import { invitationPageRouter } from './routes/invitation-page';

export interface AppDeps {
  sql: Sql;
  temporal: Client;
  config: Config;
  logger: Logger;
}

/** The HTTP API, apart from `listen` so tests drive it in-process. */
export function createApp(deps: AppDeps): express.Express {
  const { sql, temporal, logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(pinoHttp({ logger, redact: ['req.headers.authorization', 'req.query.token'], autoLogging: { ignore: (req) => req.url === '/healthz' } }));

  const openapi = buildOpenApiDocument();
  app.get('/openapi.json', (_req, res) => res.json(openapi));

  app.get('/healthz', async (_req, res) => {
    const check = async (probe: () => Promise<unknown>) => {
      try {
        await Promise.race([probe(), new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 2000))]);
        return 'ok';
      } catch (err) {
        return `down: ${(err as Error).message}`;
      }
    };
    const [postgres, temporalStatus] = await Promise.all([
      check(() => sql`SELECT 1`),
      check(() => temporal.connection.workflowService.getSystemInfo({})),
    ]);
    const ok = postgres === 'ok' && temporalStatus === 'ok';
    res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'degraded', postgres, temporal: temporalStatus });
  });

  app.use('/invitations', invitationPageRouter(deps));

  app.use('/v1', express.json({ limit: '100kb' }), authenticate(sql));
  app.use('/v1/customers', customersRouter(deps));

  app.use(notFoundRoute);
  app.use(errorHandler);
  return app;
}
