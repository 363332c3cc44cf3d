import express from 'express';
import { pinoHttp } from 'pino-http';
import { durationMs } from '../workflows/duration';
import { billingRoutes } from './billing/routes';
import { customerAdminRoutes } from './customers/admins';
import { customerRoutes } from './customers/routes';
import { healthRoutes } from './health/routes';
import { authenticate } from './http/auth';
import { createApi, methodNotAllowed, openApiDocument } from './http/define-route';
import type { AppDeps } from './http/deps';
import { jsonBody, wellFormedInput } from './http/body-parsers';
import { utcDate } from './http/schemas';
import { errorHandler, notFoundRoute } from './http/errors';
import { noteWorkflowIds, workflowIdProps } from './http/workflow-ids';
import {
  documentRateLimits,
  emailQuotas,
  LOGIN_PATH,
  PUBLIC_PAGE_PREFIXES,
  publicRateLimits,
} from './http/rate-limits';
import { orderRoutes } from './orders/routes';
import { portalPages } from './portal/routes';
import { authenticateContact, contactRoutes } from './pages/contact';
import { invitationPages } from './pages/invitation';
import { licenseActivationPages } from './pages/license-activation';
import { resellerChangePages } from './pages/reseller-change';
import { subscriptionContactPages } from './pages/subscription-contact';
import { purchaseAuthorizationRoutes } from './purchase-authorizations/routes';
import { renewalRoutes } from './renewals/routes';
import { threeYearCommitmentRoutes } from './renewals/three-year-commitment';
import { reportRoutes } from './reports/routes';
import { resellerChangeRoutes } from './reseller-changes/routes';
import { searchRoutes } from './search/routes';
import { subscriptionRoutes } from './subscriptions/routes';
import { supportRoutes } from './support/routes';
import { userSetupPages } from './pages/user-setup';
import { userRoutes } from './users/routes';
import { webhookRoutes } from './webhooks/routes';

export type { AppDeps } from './http/deps';

/** Every resource, each registering its routes and their OpenAPI operations (the tenant matrix reads them too). */
export const RESOURCES = [
  healthRoutes,
  invitationPages,
  licenseActivationPages,
  resellerChangePages,
  subscriptionContactPages,
  userSetupPages,
  contactRoutes,
  customerRoutes,
  customerAdminRoutes,
  subscriptionRoutes,
  resellerChangeRoutes,
  orderRoutes,
  purchaseAuthorizationRoutes,
  renewalRoutes,
  threeYearCommitmentRoutes,
  billingRoutes,
  searchRoutes,
  reportRoutes,
  supportRoutes,
  userRoutes,
  webhookRoutes,
];

/** The HTTP API, apart from `listen` so tests drive it in-process. */
export function createApp(deps: AppDeps): express.Express {
  const { sql, logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  // Which proxies may name the client (X-Forwarded-For): the per-address limits count what req.ip says.
  app.set('trust proxy', deps.config.TRUST_PROXY);
  if (deps.metrics) app.use(deps.metrics.observe);
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
      // The workflow ids the request touched (see http/workflow-ids.ts), read again when its answer is logged.
      customProps: workflowIdProps,
    }),
  );
  app.use(noteWorkflowIds);

  const api = createApi();
  for (const resource of RESOURCES) resource(api, deps);
  // Made once a day: it states the date inputs' ranges as of today, and some move with it (C5's anniversary).
  let served: { day: string; doc: object } | undefined;
  app.get('/openapi.json', (_req, res) => {
    const day = utcDate();
    if (served?.day !== day) {
      const doc = openApiDocument(api);
      documentRateLimits(doc);
      served = { day, doc };
    }
    res.json(served.doc);
  });

  // What whole prefixes share: guessing limits for the public pages, the body parsers and credentials.
  // Counters live in Postgres, so the limits and quotas hold across API instances.
  const limits = publicRateLimits(deps);
  app.use(PUBLIC_PAGE_PREFIXES, limits.pages);
  app.use(LOGIN_PATH, limits.login);
  app.use('/contact', ...jsonBody('20kb'), (_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });
  app.post(LOGIN_PATH, limits.loginPerAccount);
  app.use('/contact/v1', authenticateContact(sql));
  app.use(
    '/v1',
    ...jsonBody('100kb'),
    authenticate(sql, {
      cacheTtlMs: durationMs(deps.config.API_KEY_CACHE_TTL),
      cacheMax: deps.config.API_KEY_CACHE_MAX,
    }),
  );
  for (const quota of emailQuotas(deps)) app.post(quota.path, ...quota.handlers);
  // Query strings everywhere (bodies are checked by their parsers): no NUL, no lone surrogate.
  app.use(wellFormedInput);
  // Issue 12: the reference overview page, static files that call the API above like any portal backend.
  portalPages(app, deps);
  app.use(api.router);
  app.use(methodNotAllowed(api));

  app.use(notFoundRoute);
  app.use(errorHandler);
  return app;
}
