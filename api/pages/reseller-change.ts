import { z } from 'zod';
import { codeHash } from '../../activities/reseller-change';
import { escapeHtml } from '../../activities/templates/layout';
import { findResellerChangeByCode } from '../../db/reseller-changes';
import { redeemCodeUpdate, resellerChangeWorkflowId } from '../../workflows/definitions';
import { type Api, html, reply } from '../http/define-route';
import type { AppDeps } from '../http/deps';
import { HttpError } from '../http/errors';
import { runUpdate } from '../http/lifecycles';
import { defineFormPost, defineLinkPage, page } from './html';
import { formField } from './schemas';

// X2: a customer admin confirms the reseller change from the link in the code email.

const Link = z.object({ request: z.uuid(), code: z.string().min(6).max(20) });
const LinkFields = z.object({ request: formField, code: formField }).meta({ id: 'ResellerChangeRedeemForm' });

const UNKNOWN =
  'This link is not one we sent, or it is incomplete. Open it again from the email, or copy the whole address.';

const unusable = (why: string) =>
  page(
    'This code cannot be used',
    `<h1>This code cannot be used</h1><div role="alert"><p>${escapeHtml(why)}</p></div>` +
      '<p>If you still want to change reseller, ask the new reseller to send a new code.</p>',
  );
/** T3: why a known code no longer works, in plain words (410); null while it still does. */
const gone = (r: { status: string; expiresAt: Date }): string | null => {
  if (r.status === 'locked')
    return 'Too many wrong codes were tried for this request, so it was locked to keep the code from being guessed.';
  if (r.status === 'expired' || (r.status === 'pending' && r.expiresAt.getTime() <= Date.now()))
    return `This code expired on ${r.expiresAt.toUTCString()}.`;
  if (r.status !== 'pending') return `This code can no longer be used: the request is ${r.status}.`;
  return null;
};

const completed = (title: string, heading: string, r: { organizationName: string; newResellerName: string }) =>
  page(
    title,
    `<h1>${heading}</h1><div role="status"><p>${escapeHtml(r.organizationName)} is now served by ` +
      `${escapeHtml(r.newResellerName)}.</p></div>`,
  );

export function resellerChangePages(api: Api, { sql, temporal, config }: AppDeps): void {
  /** The request and code a link carries, when well-formed, and the request they open; null for anything else. */
  const openLink = async (fields: z.infer<typeof LinkFields>) => {
    const p = Link.safeParse(fields);
    const r = p.success
      ? await findResellerChangeByCode(sql, p.data.request, codeHash(config.TOKEN_SECRET, p.data.code))
      : null;
    return p.success && r ? { ...p.data, r } : null;
  };

  defineLinkPage(api, {
    path: '/reseller-change/redeem',
    summary: 'The reseller change page: which customer moves to which reseller, and a Confirm button (X2, T3)',
    query: LinkFields,
    responses: {
      200: html('The change to confirm, or that it is done'),
      404: html('The link is not valid: unknown or incomplete'),
      410: html('The code has expired, or the request was locked after too many wrong codes: the page says which'),
    },
    handler: async ({ query }) => {
      const link = await openLink(query);
      if (!link) return reply(404, unusable(UNKNOWN));
      const { r } = link;
      if (r.status === 'redeemed') return reply(200, completed('Already done', 'Reseller change already completed', r));
      const why = gone(r);
      if (why) return reply(410, unusable(why));
      const organization = escapeHtml(r.organizationName);
      const reseller = escapeHtml(r.newResellerName);
      const body = page(
        `Move ${r.organizationName} to ${r.newResellerName}?`,
        `<h1>Move ${organization} to ${reseller}?</h1>
         <p>${reseller} will become the reseller for ${organization}. Your licenses and subscriptions move with you
            and keep working.</p>
         <form method="post" action="/reseller-change/redeem">
           <input type="hidden" name="request" value="${escapeHtml(link.request)}">
           <input type="hidden" name="code" value="${escapeHtml(link.code)}">
           <button type="submit">Confirm the reseller change</button>
         </form>
         <p class="muted">The code works once, until ${escapeHtml(r.expiresAt.toUTCString())}.</p>`,
      );
      return reply(200, body);
    },
  });

  defineFormPost(api, {
    path: '/reseller-change/redeem',
    summary: "A customer admin confirms the reseller change: the customer moves to the new reseller's list (X2)",
    body: LinkFields,
    limit: '2kb',
    responses: {
      200: html('The customer has moved'),
      404: html('The link is not valid: unknown or incomplete'),
      409: html('The change was refused for another reason (the customer changed hands meanwhile), with it'),
      410: html('The code has expired, or the request was locked after too many wrong codes: the page says which'),
    },
    handler: async ({ body }) => {
      const link = await openLink(body);
      if (!link) return reply(404, unusable(UNKNOWN));
      if (link.r.status === 'redeemed')
        return reply(200, completed('Already done', 'Reseller change already completed', link.r));
      const why = gone(link.r);
      if (why) return reply(410, unusable(why));
      try {
        const handle = temporal.workflow.getHandle(resellerChangeWorkflowId(link.request));
        await runUpdate(handle, redeemCodeUpdate, {
          codeHash: codeHash(config.TOKEN_SECRET, link.code),
          actor: 'customer-admin',
        });
      } catch (err) {
        if (!(err instanceof HttpError)) throw err;
        // Refused meanwhile: expired or locked (410, why), else the lifecycle's own reason.
        const now = await openLink(body);
        const whyNow = now && gone(now.r);
        return whyNow ? reply(410, unusable(whyNow)) : reply(409, unusable(err.message));
      }
      return reply(200, completed('Reseller change completed', 'Reseller change completed', link.r));
    },
  });
}
