import express from 'express';
import { pinoHttp } from 'pino-http';
import type { Logger } from 'pino';
import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import type { Sql } from '../db';
import { authenticate } from './auth';
import { publicRateLimits } from './rate-limits';
import { errorHandler, notFoundRoute } from './errors';
import { buildOpenApiDocument } from './openapi';
import { billingRouter, paymentWebhookRouter } from './routes/billing';
import { contactRouter } from './routes/contact';
import { customerExportRouter, customersRouter } from './routes/customers';
import { invitationPageRouter } from './routes/invitation-page';
import { licenseActivationPageRouter } from './routes/license-activation-page';
import { ordersRouter } from './routes/orders';
import { authorizationsRouter } from './routes/authorizations';
import { renewalsRouter } from './routes/renewals';
import { resellerChangePageRouter } from './routes/reseller-change-page';
import { resellerChangesRouter } from './routes/reseller-changes';
import { subscriptionContactPageRouter } from './routes/subscription-contact-page';
import { searchRouter } from './routes/search';
import { subscriptionsRouter } from './routes/subscriptions';

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
  app.use(
    pinoHttp({
      logger,
      // Links carry tokens and codes in their query strings: log the path only, and never the API key.
      serializers: {
        req: (req: { id: unknown; method: string; url: string }) => ({
          id: req.id,
          method: req.method,
          path: req.url.split('?')[0],
        }),
      },
      autoLogging: { ignore: (req) => req.url === '/healthz' },
    }),
  );

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

  const limits = publicRateLimits(deps.config);
  app.use(['/invitations', '/licenses', '/reseller-change', '/subscription-contact'], limits.pages);
  app.use('/contact/login', limits.login);
  app.use('/invitations', invitationPageRouter(deps));
  app.use('/licenses', licenseActivationPageRouter(deps));
  app.use('/reseller-change', resellerChangePageRouter(deps));

  app.use('/contact', contactRouter(deps));
  app.use('/subscription-contact', subscriptionContactPageRouter(deps));

  app.use('/webhooks/payments', paymentWebhookRouter(deps));
  app.use('/v1', express.json({ limit: '100kb' }), authenticate(sql));
  app.use('/v1', customerExportRouter(deps));
  app.use('/v1/customers', customersRouter(deps));
  app.use('/v1/subscriptions', subscriptionsRouter(deps));
  app.use('/v1/reseller-changes', resellerChangesRouter(deps));
  app.use('/v1/orders', ordersRouter(deps));
  app.use('/v1/purchase-authorizations', authorizationsRouter(deps));
  app.use('/v1/renewals', renewalsRouter(deps));
  app.use('/v1', billingRouter(deps));
  app.use('/v1/search', searchRouter(deps));

  app.use(notFoundRoute);
  app.use(errorHandler);
  return app;
}
