// The two classes of activity timeout every lifecycle uses: quick database writes, and email, whose
// SMTP relay may be slow or down for a while (retried with backoff for up to hours).
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

export const db = proxyActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

export const email = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: {
    initialInterval: '5 seconds',
    backoffCoefficient: 2,
    maximumInterval: '10 minutes',
    nonRetryableErrorTypes: ['SmtpRejected'],
  },
});
