import type { ErrorRequestHandler, RequestHandler } from 'express';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';

/** An answer with a status and a reason; the error handler turns it into JSON. */
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

export const notFound = (what = 'Resource'): HttpError => new HttpError(404, 'not_found', `${what} not found.`);

/** The zod issues as the client needs them: which field, and why. */
export function validationError(error: z.ZodError, location: 'body' | 'query' | 'header' | 'path' = 'body'): HttpError {
  const issues = error.issues.map((i) => ({ field: i.path.join('.') || location, message: i.message }));
  const first = issues[0];
  return new HttpError(400, 'validation_failed', first ? `${first.field}: ${first.message}` : 'Invalid request.', {
    issues,
  });
}

/** Parses once at the edge; the route works with the parsed value only. */
export function parse<S extends z.ZodType>(
  schema: S,
  value: unknown,
  location: 'body' | 'query' | 'header' | 'path' = 'body',
): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw validationError(result.error, location);
  return result.data;
}

/** Maps a refused workflow update (a validator or a rule) to 409 with the workflow's reason. */
export function updateRefusal(err: unknown): HttpError | null {
  if (!(err instanceof WorkflowUpdateFailedError)) return null;
  const cause = err.cause;
  const type = cause instanceof ApplicationFailure ? cause.type : undefined;
  return new HttpError(409, type ?? 'refused', cause?.message ?? err.message);
}

export const notFoundRoute: RequestHandler = (_req, _res, next) =>
  next(new HttpError(404, 'not_found', 'No such endpoint.'));

export const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  let httpError: HttpError;
  if (err instanceof HttpError) httpError = err;
  else if (err instanceof z.ZodError) httpError = validationError(err);
  else if (err instanceof WorkflowNotFoundError) httpError = notFound();
  else if ((err as { type?: string }).type === 'entity.parse.failed')
    httpError = new HttpError(400, 'invalid_json', 'The request body is not valid JSON.');
  else if ((err as { type?: string }).type === 'entity.too.large')
    httpError = new HttpError(413, 'too_large', 'The request body is too large.');
  else {
    req.log?.error({ err }, 'unhandled error');
    httpError = new HttpError(500, 'internal', 'Something went wrong on our side; it has been logged.');
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
