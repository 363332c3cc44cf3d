import { z } from 'zod';
import { escapeHtml } from '../../activities/templates/layout';
import { findContactLink, PRODUCT_NAMES, storeContactPassword } from '../../db/subscriptions';
import { completeContactSetupUpdate, subscriptionWorkflowId } from '../../workflows/definitions';
import { sha256Hex } from '../../lib/hash';
import { hashPassword, passwordWeakness } from '../passwords';
import { type Api, html, reply } from '../http/define-route';
import type { AppDeps } from '../http/deps';
import { HttpError } from '../http/errors';
import { runUpdate } from '../http/lifecycles';
import {
  defineFormPost,
  defineTokenPage,
  page,
  refuseAfterUpdate,
  refuseLink,
  type TokenLink,
  newPasswordFields,
  setupFormFooter,
} from './html';
import { formField, isUsable, openLink, Token } from './schemas';

// The contact's account setup (E2, T3): a plain page reached only through the emailed link, where the
// contact enters contact details and sets a strong password; the username is the email.

const SetupForm = z.object({
  token: Token,
  name: z.string().trim().min(1, 'Enter your name.').max(200, 'Your name can be at most 200 characters.'),
  phone: z
    .string()
    .trim()
    .max(40, 'The phone number can be at most 40 characters.')
    .regex(/^[0-9+()./\s-]*$/, 'The phone number may contain digits, spaces and + ( ) - . / only.')
    .transform((s) => s || null),
  password: z.string().max(1000, 'The password can be at most 1000 characters.'),
  passwordConfirm: z.string(),
});
const SetupFields = z
  .object({ token: formField, name: formField, phone: formField, password: formField, passwordConfirm: formField })
  .meta({ id: 'ContactSetupForm' });

type Link = NonNullable<Awaited<ReturnType<typeof findContactLink>>>;

const words = {
  what: 'account setup',
  ask: 'Please ask your reseller to invite you again.',
  used: 'If you already set your password, sign in with your email address and that password.',
};

function setupForm(token: string, link: Link, values: { name?: string; phone?: string } = {}, problem?: string) {
  const product = PRODUCT_NAMES[link.product];
  const company = escapeHtml(link.companyName);
  return page(
    `Set up your ${product} account`,
    `<h1>Set up your account for ${company}</h1>
     <p>${escapeHtml(link.resellerName)} invited you to manage ${company}'s email signatures in
        ${escapeHtml(product)}.</p>
     ${problem ? `<div role="alert" id="problem"><p>${escapeHtml(problem)}</p></div>` : ''}
     <form method="post" action="/subscription-contact/setup"${problem ? ' aria-describedby="problem"' : ''}>
       <input type="hidden" name="token" value="${escapeHtml(token)}">
       <p><strong>Username:</strong> ${escapeHtml(link.email)}</p>
       <p class="field"><label for="name">Your name</label>
         <input id="name" name="name" type="text" autocomplete="name" required maxlength="200"
           value="${escapeHtml(values.name ?? link.contactName)}"></p>
       <p class="field"><label for="phone">Phone (optional)</label>
         <input id="phone" name="phone" type="tel" autocomplete="tel" maxlength="40"
           value="${escapeHtml(values.phone ?? '')}"></p>
       ${newPasswordFields()}
       <button type="submit">Create account</button>
     </form>
     ${setupFormFooter(link.expiresAt)}`,
  );
}

export function subscriptionContactPages(api: Api, { sql, temporal }: AppDeps): void {
  // Opening the link only shows the form (mail scanners follow links); nothing changes until it is sent.
  const contactLink: TokenLink<Link> = { find: (hash) => findContactLink(sql, hash), words };
  defineTokenPage(api, contactLink, {
    path: '/subscription-contact/setup',
    summary: "The contact's account setup form: contact details and a strong password (E2, T3)",
    page: 'The setup form',
    show: (token, link) => setupForm(token, link),
  });

  defineFormPost(api, {
    path: '/subscription-contact/setup',
    summary: 'The contact sets up the account; the username is the email (E2)',
    body: SetupFields,
    limit: '8kb',
    responses: {
      200: html('The account is ready'),
      400: html('The form again, with what to correct'),
      404: html('The link is not valid: unknown or incomplete'),
      409: html('The subscription refused the setup now (ended meanwhile, or try again), with the reason'),
      410: html('The link was already used, was replaced by a newer one, or has expired: the page says which'),
    },
    handler: async ({ body }) => {
      const opened = await openLink(body.token, contactLink.find);
      if (!opened || !isUsable(opened.link)) return refuseLink(contactLink, opened?.link ?? null);
      const { token, link } = opened;
      const form = SetupForm.safeParse(body);
      const values = { name: body.name ?? '', phone: body.phone ?? '' };
      const problem = (message: string) => reply(400, setupForm(token, link, values, message));
      if (!form.success) return problem(form.error.issues[0]?.message ?? 'Please check the form.');
      const { name, phone, password, passwordConfirm } = form.data;
      if (password !== passwordConfirm) return problem('The two passwords are not the same.');
      const weakness = passwordWeakness(password, [link.email, name, link.companyName]);
      if (weakness) return problem(weakness);
      await storeContactPassword(sql, {
        subscriptionId: link.subscriptionId,
        email: link.email,
        passwordHash: await hashPassword(password),
      });
      try {
        const handle = temporal.workflow.getHandle(subscriptionWorkflowId(link.subscriptionId));
        const tokenHash = sha256Hex(token);
        await runUpdate(handle, completeContactSetupUpdate, { tokenHash, name, phone });
      } catch (err) {
        // A link spent, replaced or expired meanwhile (the page says which), or an ended subscription.
        if (err instanceof HttpError) return refuseAfterUpdate(contactLink, token, err);
        throw err;
      }
      const ready = page(
        'Your account is ready',
        `<h1>Your account is ready</h1>
         <div role="status"><p>You can now manage ${escapeHtml(link.companyName)}'s email signatures.</p></div>
         <p>Sign in with your email address, <strong>${escapeHtml(link.email)}</strong>, and the password you just ` +
          'chose.</p>',
      );
      return reply(200, ready);
    },
  });
}
