import { isIP } from 'node:net';
import { z } from 'zod';
import { durationMs } from '../workflows/duration';

// The one place that reads process.env. Defaults describe the local stack started by scripts/start.

/** The development defaults of the secrets: fine on a laptop, public in the repository, refused in production. */
const DEV_TOKEN_SECRET = 'dev-only-token-secret-change-me';
const DEV_PAYMENT_WEBHOOK_SECRET = 'dev-only-payment-webhook-secret';
/** Every secret the repository has ever shipped as a default (here, docker-compose.yml, the docs). */
const KNOWN_DEFAULT_SECRETS = new Set([
  DEV_TOKEN_SECRET,
  DEV_PAYMENT_WEBHOOK_SECRET,
  'change-me-in-production-please',
  'dev-only-payment-webhook-secret-change-me',
  'postgres',
  'temporal',
]);
/** An HMAC key shorter than its hash (SHA-256) is weaker than it; guessable ones are worse. */
export const SECRET_MIN_BYTES = 32;

const SET_ONE = `set a random secret of at least ${SECRET_MIN_BYTES} bytes (openssl rand -hex 32)`;

/** Why `value` cannot be a production secret, or null when it can. Unset, a secret with a default gets it. */
function secretProblem(value: string | undefined): string | null {
  if (!value) return `is not set: ${SET_ONE}`;
  if (KNOWN_DEFAULT_SECRETS.has(value))
    return `is not set or is a development default, public in the repository: ${SET_ONE}`;
  if (Buffer.byteLength(value) < SECRET_MIN_BYTES) return `is shorter than ${SECRET_MIN_BYTES} bytes: ${SET_ONE}`;
  return null;
}

/** localhost, 127.0.0.0/8, ::1, the unspecified addresses: where the mail catcher listens, not a relay. */
function isLoopback(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.') || h === '0.0.0.0';
  if (isIP(h) === 6) return h === '::1' || h === '::' || /^::ffff:127\./.test(h) || h === '0:0:0:0:0:0:0:1';
  return false;
}

function urlPassword(url: string): string {
  const password = new URL(url).password;
  try {
    return decodeURIComponent(password);
  } catch {
    return password;
  }
}

const duration = z.string().refine((s) => {
  try {
    return durationMs(s) > 0;
  } catch {
    return false;
  }
}, 'a duration such as "72 hours" or "3d"');

const durationList = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
  )
  .pipe(z.array(duration));

const schema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  DATABASE_URL: z.string().url().default('postgres://postgres@127.0.0.1:54329/reseller'),
  DATABASE_POOL_MAX: z.coerce.number().int().positive().default(10),

  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TASK_QUEUE: z.string().default('provisioning'),
  TEMPORAL_UI_URL: z.string().url().default('http://127.0.0.1:8233'),
  // The worker's prebuilt workflow bundle; unset, dist/workflow-bundle.js (npm run bundle). Benches keep their own.
  WORKFLOW_BUNDLE_PATH: z.string().min(1).optional(),
  // Workflows the worker keeps in memory between tasks (its sticky cache); one evicted is replayed from its
  // history at its next task. The SDK's default grows with the heap limit (some 2,000 on a 4 GB heap); an open
  // lifecycle sleeps for days, so a small cache loses little. With 10k open invitations (bench open-lifecycles)
  // 500 ended at 431 MiB RSS (peak 555), 250 at 374 MiB (peak 527): the peak is mostly garbage awaiting GC.
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).default(250),
  // Workflow tasks run at once (the SDK's default, 40); at most WORKER_MAX_CACHED_WORKFLOWS.
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: z.coerce.number().int().positive().default(40),

  SMTP_HOST: z.string().default('127.0.0.1'),
  SMTP_PORT: z.coerce.number().int().positive().default(1025),
  SMTP_SECURE: z.stringbool().default(false),
  SMTP_USER: z.string().optional(),
  SMTP_PASSWORD: z.string().optional(),
  // The mail catcher's web inbox and HTTP API (dev and tests only).
  MAIL_CATCHER_URL: z.string().url().default('http://127.0.0.1:8025'),
  MAIL_FROM: z.string().default('Reseller Portal <no-reply@reseller.example>'),

  API_PORT: z.coerce.number().int().positive().default(3000),
  // Prometheus metrics (issue 11), each process on a port of its own at /metrics, apart from the API's so it is
  // never published with it: the API's requests by route and status, and the worker's (the Temporal SDK's own and
  // the lifecycle counters). METRICS_HOST is where both listen: loopback here, every interface in a container,
  // whose port compose leaves unpublished for Prometheus to scrape on the stack's network.
  // 0: a free port the system picks, for processes started beside others (benches, a second worker).
  API_METRICS_PORT: z.coerce.number().int().nonnegative().default(9464),
  WORKER_METRICS_PORT: z.coerce.number().int().nonnegative().default(9465),
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  // T1: how long the API trusts a looked-up API key before asking Postgres again, so a revoked key is refused
  // within this time; "0" looks every request up. At most API_KEY_CACHE_MAX keys are kept.
  API_KEY_CACHE_TTL: z
    .string()
    .refine((s) => {
      try {
        durationMs(s);
        return true;
      } catch {
        return false;
      }
    }, 'a duration such as "5 seconds", or "0"')
    .default('5 seconds'),
  API_KEY_CACHE_MAX: z.coerce.number().int().positive().default(10_000),
  // Links in emails point here: the public pages (invitation acceptance) are served by the API.
  PUBLIC_BASE_URL: z.string().url().default('http://localhost:3000'),
  // Keys the stored hashes of reseller-change codes (X2: 50 bits, searchable from a leaked table if plainly hashed);
  // production refuses the default. Emailed links carry random tokens, stored hashed.
  TOKEN_SECRET: z.string().min(16).default(DEV_TOKEN_SECRET),

  // Lifecycle durations (DOMAIN.md C2-C3): when reminders go out after the invitation, and how long a link lives.
  INVITATION_REMINDERS: durationList.default(['3 days', '7 days', '14 days']),
  INVITATION_LINK_TTL: duration.default('30 days'),

  // Reseller change (DOMAIN.md X2, X4): how long a code lives, codes per reseller per day, wrong codes per request.
  RESELLER_CHANGE_CODE_TTL: duration.default('72 hours'),
  RESELLER_CHANGE_DAILY_LIMIT: z.coerce.number().int().positive().default(5),
  RESELLER_CHANGE_MAX_ATTEMPTS: z.coerce.number().int().positive().default(5),

  // Per-user subscriptions (DOMAIN.md E2, T3): how long the contact's setup link and a contact's session live.
  SUBSCRIPTION_CONTACT_LINK_TTL: duration.default('14 days'),
  CONTACT_SESSION_TTL: duration.default('12 hours'),
  // Reseller users (DOMAIN.md T2, T3): how long an invited user's account-setup link lives.
  USER_SETUP_LINK_TTL: duration.default('7 days'),

  // Orders and trials (DOMAIN.md O4, O6): link lifetime, trial length, reminders before its end, "+" extension.
  ACTIVATION_LINK_TTL: duration.default('30 days'),
  // O4: the vendor's page on registering and activating a license, in the activation email and the order's answer
  // (the portal offers it to the reseller to share).
  LICENSE_REGISTRATION_HELP_URL: z
    .url()
    .default('https://help.printfactory.cloud/knowledge-base/license-registration-and-online-activation/'),
  TRIAL_LENGTH: duration.default('30 days'),
  TRIAL_REMINDERS_BEFORE_END: durationList.default(['7 days', '1 day']),
  TRIAL_EXTENSION: duration.default('30 days'),
  TRIAL_MAX_LENGTH: duration.default('90 days'),

  // R5: how long the customer has to accept a requested 3-year commitment before it is declined.
  THREE_YEAR_COMMITMENT_ACCEPT_WITHIN: duration.default('7 days'),
  // Webhooks to the portal backend (issue 12): one POST's limit, then retries with backoff (from the initial interval,
  // doubling up to the maximum) for WEBHOOK_RETRY_FOR before the delivery is failed; an idle endpoint's run looks for
  // deliveries by itself every WEBHOOK_RESCAN_EVERY, should a wake-up from the database be lost.
  WEBHOOK_ATTEMPT_TIMEOUT: duration.default('10 seconds'),
  WEBHOOK_RETRY_FOR: duration.default('1 day'),
  WEBHOOK_RETRY_INITIAL_INTERVAL: duration.default('30 seconds'),
  WEBHOOK_RETRY_MAX_INTERVAL: duration.default('1 hour'),
  WEBHOOK_RESCAN_EVERY: duration.default('5 minutes'),

  // Purchase authorizations (DOMAIN.md P2, P4), counted from the PA: overdue, deactivated; returns after an order.
  PA_OVERDUE_AFTER: duration.default('31 days'),
  PA_DEACTIVATE_AFTER: duration.default('61 days'),
  PA_RETURN_WINDOW: duration.default('14 days'),
  // P4: a requested return is processed (the PA and its licenses returned) this long after the request.
  PA_RETURN_PROCESSING: duration.default('2 days'),
  // Renewals (DOMAIN.md R1, R2): notices before the anniversary, the early window, late renewal after it.
  RENEWAL_NOTICE_BEFORE: duration.default('45 days'),
  RENEWAL_EARLY_FROM: duration.default('30 days'),
  RENEWAL_EARLY_UNTIL: duration.default('1 day'),
  RENEWAL_LATE_UNTIL: duration.default('14 days'),

  // Billing (DOMAIN.md S1, B1): calendar months per cycle, invoice payment terms, the payment provider's webhook secret.
  BILLING_MONTHLY_CYCLE_MONTHS: z.coerce.number().int().positive().default(1),
  BILLING_ANNUAL_CYCLE_MONTHS: z.coerce.number().int().positive().default(12),
  INVOICE_PAYMENT_TERMS: duration.default('14 days'),
  PAYMENT_WEBHOOK_SECRET: z.string().min(16).default(DEV_PAYMENT_WEBHOOK_SECRET),

  // Per client address and window: contact sign-ins, and requests to the pages behind emailed links.
  RATE_LIMIT_WINDOW: duration.default('15 minutes'),
  LOGIN_RATE_LIMIT: z.coerce.number().int().positive().default(10),
  PUBLIC_PAGE_RATE_LIMIT: z.coerce.number().int().positive().default(300),
  // Failed contact sign-ins per account (the email) and window, from any number of addresses.
  LOGIN_ACCOUNT_RATE_LIMIT: z.coerce.number().int().positive().default(10),
  // Quotas on the endpoints that email a customer's contacts (invitations, reminders, activation links, codes),
  // so a stolen key cannot spam from the platform's domain. Big enough for bulk onboarding (benches create
  // ~2,000 customers per reseller in minutes).
  EMAIL_QUOTA_PER_RESELLER_PER_HOUR: z.coerce.number().int().positive().default(10_000),
  EMAIL_QUOTA_PER_CUSTOMER_PER_DAY: z.coerce.number().int().positive().default(20),
  // Express's "trust proxy": which hops may set X-Forwarded-For, so limits count the real client. "loopback"
  // (a proxy on this machine), a list of addresses or subnets, a number of hops, "true" or "false".
  TRUST_PROXY: z
    .string()
    .trim()
    .min(1)
    .default('loopback')
    .transform((s): boolean | number | string => {
      if (s === 'true' || s === 'false') return s === 'true';
      return /^\d+$/.test(s) ? Number(s) : s;
    }),

  // T4: attempts per class of step before it fails for good and waits for support; the email back-off's ceiling.
  STEP_DATABASE_MAX_ATTEMPTS: z.coerce.number().int().positive().default(10),
  STEP_EMAIL_MAX_ATTEMPTS: z.coerce.number().int().positive().default(8),
  STEP_EMAIL_MAX_INTERVAL: duration.default('5 minutes'),

  // Countries (ISO 3166-1 alpha-2) whose customers must give a tax/VAT id (DOMAIN.md C1).
  TAX_ID_COUNTRIES: z
    .string()
    .transform((s) =>
      s
        .split(',')
        .map((x) => x.trim().toUpperCase())
        .filter(Boolean),
    )
    .default(['AT', 'BE', 'DE', 'DK', 'ES', 'FI', 'FR', 'GB', 'IE', 'IT', 'NL', 'NO', 'PL', 'PT', 'SE', 'CH']),

  // --- Purchase authorizations (brief L2, DOMAIN.md P2) -------------------------------------------------------
  // How long before the PA turns overdue, and before its licenses are deactivated, the reseller and the customer
  // are warned (counted back from PA_OVERDUE_AFTER and PA_DEACTIVATE_AFTER).
  PA_WARN_BEFORE: duration.default('7 days'),
});

/**
 * Production runs on no default from the repository: every link token, reseller-change code and payment webhook
 * signature is an HMAC of these secrets, so a public default lets anyone forge them. Dev and tests keep them.
 */
const checked = schema.superRefine((c, ctx) => {
  if (c.NODE_ENV !== 'production') return;
  const refuse = (path: keyof typeof c, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
  for (const name of ['TOKEN_SECRET', 'PAYMENT_WEBHOOK_SECRET'] as const) {
    const problem = secretProblem(c[name]);
    if (problem) refuse(name, problem);
  }
  if (c.SMTP_USER) {
    const problem = secretProblem(c.SMTP_PASSWORD);
    if (problem) refuse('SMTP_PASSWORD', `${problem} (SMTP_USER is set)`);
  }
  if (KNOWN_DEFAULT_SECRETS.has(urlPassword(c.DATABASE_URL)))
    refuse('DATABASE_URL', 'its password is a development default, public in the repository');
  if (isLoopback(c.SMTP_HOST))
    refuse('SMTP_HOST', `is ${c.SMTP_HOST}, the local mail catcher; production sends through a real SMTP relay`);
});

export type Config = z.infer<typeof schema>;

/** A configuration the process cannot start with; its message names each variable and why. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = checked.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new ConfigError(`Invalid configuration:\n${lines}`);
  }
  return parsed.data;
}
