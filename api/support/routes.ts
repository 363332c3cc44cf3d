import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { z } from 'zod';
import {
  CustomerIdKey,
  incidentQuery,
  LifecycleKey,
  ResellerIdKey,
  retryStepUpdate,
  skipStepUpdate,
} from '../../workflows/definitions';
import { type Api, defineRoute, json, reply } from '../http/define-route';
import type { AppDeps } from '../http/deps';
import { runUpdate } from '../http/lifecycles';
import { isTemporalUnavailable } from '../temporal';
import { IncidentList, RetryBody, SkipBody, SupportActionResult, WorkflowIdParam } from './schemas';

// T4: support staff (the engine's operators, with the `support` permission) see every tenant's failed
// steps and act on them only through the lifecycle's own retry and skip updates.

/** More than one screen of incidents means something larger is wrong; the Temporal UI lists them all. */
const MAX_INCIDENTS = 200;
/**
 * How long the runs may take to report their incidents, all together. A query waits for a worker: with none
 * polling the run's task queue (all killed, or an old queue) it would wait ~30 s, and support would see nothing.
 */
export const INCIDENT_QUERY_DEADLINE_MS = 3_000;

type IncidentListJson = z.infer<typeof IncidentList>;
type Incident = IncidentListJson['data'][number];
type Unanswered = IncidentListJson['unanswered'][number];

/** Every lifecycle that visibility lists as waiting for support, with its incident as the run reports it now. */
async function openIncidents(temporal: Client, log: Logger): Promise<IncidentListJson> {
  const found = [];
  for await (const wf of temporal.workflow.list({ query: 'NeedsAttention = true' })) {
    found.push(wf);
    if (found.length >= MAX_INCIDENTS) break;
  }
  const deadline = Date.now() + INCIDENT_QUERY_DEADLINE_MS;
  const data: Incident[] = [];
  const unanswered: Unanswered[] = [];
  await Promise.all(
    found.map(async (wf) => {
      const attrs = wf.typedSearchAttributes;
      const known = {
        workflowId: wf.workflowId,
        lifecycle: attrs.get(LifecycleKey) ?? null,
        resellerId: attrs.get(ResellerIdKey) ?? null,
        customerId: attrs.get(CustomerIdKey) ?? null,
      };
      try {
        const incident = await temporal.connection.withDeadline(deadline, () =>
          temporal.workflow.getHandle(wf.workflowId, wf.runId).query(incidentQuery),
        );
        // The run may have been retried or skipped since visibility listed it: then it has no incident.
        if (incident) data.push({ ...known, ...incident });
      } catch (err) {
        if (isTemporalUnavailable(err)) unanswered.push(known);
        else log.warn({ err, workflowId: wf.workflowId }, 'incident unavailable');
      }
    }),
  );
  return { data, unanswered };
}

export function supportRoutes(api: Api, { temporal }: AppDeps): void {
  defineRoute(api, {
    method: 'get',
    path: '/v1/support/incidents',
    summary: "Every tenant's lifecycles whose step failed for good and waits for support (T4)",
    permission: 'support',
    responses: { 200: json('The incidents, from visibility and each lifecycle', IncidentList) },
    handler: async ({ req }) => reply(200, await openIncidents(temporal, req.log)),
  });

  defineRoute(api, {
    method: 'post',
    path: '/v1/support/incidents/{workflowId}/retry',
    summary: 'Run the failed step again, optionally with a corrected input; the steps before it are not redone (T4)',
    permission: 'support',
    params: WorkflowIdParam,
    body: RetryBody,
    responses: { 200: json('The step was run again', SupportActionResult) },
    errors: [[404, 'No such lifecycle, or it has ended'], [409, 'No step is waiting (no_incident)'], 503],
    handler: async ({ actor, params, body }) => {
      const handle = temporal.workflow.getHandle(params.workflowId);
      const args = { actor, reason: body.reason, correction: body.correction };
      return reply(200, await runUpdate(handle, retryStepUpdate, args, { ended: 'not_found' }));
    },
  });

  defineRoute(api, {
    method: 'post',
    path: '/v1/support/incidents/{workflowId}/skip',
    summary: 'Go on without the failed step, for an audited reason (T4)',
    permission: 'support',
    params: WorkflowIdParam,
    body: SkipBody,
    responses: { 200: json('The step was skipped', SupportActionResult) },
    errors: [
      [404, 'No such lifecycle, or it has ended'],
      [409, 'No step is waiting, or it cannot be skipped'],
    ],
    handler: async ({ actor, params, body }) => {
      const handle = temporal.workflow.getHandle(params.workflowId);
      const args = { actor, reason: body.reason };
      return reply(200, await runUpdate(handle, skipStepUpdate, args, { ended: 'not_found' }));
    },
  });
}
