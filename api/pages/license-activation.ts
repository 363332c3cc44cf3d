import { z } from 'zod';
import { escapeHtml } from '../../activities/templates/layout';
import { findActivationLink, lifecycleKindOf } from '../../db/orders';
import { activateLicenseUpdate, orderWorkflowId } from '../../workflows/definitions';
import { sha256Hex } from '../../lib/hash';
import { type Api, html, reply } from '../http/define-route';
import type { AppDeps } from '../http/deps';
import { HttpError } from '../http/errors';
import { runUpdate } from '../http/lifecycles';
import { defineFormPost, defineTokenPage, page, refuseAfterUpdate, refuseLink, type TokenLink } from './html';
import { formField, isUsable, openLink } from './schemas';

// O4/O7: the customer activates the license from the emailed link; resellers cannot.

const words = { what: 'activation', ask: 'Please contact your reseller for a new activation email.' };
const done = (serial: string) =>
  page(
    'License activated',
    `<h1>License activated</h1><div role="status"><p>License ${escapeHtml(serial)} is active.</p></div>` +
      `<p>Enter the serial number <strong>${escapeHtml(serial)}</strong> when PrintFactory asks for it.</p>`,
  );

type ActivationLink = NonNullable<Awaited<ReturnType<typeof findActivationLink>>>;

const activationPage = (token: string, link: ActivationLink) => {
  const serial = escapeHtml(link.serialNumber);
  return page(
    'Activate your PrintFactory license',
    `<h1>Activate your PrintFactory license</h1>
         <p>${escapeHtml(link.organizationName)}: PrintFactory ${escapeHtml(link.plan)}` +
      `${link.kind === 'trial' ? ' (trial)' : ''}, serial number <strong>${serial}</strong>.</p>
         <form method="post" action="/licenses/activate">
           <input type="hidden" name="token" value="${escapeHtml(token)}">
           <button type="submit">Activate license</button>
         </form>`,
  );
};

const ActivateForm = z.object({ token: formField }).meta({ id: 'LicenseActivationForm' });

export function licenseActivationPages(api: Api, { sql, temporal }: AppDeps): void {
  const activationLink: TokenLink<ActivationLink> = {
    find: (hash) => findActivationLink(sql, hash),
    isDone: (link) => link.licenseStatus === 'active',
    done: (link) => done(link.serialNumber),
    words,
  };

  defineTokenPage(api, activationLink, {
    path: '/licenses/activate',
    summary: 'The activation page: the license and an Activate button (O4, O8, T3)',
    page: 'The license to activate, or that it is active',
    show: activationPage,
  });

  defineFormPost(api, {
    path: '/licenses/activate',
    summary: 'The customer activates the license (O4, O7)',
    body: ActivateForm,
    limit: '2kb',
    responses: {
      200: html('Activated, with the serial number'),
      404: html('The link is not valid: unknown or incomplete'),
      409: html('The order refused the activation now (deleted meanwhile, or try again), with the reason'),
      410: html('The link was already used, was replaced by a newer one, or has expired: the page says which'),
    },
    handler: async ({ body }) => {
      const opened = await openLink(body.token, activationLink.find);
      if (!opened) return refuseLink(activationLink, null);
      const { token, link } = opened;
      if (link.licenseStatus === 'active') return reply(200, done(link.serialNumber));
      if (!isUsable(link)) return refuseLink(activationLink, link);
      try {
        const handle = temporal.workflow.getHandle(orderWorkflowId(lifecycleKindOf(link), link.orderId));
        await runUpdate(handle, activateLicenseUpdate, { tokenHash: sha256Hex(token) });
      } catch (err) {
        if (err instanceof HttpError) return refuseAfterUpdate(activationLink, token, err);
        throw err;
      }
      return reply(200, done(link.serialNumber));
    },
  });
}
