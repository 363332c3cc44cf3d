import {
  Client,
  Connection,
  type ConnectionOptions,
  type GrpcRetryOptions,
  isGrpcServiceError,
  isRetryableError,
  makeGrpcRetryInterceptor,
} from '@temporalio/client';
import type { Config } from '../config';
import { workflowIdLogging } from './http/workflow-ids';

// Issue 10: with the SDK's defaults a call to an unreachable server retries for ~20 s and, once the server is
// back, the channel waits up to 2 minutes before it tries again. The API answers 503 within 3 s instead, and
// works again within a second or two of the server's return.

/** How long a short call (start, signal, describe, list) may take, retries included. */
export const TEMPORAL_CALL_DEADLINE_MS = 2_500;
/** Attempts of a call the server did not take (UNAVAILABLE...): about 1.4 s of back-off in all. */
const MAX_ATTEMPTS = 4;

/**
 * Calls that wait on a worker by design (an update's answer, a query) get no deadline of their own: a refused
 * connection still fails them fast through the bounded retries, and keepalive pings find a dead connection.
 */
const WAITING_CALLS = new Set([
  'UpdateWorkflowExecution',
  'PollWorkflowExecutionUpdate',
  'ExecuteMultiOperation',
  'QueryWorkflow',
  'GetWorkflowExecutionHistory',
]);

type Interceptor = NonNullable<ConnectionOptions['interceptors']>[number];
// The next call is an InterceptingCallInterface, all grpc-js uses of what an interceptor returns.
type InterceptingCall = ReturnType<Interceptor>;

/** Gives every short call a deadline unless its caller set one (`connection.withDeadline`). */
const shortCallDeadline: Interceptor = (options, nextCall) => {
  const method = options.method_definition.path.split('/').pop() ?? '';
  if (options.deadline !== undefined || WAITING_CALLS.has(method)) return nextCall(options) as InterceptingCall;
  return nextCall({ ...options, deadline: Date.now() + TEMPORAL_CALL_DEADLINE_MS }) as InterceptingCall;
};

const boundedRetries: GrpcRetryOptions = {
  retryableDecider: (attempt, status) => attempt < MAX_ATTEMPTS && isRetryableError(status),
  delayFunction: (attempt) => Math.min(1_000, 100 * 2 ** attempt) * (0.8 + Math.random() * 0.4),
};

/** The API's connection options: bounded calls, and a channel that tries to reconnect every second at most. */
export function temporalConnectionOptions(address: string): ConnectionOptions {
  return {
    address,
    // Order matters: the deadline is set before the retries, so it bounds all of them together.
    interceptors: [shortCallDeadline, makeGrpcRetryInterceptor(boundedRetries)],
    channelArgs: {
      'grpc.initial_reconnect_backoff_ms': 250,
      'grpc.max_reconnect_backoff_ms': 1_000,
    },
  };
}

/**
 * The API's client. The connection is lazy: the API starts (and answers 503 for what needs Temporal, /healthz
 * saying so) while the server is down, and connects once it is up.
 */
export async function createTemporalClient(
  config: Pick<Config, 'TEMPORAL_ADDRESS' | 'TEMPORAL_NAMESPACE'>,
): Promise<Client> {
  const connection = Connection.lazy(temporalConnectionOptions(config.TEMPORAL_ADDRESS));
  return new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, interceptors: apiClientInterceptors });
}

/** Every workflow the API's calls name goes on the log of the request that made them (issue 11). */
export const apiClientInterceptors = { workflow: [workflowIdLogging] };

/**
 * gRPC codes of a server that cannot be reached, did not answer in time, or sheds load (RESOURCE_EXHAUSTED: its
 * rate limits, or "system overloaded", once the client's retries are spent), or went away mid-call (CANCELLED): each
 * is worth retrying later.
 */
const UNAVAILABLE = 14;
const DEADLINE_EXCEEDED = 4;
const RESOURCE_EXHAUSTED = 8;
// The channel cancels the calls in flight when the server goes away mid-call (the soak's Temporal restart, issue 11:
// four creates answered 500 "CANCELLED: Call cancelled"); the API cancels none of its own.
const CANCELLED = 1;
const RETRY_LATER = new Set([UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, CANCELLED]);

/**
 * How long a request waits for a lifecycle's answer to an update: the worker runs the change's step, which is
 * quick; a run that cannot take it (no worker polling, a first step still failing) must not hold the request.
 */
export const UPDATE_DEADLINE_MS = 15_000;

/** Whether `err` (or what caused it) is a call that ran out of its deadline. */
export function isDeadlineExceeded(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (isGrpcServiceError(e) && e.code === DEADLINE_EXCEEDED) return true;
  }
  return false;
}

/** Whether `err` (or what caused it) says the Temporal server could not be reached, answer in time, or take more. */
export function isTemporalUnavailable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (isGrpcServiceError(e) && RETRY_LATER.has(e.code)) return true;
  }
  return false;
}
