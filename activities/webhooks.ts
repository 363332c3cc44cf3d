// Issue 12, part 4: the steps of a webhook endpoint's delivery workflow. Thin: what to send next, one POST, and the
// record of a delivery whose day of retries ran out.
import { Context } from '@temporalio/activity';
import * as webhooks from '../db/webhooks';
import { durationMs } from '../workflows/duration';
import { EVENT_ID_HEADER, SIGNATURE_HEADER, signWebhook } from '../lib/webhook-signature';
import type { ActivityDeps } from './mailer';

export function createWebhookActivities({ sql, config }: Pick<ActivityDeps, 'sql' | 'config'>) {
  return {
    /** The endpoint's oldest pending delivery; 'gone' once the endpoint is deleted or disabled. */
    async nextWebhookDelivery(args: { endpointId: string }): Promise<string | null | 'gone'> {
      return webhooks.nextWebhookDelivery(sql, args.endpointId);
    },

    /**
     * One attempt: the event POSTed, signed, with its id (the receiver drops a repeat by it). A 2xx delivers it;
     * anything else is thrown, and Temporal retries it with backoff for the day the workflow gives it.
     */
    async deliverWebhook(args: { deliveryId: string }): Promise<'delivered' | 'already-done'> {
      const d = await webhooks.webhookToSend(sql, args.deliveryId);
      if (d?.status !== 'pending') return 'already-done';
      const body = JSON.stringify(d.payload);
      const timestamp = Math.floor(Date.now() / 1000);
      let httpStatus: number | null = null;
      let error: string | null = null;
      try {
        const res = await fetch(d.url, {
          method: 'POST',
          headers: {
            'Content-Type': 'application/json',
            'User-Agent': 'reseller-engine-webhooks',
            [EVENT_ID_HEADER]: d.eventId,
            [SIGNATURE_HEADER]: signWebhook(d.secret, timestamp, body),
          },
          body,
          redirect: 'manual',
          signal: AbortSignal.any([
            AbortSignal.timeout(durationMs(config.WEBHOOK_ATTEMPT_TIMEOUT)),
            Context.current().cancellationSignal,
          ]),
        });
        httpStatus = res.status;
        await res.body?.cancel();
        if (res.status < 200 || res.status >= 300) error = `The endpoint answered ${res.status}.`;
      } catch (err) {
        error = `The endpoint could not be reached: ${(err as Error).message}`;
      }
      await webhooks.recordWebhookAttempt(sql, { deliveryId: args.deliveryId, delivered: !error, httpStatus, error });
      if (error) throw new Error(error);
      return 'delivered';
    },

    /** Its retries ran out: failed, listed, redeliverable on request. */
    async failWebhookDelivery(args: { deliveryId: string; error: string }): Promise<void> {
      await webhooks.failWebhookDelivery(sql, args);
    },
  };
}
