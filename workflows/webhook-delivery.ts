// Issue 12, part 4: one webhook endpoint's deliveries, oldest first, one at a time, so the portal receives each
// customer's events in the order they happened. Each POST is an activity that Temporal retries with backoff for a day
// (WEBHOOK_RETRY_*); when that runs out the delivery is failed, listed for the reseller, and the next one goes. The
// deliveries are rows written with the changes they report (db/webhooks.ts), so a lost signal or a restart loses
// nothing: the signal only wakes an idle run, and an idle run looks again every WEBHOOK_RESCAN_EVERY anyway.
// Temporal cost per event delivered at the first attempt: 2 activities (next, deliver) × 3 events + 2 workflow tasks
// × 3 events = 12 events; an idle wait adds a timer (2) and the signal that ends it (1).
import {
  ActivityFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  type WebhookDeliveryInput,
  type WebhookDeliveryState,
  webhookDeliveriesPendingSignal,
  webhookDeliveryStateQuery,
} from './definitions';

/** Deliveries and idle looks per run before it continues as new, keeping its history short. */
const STEPS_PER_RUN = 200;

export async function webhookDeliveryWorkflow(input: WebhookDeliveryInput): Promise<void> {
  const { endpointId, terms } = input;
  // Its own reads and writes are retried until the database answers: there is no one to hand a failure to.
  const db = proxyActivities<Activities>({
    startToCloseTimeout: '10 seconds',
    retry: { initialInterval: '1 second', maximumInterval: '1 minute', backoffCoefficient: 2 },
  });
  const post = proxyActivities<Activities>({
    startToCloseTimeout: terms.attemptTimeout,
    scheduleToCloseTimeout: terms.retryFor,
    retry: {
      initialInterval: terms.retryInitialInterval,
      maximumInterval: terms.retryMaximumInterval,
      backoffCoefficient: 2,
    },
  });
  const state: WebhookDeliveryState = { endpointId, sending: null, delivered: 0, failed: 0 };
  let woken = false;
  setHandler(webhookDeliveriesPendingSignal, () => {
    woken = true;
  });
  setHandler(webhookDeliveryStateQuery, () => state);

  for (let steps = 0; steps < STEPS_PER_RUN && !workflowInfo().continueAsNewSuggested; steps++) {
    // Cleared before the look: a wake-up that arrives during it is not lost.
    woken = false;
    const next = await db.nextWebhookDelivery({ endpointId });
    if (next === 'gone') return;
    if (next === null) {
      await condition(() => woken, terms.rescanEvery);
      continue;
    }
    state.sending = next;
    try {
      await post.deliverWebhook({ deliveryId: next });
      state.delivered++;
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      await db.failWebhookDelivery({ deliveryId: next, error: err.cause?.message ?? err.message });
      state.failed++;
    }
    state.sending = null;
  }
  await condition(allHandlersFinished);
  await continueAsNew<typeof webhookDeliveryWorkflow>(input);
}
