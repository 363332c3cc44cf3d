import { z } from 'zod';
import { email, LifecycleIncident, requestBody, trimmedAtLeast } from '../http/schemas';

// Support's shapes (T4): the lifecycles whose step failed for good, and what support may do about them.

export const WorkflowIdParam = z.object({
  workflowId: z
    .string()
    .min(1)
    .max(300)
    .meta({ description: 'The lifecycle, by business key: invitation:<customerId>, order:<orderId>, ...' }),
});

export const Incident = LifecycleIncident.extend({
  workflowId: z.string(),
  lifecycle: z.string().nullable().meta({ description: 'The Lifecycle search attribute' }),
  resellerId: z.string().nullable(),
  customerId: z.string().nullable(),
}).meta({ id: 'Incident' });

export const IncidentList = z
  .object({
    data: z.array(Incident),
    unanswered: z.array(Incident.pick({ workflowId: true, lifecycle: true, resellerId: true, customerId: true })).meta({
      description:
        'Lifecycles visibility lists as waiting for support whose run did not report its incident within a few ' +
        'seconds: no worker is polling their task queue. Their step and error are in the Temporal UI.',
    }),
  })
  .meta({ id: 'IncidentList' });

export const RetryBody = requestBody('RetryStep', {
  reason: z.string().trim().max(500, 'must be at most 500 characters').optional(),
  correction: z
    .object({ email: email.optional() })
    .strict()
    .optional()
    .meta({ description: 'A corrected input for the step (a mistyped email address)' }),
});

export const SkipBody = requestBody('SkipStep', {
  reason: z
    .string({ error: 'is required' })
    .trim()
    .min(3, 'must be at least 3 characters')
    .max(500, 'must be at most 500 characters')
    .meta({ pattern: trimmedAtLeast(3) }),
});

export const SupportActionResult = z
  .object({
    step: z.string(),
    action: z.enum(['retried', 'skipped']),
    outcome: z.enum(['done', 'failed_again']).meta({ description: 'After a retry: whether the step went through' }),
    error: z.string().nullable().meta({ description: 'Why the step failed again; the incident stays open' }),
  })
  .meta({ id: 'SupportActionResult' });
