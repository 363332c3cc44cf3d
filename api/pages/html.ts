import type { RequestHandler } from 'express';
import { formBody } from '../http/body-parsers';
import type { z } from 'zod';
import { escapeHtml } from '../../activities/templates/layout';
import { type Api, defineRoute, html, type Responses, type RouteSpec, reply } from '../http/define-route';
import type { LinkState } from '../../db/access-tokens';
import { sha256 } from '../../lib/hash';
import { MIN_PASSWORD_LENGTH } from '../passwords';
import { type LinkProblem, linkProblem, openLink, TokenQuery } from './schemas';

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
    middleware: [publicPageHeaders, ...formBody(limit)],
    bodyType: 'application/x-www-form-urlencoded',
  });
}

/** The words of a link page that cannot be used: what the link was for and what the contact can do now. */
export interface LinkWords {
  /** "invitation", "activation", "account setup": the link's purpose in "This … link". */
  what: string;
  /** What to do to get a working link, e.g. "Please ask your reseller to send you a new invitation email." */
  ask: string;
  /** What to say of a used link when its purpose might be done, e.g. "sign in with your email address". */
  used?: string;
}

/** T3: a link that does not work says plainly why: unknown (404), or used, replaced or expired (410). */
export function linkProblemPage(
  problem: LinkProblem,
  words: LinkWords,
  link: Pick<LinkState, 'usedAt' | 'expiresAt' | 'revokedReason'> | null = null,
): { status: 404 | 410; body: string } {
  const when = (d: Date | null | undefined) => (d ? ` on ${escapeHtml(d.toUTCString())}` : '');
  const ask = `<p>${escapeHtml(words.ask)}</p>`;
  const texts: Record<LinkProblem, [title: string, why: string, next: string]> = {
    unknown: [
      'This link is not valid',
      `This ${words.what} link is not one we sent, or it is incomplete. Open it again from the email, or copy ` +
        'the whole address into your browser.',
      ask,
    ],
    used: [
      'This link was already used',
      `This ${words.what} link works once, and it was used${when(link?.usedAt)}.`,
      words.used ? `<p>${escapeHtml(words.used)}</p>` : ask,
    ],
    replaced: [
      'This link was replaced by a newer one',
      link?.revokedReason === 'contact_email_changed'
        ? `The email address this ${words.what} link was sent to has been corrected, and a new link was sent to ` +
          'the corrected address. This one no longer works.'
        : `A newer email with a new ${words.what} link was sent to you. Please use the link in the most recent email.`,
      ask,
    ],
    expired: ['This link has expired', `This ${words.what} link expired${when(link?.expiresAt)}.`, ask],
  };
  const [title, why, next] = texts[problem];
  return {
    status: problem === 'unknown' ? 404 : 410,
    body: page(title, `<h1>${escapeHtml(title)}</h1><div role="alert"><p>${why}</p></div>${next}`),
  };
}

/** What a single-use token link opens, and the pages for a link that is done or cannot be used. */
export interface TokenLink<L extends LinkState> {
  find: (tokenHash: Buffer) => Promise<L | null>;
  /** What the link asks for is done already (the invitation accepted, the license active): `done` says so. */
  isDone?: (link: L) => boolean;
  done?: (link: L) => string;
  words: LinkWords;
}

/** The answer for a link that cannot be used, and why (linkProblemPage). */
export const refuseLink = <L extends LinkState>(link: TokenLink<L>, found: L | null, problem?: LinkProblem) => {
  const gone = linkProblemPage(problem ?? linkProblem(found) ?? 'used', link.words, found);
  return reply(gone.status, gone.body);
};

/**
 * After the lifecycle refused a link's form (the link went bad meanwhile, or the run refused for another
 * reason): why, read again from the link; a link that still looks usable gets the refusal's own words (409).
 */
export async function refuseAfterUpdate<L extends LinkState>(link: TokenLink<L>, token: string, refusal: Error) {
  const found = await link.find(sha256(token));
  const problem = linkProblem(found);
  if (problem) return refuseLink(link, found, problem);
  const body = page(
    'This link cannot be used now',
    `<h1>This link cannot be used now</h1><div role="alert"><p>${escapeHtml(refusal.message)}</p></div>` +
      `<p>${escapeHtml(link.words.ask)}</p>`,
  );
  return reply(409, body);
}

/**
 * The page a single-use token link opens: `done` once what the link asks for is done (200), why it cannot be
 * used for a malformed or unknown link (404) or a used, replaced or expired one (410), else `show`, whose form
 * carries the token on.
 */
export function defineTokenPage<L extends LinkState>(
  api: Api,
  link: TokenLink<L>,
  spec: Pick<PageSpec<undefined, undefined, Responses>, 'path' | 'summary'> & {
    /** The description of the 200. */
    page: string;
    show: (token: string, link: L) => string;
  },
): void {
  defineLinkPage(api, {
    path: spec.path,
    summary: spec.summary,
    query: TokenQuery,
    responses: {
      200: html(spec.page),
      404: html('The link is not valid: unknown or incomplete'),
      410: html('The link was already used, was replaced by a newer one, or has expired: the page says which'),
    },
    handler: async ({ query }) => {
      const opened = await openLink(query.token, link.find);
      if (opened && link.done && link.isDone?.(opened.link)) return reply(200, link.done(opened.link));
      const problem = linkProblem(opened?.link ?? null);
      if (!opened || problem) return refuseLink(link, opened?.link ?? null, problem ?? undefined);
      return reply(200, spec.show(opened.token, opened.link));
    },
  });
}

/** The new password and its repetition, on every account set-up form (T3: contacts, E2; reseller users, T2). */
export const newPasswordFields = (): string =>
  `<p class="field"><label for="password">Password</label>
         <input id="password" name="password" type="password" autocomplete="new-password" required
           minlength="${MIN_PASSWORD_LENGTH}" aria-describedby="password-help">
         <span id="password-help" class="muted">At least ${MIN_PASSWORD_LENGTH} characters and hard to guess: a few
           unrelated words work well.</span></p>
       <p class="field"><label for="passwordConfirm">Repeat the password</label>
         <input id="passwordConfirm" name="passwordConfirm" type="password" autocomplete="new-password" required></p>`;

/** Under a set-up form: how long its link works, and the form fields' layout. */
export const setupFormFooter = (expiresAt: Date): string =>
  `<p class="muted">This link works once and until ${escapeHtml(expiresAt.toUTCString())}.</p>
     <style>.field label { display: block; margin: 0 0 .25rem; font-weight: 600; }
       .field input { font: inherit; width: 100%; box-sizing: border-box; padding: .5rem; }
       .field .muted { display: block; margin-top: .25rem; }
       input:focus-visible { outline: 3px solid #f0b429; outline-offset: 1px; }</style>`;
