import { z } from 'zod';
import { escapeHtml } from '../../activities/templates/layout';
import { findInvitationLink } from '../../db/customers';
import { acceptInvitationUpdate, InvitationFailure, invitationWorkflowId } from '../../workflows/definitions';
import { sha256Hex } from '../../lib/hash';
import { type Api, html, reply } from '../http/define-route';
import type { AppDeps } from '../http/deps';
import { HttpError } from '../http/errors';
import { runUpdate } from '../http/lifecycles';
import { errorCode } from '../http/refusals';
import { defineFormPost, defineTokenPage, page, refuseAfterUpdate, refuseLink, type TokenLink } from './html';
import { formField, isUsable, openLink } from './schemas';

// The contact's side of the invitation (C2, C4, T3): a plain page reached only through the emailed link.

const words = { what: 'invitation', ask: 'Please ask your reseller to send you a new invitation email.' };

const alreadyAccepted = (link: { organizationName: string; resellerName: string }) =>
  page(
    'Invitation already accepted',
    `<h1>Invitation already accepted</h1><div role="status"><p>${escapeHtml(link.organizationName)} is already ` +
      `connected to ${escapeHtml(link.resellerName)}. There is nothing more to do.</p></div>`,
  );

type InvitationLink = NonNullable<Awaited<ReturnType<typeof findInvitationLink>>>;

const termsPage = (token: string, link: InvitationLink) => {
  const reseller = escapeHtml(link.resellerName);
  const organization = escapeHtml(link.organizationName);
  return page(
    `Accept ${link.resellerName}'s invitation`,
    `<h1>Accept ${reseller}'s invitation</h1>
         <p>Hello ${escapeHtml(link.contactFirstName)}, ${reseller} would like to manage software licenses for
            <strong>${organization}</strong>: ordering, renewing and supporting them on your behalf.</p>
         <p>By accepting, you confirm that you are the primary administrator of ${organization} and agree that
            ${reseller} acts as its reseller under the reseller terms.</p>
         <form method="post" action="/invitations/accept">
           <input type="hidden" name="token" value="${escapeHtml(token)}">
           <label><input type="checkbox" name="agree" value="yes" required>
             <span>I have read and accept the reseller terms for ${organization}.</span></label>
           <button type="submit">Accept invitation</button>
         </form>
         <p class="muted">This link works once and until ${escapeHtml(link.expiresAt.toUTCString())}.</p>`,
  );
};

const AcceptForm = z.object({ token: formField, agree: formField }).meta({ id: 'InvitationAcceptForm' });

export function invitationPages(api: Api, { sql, temporal }: AppDeps): void {
  const invitationLink: TokenLink<InvitationLink> = {
    find: (hash) => findInvitationLink(sql, hash),
    isDone: (link) => link.invitationStatus === 'accepted',
    done: alreadyAccepted,
    words,
  };

  // Opening the link shows the terms; nothing changes until the contact presses Accept (mail scanners follow links).
  defineTokenPage(api, invitationLink, {
    path: '/invitations/accept',
    summary: 'The invitation page: the reseller terms and an Accept button (C2, T3)',
    page: 'The terms to accept, or that they already were',
    show: termsPage,
  });

  defineFormPost(api, {
    path: '/invitations/accept',
    summary: 'The contact accepts the invitation (C2); refused when C4 forbids it',
    body: AcceptForm,
    limit: '4kb',
    responses: {
      200: html('Accepted, or already accepted'),
      400: html('The terms were not ticked'),
      404: html('The link is not valid: unknown or incomplete'),
      409: html('Refused: the admin is already primary admin of an organization with this exact name (C4)'),
      410: html('The link was already used, was replaced by a newer one, or has expired: the page says which'),
    },
    handler: async ({ body }) => {
      const opened = await openLink(body.token, invitationLink.find);
      if (!opened) return refuseLink(invitationLink, null);
      const { token, link } = opened;
      if (link.invitationStatus === 'accepted') return reply(200, alreadyAccepted(link));
      if (!isUsable(link)) return refuseLink(invitationLink, link);
      if (body.agree !== 'yes') {
        const again = `/invitations/accept?token=${escapeHtml(token)}`;
        const form = page(
          'Please accept the terms',
          '<h1>Please accept the terms</h1><div role="alert"><p>Tick the box to confirm you accept the reseller ' +
            `terms, then press Accept.</p></div><p><a href="${again}">Back to the invitation</a></p>`,
        );
        return reply(400, form);
      }
      try {
        const handle = temporal.workflow.getHandle(invitationWorkflowId(link.customerId));
        await runUpdate(handle, acceptInvitationUpdate, { tokenHash: sha256Hex(token) });
      } catch (err) {
        if (!(err instanceof HttpError)) throw err;
        // C4: the contact reads the reason; anything else (a spent or replaced link, an ended run): why, and ask again.
        if (err.code === errorCode(InvitationFailure.DuplicatePrimaryAdmin)) {
          const refused = page(
            'This invitation cannot be accepted',
            `<h1>This invitation cannot be accepted</h1><div role="alert"><p>${escapeHtml(err.message)}</p></div>
             <p>An administrator can be the primary admin of only one organization with this exact name. ` +
              `Please contact ${escapeHtml(link.resellerName)}.</p>`,
          );
          return reply(409, refused);
        }
        return refuseAfterUpdate(invitationLink, token, err);
      }
      const reseller = escapeHtml(link.resellerName);
      const accepted = page(
        'Invitation accepted',
        `<h1>Thank you — invitation accepted</h1>
         <div role="status"><p>${escapeHtml(link.organizationName)} is now connected to ${reseller}.</p></div>
         <p>${reseller} can now order and manage licenses for you. You can close this page.</p>`,
      );
      return reply(200, accepted);
    },
  });
}
