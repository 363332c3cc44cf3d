// The two classes of step every lifecycle uses: quick database writes, and email, whose SMTP relay may be
// slow or down for a while. Retries are bounded (T4): when they run out the step waits for support instead
// of retrying silently forever. The budgets come from configuration through the run's memo.
import { type ActivityOptions, proxyActivities, proxyLocalActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { type RetryBudget, STEP_POLICY_MEMO, type StepPolicy } from './definitions';

/** Used when the starter passed no policy (a test starting a workflow by hand). */
export const DEFAULT_STEP_POLICY: StepPolicy = {
  database: {
    maximumAttempts: 10,
    initialInterval: '1 second',
    maximumInterval: '30 seconds',
    startToCloseTimeout: '10 seconds',
  },
  email: {
    maximumAttempts: 8,
    initialInterval: '5 seconds',
    maximumInterval: '5 minutes',
    // As config/terms.ts stepPolicy: a step lost with a killed worker is retried within 15 s (issue 11).
    startToCloseTimeout: '8 seconds',
  },
};

const options = (b: RetryBudget, nonRetryableErrorTypes: string[] = []): ActivityOptions => ({
  startToCloseTimeout: b.startToCloseTimeout,
  retry: {
    maximumAttempts: b.maximumAttempts,
    initialInterval: b.initialInterval,
    maximumInterval: b.maximumInterval,
    backoffCoefficient: 2,
    nonRetryableErrorTypes,
  },
});

export function stepPolicy(): StepPolicy {
  const memo = workflowInfo().memo?.[STEP_POLICY_MEMO] as Partial<StepPolicy> | undefined;
  return { ...DEFAULT_STEP_POLICY, ...memo };
}

/** The activity proxies of one run, per class of step. */
export function activityProxies(policy: StepPolicy = stepPolicy()) {
  return {
    db: proxyActivities<Activities>(options(policy.database)),
    // The first step of a created run confirms the row the API stored: run inside the run's first workflow task,
    // it costs the server no activity task and no second workflow task (the dev server's CPU is what a create
    // waits on at load).
    // A backoff longer than a second waits on a server timer rather than in the worker: durable, and skipped by the
    // time-skipping test server like any other timer.
    local: proxyLocalActivities<Activities>({ ...options(policy.database), localRetryThreshold: '1 second' }),
    // SMTP 5xx is permanent: no retry, straight to support.
    email: proxyActivities<Activities>(options(policy.email, ['SmtpRejected'])),
  };
}
