// Issue 12, part 4: wakes each webhook endpoint's delivery workflow when deliveries are queued for it. The trigger
// that queues them notifies `webhook_deliveries` as its transaction commits; this listener signal-with-starts the
// endpoint's run (starting it if none runs). On every (re)connection it also wakes every endpoint with deliveries
// waiting, so a notification missed while it was away only delays them; the runs' own rescans cover the rest.
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Config } from '../config';
import { webhookDeliveryTerms } from '../config/terms';
import type { Sql } from '../db';
import { endpointsWithPendingDeliveries, WEBHOOK_CHANNEL } from '../db/webhooks';
import { webhookDeliveryWorkflow } from '../workflows';
import {
  LifecycleKey,
  LifecycleStatusKey,
  ResellerIdKey,
  webhookDeliveriesPendingSignal,
  webhookEndpointWorkflowId,
} from '../workflows/definitions';

export async function startWebhookWakeups(deps: {
  sql: Sql;
  client: Client;
  config: Config;
  taskQueue: string;
  log: Pick<Logger, 'warn'>;
}): Promise<{ stop: () => Promise<void> }> {
  const { sql, client, config, taskQueue, log } = deps;
  const terms = webhookDeliveryTerms(config);
  /** `key` is `<endpoint id>:<reseller id>`, as the trigger and endpointsWithPendingDeliveries give it. */
  const wake = async (key: string) => {
    const [endpointId, resellerId] = key.split(':');
    if (!endpointId || !resellerId) return;
    try {
      await client.workflow.signalWithStart(webhookDeliveryWorkflow, {
        workflowId: webhookEndpointWorkflowId(endpointId),
        taskQueue,
        args: [{ endpointId, terms }],
        signal: webhookDeliveriesPendingSignal,
        signalArgs: [],
        typedSearchAttributes: [
          { key: ResellerIdKey, value: resellerId },
          { key: LifecycleKey, value: 'webhook-endpoint' },
          { key: LifecycleStatusKey, value: 'delivering' },
        ],
      });
    } catch (err) {
      // The rows wait; the next notification, reconnection or the run's rescan picks them up.
      log.warn({ err, endpointId }, 'webhook_wakeup_failed');
    }
  };
  const wakeAllPending = async () => {
    try {
      for (const key of await endpointsWithPendingDeliveries(sql)) await wake(key);
    } catch (err) {
      log.warn({ err }, 'webhook_wakeup_scan_failed');
    }
  };
  const { unlisten } = await sql.listen(
    WEBHOOK_CHANNEL,
    (key) => void wake(key),
    () => void wakeAllPending(),
  );
  return { stop: unlisten };
}
