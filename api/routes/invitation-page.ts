import { createHash } from 'node:crypto';
import express, { Router } from 'express';
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import type { Sql } from '../../db';
import { findInvitationLink } from '../../db/customers';
import { escapeHtml } from '../../activities/templates/layout';
import { acceptInvitationUpdate, FailureType, invitationWorkflowId } from '../../workflows/definitions';

// The contact's side of the invitation (C2, C4, T3): a plain page reached only through the emailed link.

const Token = z.string().regex(/^[A-Za-z0-9_-]{20,100}$/);

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)}</title>
<style>
  body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2933; background: #f5f7fa; }
  main { max-width: 34rem; margin: 3rem auto; padding: 2rem; background: #fff; border-radius: 8px; box-shadow: 0 1px 3px rgba(0,0,0,.1); }
  h1 { font-size: 1.5rem; line-height: 1.3; margin: 0 0 1rem; color: #102a43; }
  button { font: inherit; font-weight: 600; color: #fff; background: #1f5fbf; border: 0; border-radius: 6px; padding: .75rem 1.5rem; cursor: pointer; }
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

const invalidLink = () =>
  page(
    'This link is no longer valid',
    `<h1>This link is no longer valid</h1>
     <div role="alert"><p>The invitation link has expired, was already used, or was replaced by a newer one.</p></div>
     <p>Please ask your reseller to send you a new invitation email.</p>`,
  );

const alreadyAccepted = (link: { organizationName: string; resellerName: string }) =>
  page(
    'Invitation already accepted',
    `<h1>Invitation already accepted</h1><div role="status"><p>${escapeHtml(link.organizationName)} is already connected to ${escapeHtml(link.resellerName)}. There is nothing more to do.</p></div>`,
  );

export function invitationPageRouter({ sql, temporal }: { sql: Sql; temporal: Client }): Router {
  const router = Router();
  const hashOf = (token: string) => createHash('sha256').update(token).digest();

  router.use((_req, res, next) => {
    // The token is in the URL: keep it out of caches and Referer headers; the page needs no scripts.
    res.set({
      'Cache-Control': 'no-store',
      'Referrer-Policy': 'no-referrer',
      'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
      'X-Content-Type-Options': 'nosniff',
    });
    next();
  });

  // Opening the link shows the terms; nothing changes until the contact presses Accept (mail scanners follow links).
  router.get('/accept', async (req, res) => {
    const token = Token.safeParse(req.query.token);
    const link = token.success ? await findInvitationLink(sql, hashOf(token.data)) : null;
    if (link?.invitationStatus === 'accepted') {
      res.send(alreadyAccepted(link));
      return;
    }
    if (!token.success || !link || link.usedAt || link.expiresAt.getTime() <= Date.now()) {
      res.status(410).send(invalidLink());
      return;
    }
    res.send(
      page(
        `Accept ${link.resellerName}'s invitation`,
        `<h1>Accept ${escapeHtml(link.resellerName)}'s invitation</h1>
         <p>Hello ${escapeHtml(link.contactFirstName)}, ${escapeHtml(link.resellerName)} would like to manage software licenses for
            <strong>${escapeHtml(link.organizationName)}</strong>: ordering, renewing and supporting them on your behalf.</p>
         <p>By accepting, you confirm that you are the primary administrator of ${escapeHtml(link.organizationName)} and agree that
            ${escapeHtml(link.resellerName)} acts as its reseller under the reseller terms.</p>
         <form method="post" action="/invitations/accept">
           <input type="hidden" name="token" value="${escapeHtml(token.data)}">
           <label><input type="checkbox" name="agree" value="yes" required>
             <span>I have read and accept the reseller terms for ${escapeHtml(link.organizationName)}.</span></label>
           <button type="submit">Accept invitation</button>
         </form>
         <p class="muted">This link works once and until ${escapeHtml(link.expiresAt.toUTCString())}.</p>`,
      ),
    );
  });

  router.post('/accept', express.urlencoded({ extended: false, limit: '4kb' }), async (req, res) => {
    const token = Token.safeParse(req.body?.token);
    const link = token.success ? await findInvitationLink(sql, hashOf(token.data)) : null;
    if (!token.success || !link) {
      res.status(410).send(invalidLink());
      return;
    }
    if (link.invitationStatus === 'accepted') {
      res.send(alreadyAccepted(link));
      return;
    }
    if (req.body?.agree !== 'yes') {
      res.status(400).send(page('Please accept the terms', `<h1>Please accept the terms</h1><div role="alert"><p>Tick the box to confirm you accept the reseller terms, then press Accept.</p></div><p><a href="/invitations/accept?token=${escapeHtml(token.data)}">Back to the invitation</a></p>`));
      return;
    }
    try {
      await temporal.workflow
        .getHandle(invitationWorkflowId(link.customerId))
        .executeUpdate(acceptInvitationUpdate, { args: [{ tokenHash: hashOf(token.data).toString('hex') }] });
    } catch (err) {
      const type = err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure ? err.cause.type : null;
      if (type === FailureType.DuplicatePrimaryAdmin) {
        res.status(409).send(
          page(
            'This invitation cannot be accepted',
            `<h1>This invitation cannot be accepted</h1><div role="alert"><p>${escapeHtml(err instanceof Error && err.cause instanceof Error ? err.cause.message : '')}</p></div>
             <p>An administrator can be the primary admin of only one organization with this exact name. Please contact ${escapeHtml(link.resellerName)}.</p>`,
          ),
        );
        return;
      }
      if (type === FailureType.LinkInvalid || err instanceof WorkflowUpdateFailedError || (err as Error).name === 'WorkflowNotFoundError') {
        res.status(410).send(invalidLink());
        return;
      }
      throw err;
    }
    res.send(
      page(
        'Invitation accepted',
        `<h1>Thank you — invitation accepted</h1>
         <div role="status"><p>${escapeHtml(link.organizationName)} is now connected to ${escapeHtml(link.resellerName)}.</p></div>
         <p>${escapeHtml(link.resellerName)} can now order and manage licenses for you. You can close this page.</p>`,
      ),
    );
  });

  return router;
}
