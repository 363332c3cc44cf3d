import { z } from 'zod';
import { escapeHtml } from '../../activities/templates/layout';
import { activateResellerUser, findUserSetupLink, type UserSetupLink } from '../../db/reseller-users';
import { sha256 } from '../../lib/hash';
import { type Api, html, reply } from '../http/define-route';
import type { AppDeps } from '../http/deps';
import { hashPassword, passwordWeakness } from '../passwords';
import {
  defineFormPost,
  defineTokenPage,
  page,
  refuseLink,
  type TokenLink,
  newPasswordFields,
  setupFormFooter,
} from './html';
import { formField, isUsable, openLink } from './schemas';

// The invited reseller user's account setup (T2, T3): a plain page reached only through the emailed link, where
// the user chooses a strong password; the username is the email. Setting it activates the user.

const SetupForm = z.object({
  password: z.string().max(1000, 'The password can be at most 1000 characters.'),
  passwordConfirm: z.string(),
});
const SetupFields = z
  .object({ token: formField, password: formField, passwordConfirm: formField })
  .meta({ id: 'UserSetupForm' });

const words = {
  what: 'account setup',
  ask: "Please ask your reseller's administrator to invite you again.",
  used: 'If you set your password then, your account is active: sign in with your email address.',
};

const deactivated = () =>
  page(
    'This account has been deactivated',
    `<h1>This account has been deactivated</h1>
     <div role="alert"><p>Your reseller's administrator deactivated this account, so its setup link no longer ` +
      `works.</p></div><p>${escapeHtml(words.ask)}</p>`,
  );

function setupForm(token: string, link: UserSetupLink, problem?: string) {
  return page(
    'Set up your reseller portal account',
    `<h1>Set up your account at ${escapeHtml(link.resellerName)}</h1>
     ${problem ? `<div role="alert" id="problem"><p>${escapeHtml(problem)}</p></div>` : ''}
     <form method="post" action="/users/setup"${problem ? ' aria-describedby="problem"' : ''}>
       <input type="hidden" name="token" value="${escapeHtml(token)}">
       <p><strong>Username:</strong> ${escapeHtml(link.email)}</p>
       ${newPasswordFields()}
       <button type="submit">Activate account</button>
     </form>
     ${setupFormFooter(link.expiresAt)}`,
  );
}

export function userSetupPages(api: Api, { sql }: AppDeps): void {
  // Opening the link only shows the form (mail scanners follow links); nothing changes until it is sent.
  const setupLink: TokenLink<UserSetupLink> = {
    find: (hash) => findUserSetupLink(sql, hash),
    isDone: (link) => link.status === 'deactivated',
    done: deactivated,
    words,
  };
  defineTokenPage(api, setupLink, {
    path: '/users/setup',
    summary: "An invited reseller user's account setup form: a strong password (T2, T3)",
    page: 'The setup form, or that the account was deactivated',
    show: (token, link) => setupForm(token, link),
  });

  defineFormPost(api, {
    path: '/users/setup',
    summary: 'The invited user sets its password; the account becomes active (T2, T3)',
    body: SetupFields,
    limit: '8kb',
    responses: {
      200: html('The account is active'),
      400: html('The form again, with what to correct'),
      404: html('The link is not valid: unknown or incomplete'),
      410: html('The link was already used, was replaced by a newer one, has expired, or its account deactivated'),
    },
    handler: async ({ body }) => {
      const opened = await openLink(body.token, setupLink.find);
      if (!opened || !isUsable(opened.link)) return refuseLink(setupLink, opened?.link ?? null);
      const { token, link } = opened;
      if (link.status !== 'pending') return reply(410, deactivated());
      const form = SetupForm.safeParse(body);
      const problem = (message: string) => reply(400, setupForm(token, link, message));
      if (!form.success) return problem(form.error.issues[0]?.message ?? 'Please check the form.');
      const { password, passwordConfirm } = form.data;
      if (password !== passwordConfirm) return problem('The two passwords are not the same.');
      const weakness = passwordWeakness(password, [link.email, link.name, link.resellerName]);
      if (weakness) return problem(weakness);
      const passwordHash = await hashPassword(password);
      if ((await activateResellerUser(sql, { tokenHash: sha256(token), passwordHash })) === 'invalid') {
        // Spent, replaced or expired between the form and now (a second tab), or deactivated meanwhile.
        const now = await setupLink.find(sha256(token));
        return now && isUsable(now) ? reply(410, deactivated()) : refuseLink(setupLink, now);
      }
      return reply(
        200,
        page(
          'Your account is active',
          `<h1>Your account is active</h1>
           <div role="status"><p>Welcome to ${escapeHtml(link.resellerName)} in the reseller portal.</p></div>
           <p>Your username is <strong>${escapeHtml(link.email)}</strong>. Ask your administrator for an API key to ` +
            'connect your tools.</p>',
        ),
      );
    },
  });
}
