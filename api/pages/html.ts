import express, { type RequestHandler } from 'express';
import type { z } from 'zod';
import { escapeHtml } from '../../activities/templates/layout';
import { type Api, defineRoute, html, type Responses, type RouteSpec, reply } from '../http/define-route';
import { isUsable, openLink, TokenQuery } from './schemas';

// The small public pages that customer contacts reach through emailed links (T3).

/** Their links carry secrets: keep them out of caches and Referer headers; the pages need no scripts. */
export const publicPageHeaders: RequestHandler = (_req, res, next) => {
  res.set({
    'Cache-Control': 'no-store',
    'Referrer-Policy': 'no-referrer',
    'Content-Security-Policy':
      "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
    'X-Content-Type-Options': 'nosniff',
  });
  next();
};

/** A plain, accessible page: one column, real headings, visible focus, no scripts. */
export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)}</title>
<style>
  body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
         color: #1f2933; background: #f5f7fa; }
  main { max-width: 34rem; margin: 3rem auto; padding: 2rem; background: #fff; border-radius: 8px;
         box-shadow: 0 1px 3px rgba(0,0,0,.1); }
  h1 { font-size: 1.5rem; line-height: 1.3; margin: 0 0 1rem; color: #102a43; }
  button { font: inherit; font-weight: 600; color: #fff; background: #1f5fbf; border: 0; border-radius: 6px;
           padding: .75rem 1.5rem; cursor: pointer; }
  button:focus-visible { outline: 3px solid #f0b429; outline-offset: 2px; }
  label { display: flex; gap: .5rem; align-items: flex-start; margin: 1rem 0 1.5rem; }
  input[type=checkbox] { width: 1.25rem; height: 1.25rem; margin-top: .15rem; }
  .muted { color: #52606d; font-size: .9rem; }
  [role=alert] { border-left: 4px solid #d64545; padding-left: 1rem; }
  [role=status] { border-left: 4px solid #3ebd93; padding-left: 1rem; }
</style>
</head>
<body><main>${body}</main></body>
</html>`;
}

type PageSpec<Q extends z.ZodType | undefined, B extends z.ZodType | undefined, R extends Responses> = Pick<
  RouteSpec<undefined, Q, B, undefined, R>,
  'path' | 'summary' | 'query' | 'body' | 'responses' | 'handler'
>;

/** The page an emailed link opens: anyone may open it, and opening it changes nothing (mail scanners follow links). */
export function defineLinkPage<R extends Responses, Q extends z.ZodType>(
  api: Api,
  spec: PageSpec<Q, undefined, R>,
): void {
  defineRoute<R, undefined, Q>(api, { ...spec, method: 'get', auth: 'public', middleware: [publicPageHeaders] });
}

/** What a link page's form posts: URL-encoded, at most `limit` of it. */
export function defineFormPost<R extends Responses, B extends z.ZodType>(
  api: Api,
  spec: PageSpec<undefined, B, R> & { limit: string },
): void {
  const { limit, ...route } = spec;
  defineRoute<R, undefined, undefined, B>(api, {
    ...route,
    method: 'post',
    auth: 'public',
    middleware: [publicPageHeaders, express.urlencoded({ extended: false, limit })],
    bodyType: 'application/x-www-form-urlencoded',
  });
}

/** What a single-use token link opens, and the pages for a link that is done or cannot be used. */
export interface TokenLink<L extends { usedAt: Date | null; expiresAt: Date }> {
  find: (tokenHash: Buffer) => Promise<L | null>;
  /** What the link asks for is done already (the invitation accepted, the license active): `done` says so. */
  isDone?: (link: L) => boolean;
  done?: (link: L) => string;
  invalid: () => string;
}

/**
 * The page a single-use token link opens: `done` once what the link asks for is done (200), `invalid` for a
 * malformed, unknown, spent or expired link (410), else `show`, whose form carries the token on.
 */
export function defineTokenPage<L extends { usedAt: Date | null; expiresAt: Date }>(
  api: Api,
  link: TokenLink<L>,
  spec: Pick<PageSpec<undefined, undefined, Responses>, 'path' | 'summary'> & {
    /** The descriptions of the 200 and the 410. */
    pages: readonly [ok: string, gone: string];
    show: (token: string, link: L) => string;
  },
): void {
  defineLinkPage(api, {
    path: spec.path,
    summary: spec.summary,
    query: TokenQuery,
    responses: { 200: html(spec.pages[0]), 410: html(spec.pages[1]) },
    handler: async ({ query }) => {
      const opened = await openLink(query.token, link.find);
      if (opened && link.done && link.isDone?.(opened.link)) return reply(200, link.done(opened.link));
      if (!opened || !isUsable(opened.link)) return reply(410, link.invalid());
      return reply(200, spec.show(opened.token, opened.link));
    },
  });
}
