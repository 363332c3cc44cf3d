import { createHash } from 'node:crypto';
import express, { Router } from 'express';
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import type { Sql } from '../../db';
import { findInvitationLink } from '../../db/customers';
import { escapeHtml } from '../../activities/templates/layout';
import { page, publicPageHeaders } from '../pages';
import { acceptInvitationUpdate, InvitationFailure, invitationWorkflowId } from '../../workflows/definitions';

// The contact's side of the invitation (C2, C4, T3): a plain page reached only through the emailed link.

const Token = z.string().regex(/^[A-Za-z0-9_-]{20,100}$/);

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

  router.use(publicPageHeaders);

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
      res
        .status(400)
        .send(
          page(
            'Please accept the terms',
            `<h1>Please accept the terms</h1><div role="alert"><p>Tick the box to confirm you accept the reseller terms, then press Accept.</p></div><p><a href="/invitations/accept?token=${escapeHtml(token.data)}">Back to the invitation</a></p>`,
          ),
        );
      return;
    }
    try {
      await temporal.workflow
        .getHandle(invitationWorkflowId(link.customerId))
        .executeUpdate(acceptInvitationUpdate, { args: [{ tokenHash: hashOf(token.data).toString('hex') }] });
    } catch (err) {
      const type =
        err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure ? err.cause.type : null;
      if (type === InvitationFailure.DuplicatePrimaryAdmin) {
        res.status(409).send(
          page(
            'This invitation cannot be accepted',
            `<h1>This invitation cannot be accepted</h1><div role="alert"><p>${escapeHtml(err instanceof Error && err.cause instanceof Error ? err.cause.message : '')}</p></div>
             <p>An administrator can be the primary admin of only one organization with this exact name. Please contact ${escapeHtml(link.resellerName)}.</p>`,
          ),
        );
        return;
      }
      if (
        type === InvitationFailure.LinkInvalid ||
        err instanceof WorkflowUpdateFailedError ||
        (err as Error).name === 'WorkflowNotFoundError'
      ) {
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
