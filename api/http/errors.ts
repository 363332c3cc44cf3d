import { WorkflowNotFoundError } from '@temporalio/client';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { z } from 'zod';
import { isDatabaseUnavailable } from '../../db';
import { isTemporalUnavailable } from '../temporal';

/** An answer with a status and a reason; the error handler turns it into JSON. Codes are snake_case. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** The shape of every JSON error answer, for the OpenAPI document. */
export const ErrorResponse = z
  .object({
    error: z.object({
      code: z.string().meta({ description: 'snake_case: validation_failed, not_found, or the refusal type' }),
      message: z.string(),
      issues: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
    }),
  })
  .meta({ id: 'Error' });

export const notFound = (what = 'Resource'): HttpError => new HttpError(404, 'not_found', `${what} not found.`);

export type InputLocation = 'body' | 'query' | 'header' | 'path';

/** A 400 naming the field and the reason, as zod reports them. */
export function invalidField(field: string, message: string): HttpError {
  return new HttpError(400, 'validation_failed', `${field}: ${message}`, { issues: [{ field, message }] });
}

/**
 * 422 naming the field and the reason: the input is as the document says, but what it refers to refuses it (the
 * catalog has no such plan in the customer's country, the customer's segment allows a shorter term, the user is
 * not the reseller's). 400 stays for input the document itself refuses.
 */
export function unprocessableField(field: string, message: string, issues = [{ field, message }]): HttpError {
  return new HttpError(422, 'validation_failed', `${field}: ${message}`, { issues });
}

/** The zod issues as the client needs them: which field, and why. */
export function validationError(error: z.ZodError, location: InputLocation = 'body'): HttpError {
  const issues = error.issues.map((i) => ({ field: i.path.join('.') || location, message: i.message }));
  const first = issues[0];
  return new HttpError(400, 'validation_failed', first ? `${first.field}: ${first.message}` : 'Invalid request.', {
    issues,
  });
}

/** Parses once at the edge; the route works with the parsed value only. */
export function parse<S extends z.ZodType>(schema: S, value: unknown, location: InputLocation = 'body'): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw validationError(result.error, location);
  return result.data;
}

/** What body-parser and the router raise (each with a `type`, or a 4xx `status`), as answers: never a 500. */
interface RequestReadError {
  type?: string;
  status?: number;
  expose?: boolean;
  charset?: string;
  encoding?: string;
  message?: string;
}

const bodyIssue = (field: string, message: string) => ({ issues: [{ field, message }] });

/** A request that could not be read as sent: its body (JSON, charset, encoding, size) or its URL. */
export function unreadableRequest(err: unknown): HttpError | null {
  const e = err as RequestReadError;
  switch (e?.type) {
    case 'entity.parse.failed':
      return new HttpError(400, 'invalid_json', 'The request body is not valid JSON.');
    case 'entity.invalid.utf8':
      return new HttpError(
        400,
        'invalid_utf8',
        'The request body is not valid UTF-8.',
        bodyIssue('body', 'is not valid UTF-8'),
      );
    case 'entity.too.large':
      return new HttpError(413, 'too_large', 'The request body is too large.');
    case 'parameters.too.many':
      return new HttpError(413, 'too_large', 'The form has too many fields.');
    case 'charset.unsupported': {
      const message = `The charset "${e.charset ?? e.message}" is not supported: send UTF-8.`;
      return new HttpError(415, 'unsupported_charset', message, bodyIssue('Content-Type', message));
    }
    case 'encoding.unsupported': {
      const message = `The Content-Encoding "${e.encoding}" is not supported: send identity, gzip, deflate or br.`;
      return new HttpError(415, 'unsupported_content_encoding', message, bodyIssue('Content-Encoding', message));
    }
  }
  // A body that does not decompress (zlib's error), one cut short, a URL that does not decode: the client's.
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500 && e.expose !== false) {
    const message = `The request could not be read: ${e.message ?? 'malformed'}.`;
    return new HttpError(e.status === 413 ? 413 : 400, 'unreadable_request', message);
  }
  return null;
}

/** Seconds a client waits before trying again while a dependency is down: the API recovers within them. */
export const OUTAGE_RETRY_AFTER_SECONDS = 5;

/**
 * Issue 10: a dependency that cannot be reached is a 503 with Retry-After and a stable code, never a 500. What
 * went wrong stays in the log; the client learns which service, not its error text.
 */
const OUTAGES = [
  { is: isDatabaseUnavailable, code: 'database_unavailable', what: 'The database' },
  { is: isTemporalUnavailable, code: 'temporal_unavailable', what: 'The workflow service' },
] as const;

function outageOf(err: unknown): HttpError | null {
  const outage = OUTAGES.find((o) => o.is(err));
  if (!outage) return null;
  return new HttpError(503, outage.code, `${outage.what} cannot be reached right now; try again shortly.`, undefined, {
    'Retry-After': String(OUTAGE_RETRY_AFTER_SECONDS),
  });
}

export const notFoundRoute: RequestHandler = (_req, _res, next) =>
  next(new HttpError(404, 'not_found', 'No such endpoint.'));

export const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  let httpError: HttpError;
  if (err instanceof HttpError) httpError = err;
  else if (err instanceof z.ZodError) httpError = validationError(err);
  else if (err instanceof WorkflowNotFoundError) httpError = notFound();
  else {
    const unreadable = unreadableRequest(err);
    const outage = unreadable ? null : outageOf(err);
    if (unreadable) httpError = unreadable;
    else if (outage) {
      req.log?.warn({ err }, outage.code);
      httpError = outage;
    } else {
      req.log?.error({ err }, 'unhandled error');
      httpError = new HttpError(500, 'internal', 'Something went wrong on our side; it has been logged.');
    }
  }
  res
    .status(httpError.status)
    .set(httpError.headers)
    .json({
      error: {
        code: httpError.code,
        message: httpError.message,
        ...(httpError.details ? (httpError.details as object) : {}),
      },
    });
};
