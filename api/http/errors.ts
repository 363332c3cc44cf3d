import { WorkflowNotFoundError } from '@temporalio/client';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { z } from 'zod';

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
