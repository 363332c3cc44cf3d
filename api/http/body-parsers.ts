import { isUtf8 } from 'node:buffer';
import type { IncomingMessage } from 'node:http';
import express, { type RequestHandler } from 'express';
import { invalidField } from './errors';

// Every body the API reads goes through these: bytes that are not what they claim to be are refused before a
// handler sees them (400 or 415), never decoded into replacement characters and stored.

/** An error body-parser passes on with its `type`; the error handler maps the type to an answer. */
const bodyError = (status: number, type: string, message: string) =>
  Object.assign(new Error(message), { status, type, expose: true });

const isUtf8Charset = (encoding: string | null) => encoding === 'utf-8';

/**
 * JSON is UTF-8 (RFC 8259 §8.1): another charset is a 415, and bytes that are not UTF-8 a 400, instead of
 * being decoded into U+FFFD. Runs on the body as it arrived, after Content-Encoding is undone.
 */
function verifyJson(_req: IncomingMessage, _res: unknown, body: Buffer, encoding: string | null): void {
  if (!isUtf8Charset(encoding))
    throw bodyError(415, 'charset.unsupported', `unsupported charset "${String(encoding).toUpperCase()}"`);
  if (!isUtf8(body)) throw bodyError(400, 'entity.invalid.utf8', 'The request body is not valid UTF-8.');
}

/** A form is UTF-8 or ISO-8859-1 (what body-parser decodes); one that says UTF-8 must be. */
function verifyForm(_req: IncomingMessage, _res: unknown, body: Buffer, encoding: string | null): void {
  if (isUtf8Charset(encoding) && !isUtf8(body))
    throw bodyError(400, 'entity.invalid.utf8', 'The request body is not valid UTF-8.');
}

// A NUL (Postgres text refuses it) or half of a surrogate pair (written out as U+FFFD): JSON's \u escapes and
// a form's percent escapes reach both past the byte check.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function textProblem(s: string): string | null {
  if (s.includes('\u0000')) return 'must not contain a NUL character (\\u0000)';
  if (LONE_SURROGATE.test(s)) return 'is not well-formed Unicode (a lone surrogate)';
  return null;
}

/** The first string (value or key) in `value` that cannot be stored as text, with its path. Iterative: a deeply
 * nested body must not overflow the stack. */
export function malformedText(value: unknown, root = ''): { field: string; message: string } | null {
  const stack: [unknown, string][] = [[value, root]];
  while (stack.length > 0) {
    const [v, path] = stack.pop() as [unknown, string];
    if (typeof v === 'string') {
      const problem = textProblem(v);
      if (problem) return { field: path || 'body', message: problem };
    } else if (Array.isArray(v)) {
      v.forEach((item, i) => {
        stack.push([item, path ? `${path}.${i}` : String(i)]);
      });
    } else if (v && typeof v === 'object') {
      for (const [k, item] of Object.entries(v)) {
        const field = path ? `${path}.${k}` : k;
        const problem = textProblem(k);
        if (problem) return { field: path || 'body', message: `has a key that ${problem}` };
        stack.push([item, field]);
      }
    }
  }
  return null;
}

/** 400 naming the field when the query or the parsed body holds text that cannot be stored as it was sent. */
export const wellFormedInput: RequestHandler = (req, _res, next) => {
  const bad = malformedText(req.query) ?? malformedText(req.body);
  next(bad ? invalidField(bad.field, bad.message) : undefined);
};

/** A JSON body of at most `limit`: UTF-8 only, well-formed text only. */
export const jsonBody = (limit: string): RequestHandler[] => [
  express.json({ limit, verify: verifyJson }),
  wellFormedInput,
];

/** A URL-encoded form of at most `limit` (the pages behind emailed links), checked the same way. */
export const formBody = (limit: string): RequestHandler[] => [
  express.urlencoded({ extended: false, limit, verify: verifyForm }),
  wellFormedInput,
];
