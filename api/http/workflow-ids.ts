import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingMessage } from 'node:http';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import type { RequestHandler } from 'express';

// Issue 11: every log line of a request that touches a lifecycle names its workflow id, so an operator goes from
// the log to the run in the Temporal UI. Routes reach Temporal in many ways (starts, updates, queries, support's
// describes), all through the API's one client: its interceptor notes each id on the request being served, which
// AsyncLocalStorage finds for it.

/** Ids noted per request; a support listing may touch many runs, and a log line stays short. */
const MAX_IDS = 20;
const touched = new WeakMap<IncomingMessage, string[]>();
const serving = new AsyncLocalStorage<IncomingMessage>();

/** Makes the request the one Temporal calls made while serving it are noted on. */
export const noteWorkflowIds: RequestHandler = (req, _res, next) => {
  serving.run(req, next);
};

function note(workflowId: string): void {
  const req = serving.getStore();
  if (!req) return;
  const ids = touched.get(req) ?? [];
  if (ids.includes(workflowId) || ids.length >= MAX_IDS) return;
  // Lines the request logs from now on (an error, an outage) carry the first id; its access line carries all.
  if (ids.length === 0 && req.log) req.log = req.log.child({ workflowId });
  ids.push(workflowId);
  touched.set(req, ids);
}

/** pino-http's customProps: the workflow ids the request touched, on its access log line. */
export function workflowIdProps(req: IncomingMessage): Record<string, unknown> {
  const ids = touched.get(req);
  if (!ids) return {};
  return ids.length === 1 ? { workflowId: ids[0] } : { workflowId: ids[0], workflowIds: ids };
}

/** The API client's interceptor: every call that names a workflow notes its id on the request being served. */
export const workflowIdLogging: WorkflowClientInterceptor = {
  startWithDetails(input, next) {
    note(input.options.workflowId);
    return next(input);
  },
  startUpdateWithStart(input, next) {
    note(input.workflowStartOptions.workflowId);
    return next(input);
  },
  signalWithStart(input, next) {
    note(input.options.workflowId);
    return next(input);
  },
  startUpdate(input, next) {
    note(input.workflowExecution.workflowId);
    return next(input);
  },
  signal(input, next) {
    note(input.workflowExecution.workflowId);
    return next(input);
  },
  query(input, next) {
    note(input.workflowExecution.workflowId);
    return next(input);
  },
  describe(input, next) {
    note(input.workflowExecution.workflowId);
    return next(input);
  },
  cancel(input, next) {
    note(input.workflowExecution.workflowId);
    return next(input);
  },
  terminate(input, next) {
    note(input.workflowExecution.workflowId);
    return next(input);
  },
};
