// Issue 12, part 4: one webhook endpoint's deliveries, in order, each retried with backoff for a day, then failed and
// listed (and redeliverable on request). The rows are the outbox (db/webhooks.ts); the signal only wakes the run.
import type { Duration } from '@temporalio/common';
import { defineQuery, defineSignal } from '@temporalio/workflow';

export const webhookEndpointWorkflowId = (endpointId: string): string => `webhook-endpoint:${endpointId}`;

export interface WebhookDeliveryTerms {
  /** One POST's limit; the attempt counts as failed after it. */
  attemptTimeout: Duration;
  /** How long a delivery is retried before it is failed (a day). */
  retryFor: Duration;
  retryInitialInterval: Duration;
  retryMaximumInterval: Duration;
  /** How often an idle run looks for deliveries by itself, should a wake-up be lost. */
  rescanEvery: Duration;
}

export interface WebhookDeliveryInput {
  endpointId: string;
  terms: WebhookDeliveryTerms;
}

/** Deliveries were queued (or one requeued) for the endpoint. */
export const webhookDeliveriesPendingSignal = defineSignal('webhookDeliveriesPending');

export interface WebhookDeliveryState {
  endpointId: string;
  /** The delivery being sent (and retried), if any. */
  sending: string | null;
  delivered: number;
  failed: number;
}

export const webhookDeliveryStateQuery = defineQuery<WebhookDeliveryState>('webhookDeliveryState');
