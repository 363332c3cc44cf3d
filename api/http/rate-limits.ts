import type { Request, RequestHandler } from 'express';
import { type Options, rateLimit, type Store } from 'express-rate-limit';
import type { Logger } from 'pino';
import type { Config } from '../../config';
import type { Sql } from '../../db';
import {
  findRateLimit,
  hitRateLimit,
  resetRateLimit,
  resetRateLimits,
  sweepRateLimits,
  unhitRateLimit,
} from '../../db/rate-limits';
import { durationMs } from '../../workflows/duration';
import { HttpError } from './errors';

// Limits on what anyone can reach (sign-in, the pages behind emailed links) and quotas on what sends email,
// counted in Postgres so they hold across API instances (issue 10).

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** How often a process forgets windows that are over (they count as zero anyway). */
const SWEEP_EVERY_MS = 10 * 60_000;
const nextSweep = new WeakMap<Sql, number>();

/** express-rate-limit's Store on Postgres: one counter row per key, shared by every instance on the database. */
export class PostgresRateLimitStore implements Store {
  readonly localKeys = false;
  private windowMs = 60_000;

  constructor(
    private readonly sql: Sql,
    /** Names the limit, so two limits never share a counter. */
    readonly prefix: string,
  ) {}

  init(options: Options): void {
    this.windowMs = options.windowMs;
  }

  async increment(key: string) {
    const { hits, resetsAt } = await hitRateLimit(this.sql, this.prefix + key, this.windowMs);
    this.sweepNowAndThen();
    return { totalHits: hits, resetTime: resetsAt };
  }

  async get(key: string) {
    const found = await findRateLimit(this.sql, this.prefix + key);
    return found ? { totalHits: found.hits, resetTime: found.resetsAt } : undefined;
  }

  async decrement(key: string): Promise<void> {
    await unhitRateLimit(this.sql, this.prefix + key);
  }

  async resetKey(key: string): Promise<void> {
    await resetRateLimit(this.sql, this.prefix + key);
  }

  async resetAll(): Promise<void> {
    await resetRateLimits(this.sql, this.prefix);
  }

  private sweepNowAndThen(): void {
    const now = Date.now();
    if (now < (nextSweep.get(this.sql) ?? 0)) return;
    nextSweep.set(this.sql, now + SWEEP_EVERY_MS);
    // Housekeeping only: a failed sweep is retried at the next one.
    sweepRateLimits(this.sql).catch(() => undefined);
  }
}

interface Limit {
  /** Names the counter (with the key) in the shared store. */
  name: string;
  windowMs: number;
  limit: number;
  /** The 429's stable code and its message. */
  code: string;
  message: string;
  /** Who is counted; undefined: this request is not counted (its input is malformed and will be refused). */
  key?: (req: Request) => string | undefined;
  /** Count only refused requests (sign-in failures), or only those that went through (emails started). */
  count?: 'failures' | 'successes';
}

/** Seconds until the window of the request's counter is over. */
const retryAfterSeconds = (req: Request): number => {
  const resetTime = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
  return Math.max(Math.ceil(((resetTime?.getTime() ?? Date.now()) - Date.now()) / 1000), 1);
};

/** One limit on the shared store; over it, a 429 with Retry-After and the limit's code (X4's shape). */
function limiter(sql: Sql, logger: Pick<Logger, 'error' | 'warn'>, l: Limit): RequestHandler {
  const key = l.key;
  return rateLimit({
    windowMs: l.windowMs,
    limit: l.limit,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    identifier: l.name,
    store: new PostgresRateLimitStore(sql, `${l.name}:`),
    // Fail closed: a counter that cannot be read is not a licence to go on.
    passOnStoreError: false,
    logger: {
      error: (err, message) => logger.error({ err }, message ?? 'rate limit'),
      warn: (err, message) => logger.warn({ err }, message ?? 'rate limit'),
    },
    ...(key
      ? {
          skip: (req: Request) => key(req) === undefined,
          keyGenerator: (req: Request) => key(req) as string,
        }
      : {}),
    skipSuccessfulRequests: l.count === 'failures',
    skipFailedRequests: l.count === 'successes',
    handler: (req, _res, next) =>
      next(new HttpError(429, l.code, l.message, undefined, { 'Retry-After': String(retryAfterSeconds(req)) })),
  });
}

type Deps = { sql: Sql; config: Config; logger: Pick<Logger, 'error' | 'warn'> };

/** A string field of the JSON body, trimmed; undefined when absent or not a string. */
const field = (req: Request, ...path: string[]): string | undefined => {
  let v: unknown = req.body;
  for (const p of path) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[p] : undefined;
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
};

/**
 * Guessing limits for what anyone on the internet can reach: contact sign-in and the pages behind emailed
 * links, per client address (`req.ip`, which honours TRUST_PROXY); sign-in also per account, so spreading the
 * guesses over many addresses does not help.
 */
export function publicRateLimits({ sql, config, logger }: Deps) {
  const windowMs = durationMs(config.RATE_LIMIT_WINDOW);
  const code = 'too_many_requests';
  return {
    login: limiter(sql, logger, {
      name: 'login:address',
      windowMs,
      limit: config.LOGIN_RATE_LIMIT,
      code,
      message: 'Too many sign-in attempts; try again later.',
    }),
    /** After the body is parsed: the email signing in. Failed attempts count, so the owner's own sign-ins do not. */
    loginPerAccount: limiter(sql, logger, {
      name: 'login:account',
      windowMs,
      limit: config.LOGIN_ACCOUNT_RATE_LIMIT,
      code,
      message: 'Too many failed sign-in attempts for this account; try again later.',
      key: (req) => field(req, 'email')?.toLowerCase(),
      count: 'failures',
    }),
    pages: limiter(sql, logger, {
      name: 'pages:address',
      windowMs,
      limit: config.PUBLIC_PAGE_RATE_LIMIT,
      code,
      message: 'Too many requests; try again later.',
    }),
  };
}

/** An endpoint that starts an email to someone outside the reseller, and which customer the email is about. */
interface EmailSendingRoute {
  /** The Express path (after the /v1 parsers and authentication). */
  path: string;
  /** The OpenAPI path, where the 429 is documented. */
  operation: string;
  /** The customer (or would-be customer) the email goes to; undefined when the body does not say (a 400 follows). */
  customer?: (req: Request) => string | undefined;
  /** Whether this request sends an email at all (a subscription without a contact sends none). */
  sendsEmail?: (req: Request) => boolean;
}

const email = (req: Request, ...path: string[]) => {
  const value = field(req, ...path);
  return value === undefined ? undefined : `email:${value.toLowerCase()}`;
};

/** Every endpoint whose lifecycle emails a customer's contacts as the request's direct outcome. */
export const EMAIL_SENDING_ROUTES: readonly EmailSendingRoute[] = [
  // C2: the invitation, to a customer that exists from this request on: counted by its contact's address.
  { path: '/v1/customers', operation: '/v1/customers', customer: (req) => email(req, 'contact', 'email') },
  // C3: a reminder, optionally to a corrected address.
  {
    path: '/v1/customers/:id/invitation/reminders',
    operation: '/v1/customers/{id}/invitation/reminders',
    customer: (req) => `customer:${req.params.id}`,
  },
  // O4: the license activation email of an order or a trial.
  {
    path: '/v1/orders',
    operation: '/v1/orders',
    customer: (req) => (field(req, 'customerId') ? `customer:${field(req, 'customerId')}` : undefined),
  },
  // E2: the contact's invitation, sent only when the customer edits signatures.
  {
    path: '/v1/subscriptions',
    operation: '/v1/subscriptions',
    customer: (req) =>
      field(req, 'customerId') ? `customer:${field(req, 'customerId')}` : email(req, 'contact', 'email'),
    sendsEmail: (req) =>
      (req.body as { customerCanEditSignatures?: unknown } | undefined)?.customerCanEditSignatures === true,
  },
  // E2: the contact's invitation again, once the first link expired.
  {
    path: '/v1/subscriptions/:id/contact-invitations',
    operation: '/v1/subscriptions/{id}/contact-invitations',
    customer: (req) => `subscription:${req.params.id}`,
  },
  // X1: the code, to every admin of the customer with this VIP id (X4 limits the codes a day besides).
  {
    path: '/v1/reseller-changes',
    operation: '/v1/reseller-changes',
    customer: (req) => (field(req, 'vipId') ? `vip:${field(req, 'vipId')?.toUpperCase()}` : undefined),
  },
  { path: '/v1/reseller-changes/:id/resend', operation: '/v1/reseller-changes/{id}/resend' },
  // T2: a new reseller user's account set-up link.
  { path: '/v1/users', operation: '/v1/users' },
];

/**
 * Quotas on the endpoints that send email, so a stolen key cannot spam from the platform's domain: per reseller
 * per hour, and per customer per day. Only requests that went through count (a refused one sent nothing).
 * Mounted after authentication; the route itself checks the permission and the input.
 */
export function emailQuotas({ sql, config, logger }: Deps): { path: string; handlers: RequestHandler[] }[] {
  const resellerOf = (req: Request) => req.principal?.resellerId;
  const perReseller = limiter(sql, logger, {
    name: 'quota:email:reseller',
    windowMs: HOUR_MS,
    limit: config.EMAIL_QUOTA_PER_RESELLER_PER_HOUR,
    code: 'reseller_email_quota_exceeded',
    message: `A reseller may send at most ${config.EMAIL_QUOTA_PER_RESELLER_PER_HOUR} emails an hour; try again later.`,
    key: resellerOf,
    count: 'successes',
  });
  return EMAIL_SENDING_ROUTES.map((route) => {
    const sends = route.sendsEmail ?? (() => true);
    const onlyWhenSending =
      (handler: RequestHandler): RequestHandler =>
      (req, res, next) =>
        sends(req) ? handler(req, res, next) : next();
    const customer = route.customer;
    const perCustomer =
      customer &&
      limiter(sql, logger, {
        name: 'quota:email:customer',
        windowMs: DAY_MS,
        limit: config.EMAIL_QUOTA_PER_CUSTOMER_PER_DAY,
        code: 'customer_email_quota_exceeded',
        message: `At most ${config.EMAIL_QUOTA_PER_CUSTOMER_PER_DAY} emails a day may go to one customer; try again later.`,
        // Scoped to the reseller: one tenant's requests never use up another's quota.
        key: (req) => {
          const who = customer(req);
          const reseller = resellerOf(req);
          return who && reseller ? `${reseller}:${who}` : undefined;
        },
        count: 'successes',
      });
    return {
      path: route.path,
      handlers: [perReseller, ...(perCustomer ? [perCustomer] : [])].map(onlyWhenSending),
    };
  });
}

/** The pages behind emailed links, limited per client address. */
export const PUBLIC_PAGE_PREFIXES = [
  '/invitations',
  '/licenses',
  '/reseller-change',
  '/subscription-contact',
  '/users',
];
/** Contact sign-in, limited per address and per account. */
export const LOGIN_PATH = '/contact/login';

const TOO_MANY = { content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };

/** The 429 every limit and quota answers, in the OpenAPI document of each operation it guards. */
export function documentRateLimits(doc: {
  paths?: Record<string, Record<string, { responses?: Record<string, unknown> }>>;
}): void {
  const document = (path: string, method: string, description: string) => {
    const responses = doc.paths?.[path]?.[method]?.responses;
    if (responses && !responses['429']) responses['429'] = { description, ...TOO_MANY };
  };
  for (const route of EMAIL_SENDING_ROUTES) {
    const quota = 'An email quota is used up (per reseller per hour, per customer per day); see Retry-After';
    document(route.operation, 'post', quota);
  }
  for (const [path, methods] of Object.entries(doc.paths ?? {})) {
    const limited = path === LOGIN_PATH || PUBLIC_PAGE_PREFIXES.some((p) => path === p || path.startsWith(`${p}/`));
    if (!limited) continue;
    for (const method of Object.keys(methods))
      document(path, method, 'Too many requests from this address; see Retry-After');
  }
}
