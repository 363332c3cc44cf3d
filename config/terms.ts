// Each lifecycle's durations and budgets, built from configuration in one place: the API passes them to the
// lifecycles it starts, and activities hand them to the lifecycles that workflows start (a renewal, billing).
import type {
  BillingCycle,
  PurchaseAuthorizationTerms,
  RenewalTerms,
  StepPolicy,
  TrialTerms,
  WebhookDeliveryTerms,
} from '../workflows/definitions';
import type { Duration } from '@temporalio/common';
import type { Config } from './index';

export const trialTerms = (config: Config): TrialTerms => ({
  length: config.TRIAL_LENGTH,
  remindBefore: config.TRIAL_REMINDERS_BEFORE_END,
  extension: config.TRIAL_EXTENSION,
  maxLength: config.TRIAL_MAX_LENGTH,
});

export const purchaseAuthorizationTerms = (config: Config): PurchaseAuthorizationTerms => ({
  overdueAfter: config.PA_OVERDUE_AFTER,
  deactivateAfter: config.PA_DEACTIVATE_AFTER,
  returnWindow: config.PA_RETURN_WINDOW,
  returnProcessing: config.PA_RETURN_PROCESSING,
  warnBefore: config.PA_WARN_BEFORE,
});

export const renewalTerms = (config: Config): RenewalTerms => ({
  noticeBefore: config.RENEWAL_NOTICE_BEFORE,
  earlyFrom: config.RENEWAL_EARLY_FROM,
  earlyUntil: config.RENEWAL_EARLY_UNTIL,
  lateUntil: config.RENEWAL_LATE_UNTIL,
});

export const webhookDeliveryTerms = (config: Config): WebhookDeliveryTerms => ({
  // Checked durations (config's `duration`), in the SDK's type.
  attemptTimeout: config.WEBHOOK_ATTEMPT_TIMEOUT as Duration,
  retryFor: config.WEBHOOK_RETRY_FOR as Duration,
  retryInitialInterval: config.WEBHOOK_RETRY_INITIAL_INTERVAL as Duration,
  retryMaximumInterval: config.WEBHOOK_RETRY_MAX_INTERVAL as Duration,
  rescanEvery: config.WEBHOOK_RESCAN_EVERY as Duration,
});

export const billingTerms = (config: Config, cycle: BillingCycle) => ({
  cycle,
  cycleMonths: cycle === 'monthly' ? config.BILLING_MONTHLY_CYCLE_MONTHS : config.BILLING_ANNUAL_CYCLE_MONTHS,
  paymentTerms: config.INVOICE_PAYMENT_TERMS,
});

/** Issue 11: seconds, not minutes, so a step lost with its worker is retried soon (timeout + first back-off). */
export const DATABASE_STEP_TIMEOUT = '10 seconds';
export const EMAIL_STEP_TIMEOUT = '8 seconds';

/** T4: how often each class of step is retried before it waits for support (passed in the run's memo). */
export const stepPolicy = (config: Config): StepPolicy => ({
  database: {
    maximumAttempts: config.STEP_DATABASE_MAX_ATTEMPTS,
    initialInterval: '1 second',
    maximumInterval: '30 seconds',
    startToCloseTimeout: DATABASE_STEP_TIMEOUT,
  },
  email: {
    maximumAttempts: config.STEP_EMAIL_MAX_ATTEMPTS,
    initialInterval: '5 seconds',
    maximumInterval: config.STEP_EMAIL_MAX_INTERVAL as Duration,
    // Issue 11: an attempt lost with a killed worker is retried within 15 s (this timeout + the 5 s first back-off);
    // the mailer's own SMTP timeouts (activities/mailer.ts) end a hung attempt before this one does.
    startToCloseTimeout: EMAIL_STEP_TIMEOUT,
  },
});
