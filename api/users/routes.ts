import { z } from 'zod';
import { durationMs } from '../../workflows/duration';
import { type ApiKeyRow, createApiKey, findApiKey, listApiKeys, revokeApiKeyById } from '../../db/api-keys';
import {
  deactivateResellerUser,
  findResellerUser,
  inviteResellerUser,
  listResellerUsers,
  type ResellerUserRow,
  setResellerUserPermissions,
  type UserChangeOutcome,
} from '../../db/reseller-users';
import { type UserInvitationInput, userInvitationWorkflowId } from '../../workflows/definitions';
import { type Api, created, defineRoute, json, reply } from '../http/define-route';
import type { AppDeps } from '../http/deps';
import { HttpError, notFound } from '../http/errors';
import { createdHeaders, IdempotencyHeaders, resourceIdFor } from '../http/idempotency';
import { createLifecycle } from '../http/lifecycles';
import { ownedBy } from '../http/owned';
import { getOwnedRoute, getRoute, ownedRoute } from '../http/route-kinds';
import { IdParam, iso } from '../http/schemas';
import {
  ApiKey,
  ApiKeyCreateBody,
  ApiKeyIssued,
  ApiKeyList,
  User,
  UserInviteBody,
  UserKeyParams,
  UserList,
  UserPermissionsBody,
} from './schemas';

// The Users tab (T2): the license owner (`admin`) invites the reseller's users, sets their permissions, deactivates
// them, and issues and revokes their API keys. Every change is audited (db/reseller-users.ts, db/api-keys.ts).

const userJson = (u: ResellerUserRow): z.infer<typeof User> => ({
  id: u.id,
  email: u.email,
  name: u.name,
  permissions: u.permissions,
  status: u.status,
  createdAt: u.createdAt.toISOString(),
  activatedAt: iso(u.activatedAt),
  deactivatedAt: iso(u.deactivatedAt),
});

const keyJson = (k: ApiKeyRow): z.infer<typeof ApiKey> => ({
  id: k.id,
  name: k.name,
  prefix: k.prefix,
  createdAt: k.createdAt.toISOString(),
  lastUsedAt: iso(k.lastUsedAt),
  revokedAt: iso(k.revokedAt),
});

const lastAdmin = () =>
  new HttpError(
    409,
    'last_admin',
    'This is the last active admin of the reseller: grant `admin` to another active user first (T2).',
  );

/** The user after a change, or the change's refusal. */
function changed(outcome: UserChangeOutcome): ResellerUserRow {
  if (outcome === 'not_found') throw notFound('User');
  if (outcome === 'last_admin') throw lastAdmin();
  return outcome.user;
}

export function userRoutes(api: Api, { sql, temporal, config }: AppDeps): void {
  const ownUser = ownedBy('User', (resellerId, id) => findResellerUser(sql, resellerId, id));

  getRoute(api, {
    path: '/v1/users',
    summary: "The reseller's users, their permissions and status (T2)",
    permission: 'admin',
    query: z.object({}).strict(),
    response: json("The reseller's users, oldest first", UserList),
    answer: async (principal) => ({ data: (await listResellerUsers(sql, principal.resellerId)).map(userJson) }),
  });

  // T2/T3: invited by email; pending until the user sets a password through the emailed single-use link.
  defineRoute(api, {
    method: 'post',
    path: '/v1/users',
    summary: 'Invite a user by email, with its permissions; it sets up its account through the emailed link (T2, T3)',
    permission: 'admin',
    headers: IdempotencyHeaders,
    body: UserInviteBody,
    responses: { 201: json('The invited user, pending', User, createdHeaders('The user')) },
    errors: [[409, 'Another user of the reseller has this email'], 422],
    handler: async ({ principal, actor, headers, body }) => {
      const { id, replayed } = await resourceIdFor(sql, principal.resellerId, headers['Idempotency-Key'], body);
      const input: UserInvitationInput = {
        userId: id,
        resellerId: principal.resellerId,
        linkExpiresAt: new Date(Date.now() + durationMs(config.USER_SETUP_LINK_TTL)).toISOString(),
      };
      const stored = await createLifecycle(sql, temporal, config, async (tx) => {
        const invited = await inviteResellerUser(tx, { id, resellerId: principal.resellerId, actor, ...body });
        if (invited === 'email_taken')
          throw new HttpError(409, 'email_taken', 'email: another user of the reseller has this email.');
        return {
          row: invited.user,
          start: {
            workflowType: 'userInvitationWorkflow',
            workflowId: userInvitationWorkflowId(id),
            args: [input],
            lifecycle: 'user-invitation',
            resellerId: principal.resellerId,
          },
        };
      });
      const user = stored ?? (await ownUser(principal, id));
      return created(`/v1/users/${id}`, userJson(user), replayed);
    },
  });

  getOwnedRoute(api, {
    path: '/v1/users/{id}',
    summary: 'One of the reseller users, its permissions and status (T2)',
    permission: 'admin',
    response: json('The user', User),
    own: ownUser,
    view: userJson,
  });

  // T2: the last active admin cannot be demoted (nor demote itself).
  ownedRoute(api, {
    method: 'put',
    path: '/v1/users/{id}/permissions',
    summary: "Set the user's permissions, replacing the earlier ones; the last admin keeps `admin` (T2)",
    permission: 'admin',
    body: UserPermissionsBody,
    responses: { 200: json('The user with its new permissions', User) },
    errors: [[409, 'The last active admin cannot lose `admin`']],
    own: ownUser,
    handler: async (user, { actor, body }) => {
      const outcome = await setResellerUserPermissions(sql, {
        resellerId: user.resellerId,
        userId: user.id,
        permissions: body.permissions,
        actor,
      });
      return reply(200, userJson(changed(outcome)));
    },
  });

  // T2: its keys stop working within the API's key cache TTL (API_KEY_CACHE_TTL).
  ownedRoute(api, {
    method: 'post',
    path: '/v1/users/{id}/deactivate',
    summary: 'Deactivate the user: its API keys stop working; the last admin cannot be deactivated (T2)',
    permission: 'admin',
    responses: { 200: json('The deactivated user', User) },
    errors: [[409, 'The last active admin cannot be deactivated']],
    own: ownUser,
    handler: async (user, { actor }) =>
      reply(
        200,
        userJson(changed(await deactivateResellerUser(sql, { resellerId: user.resellerId, userId: user.id, actor }))),
      ),
  });

  ownedRoute(api, {
    method: 'get',
    path: '/v1/users/{id}/api-keys',
    summary: "The user's API keys: name, created, last used, revoked; never the key itself (T2)",
    permission: 'admin',
    responses: { 200: json("The user's keys, newest first", ApiKeyList) },
    own: ownUser,
    handler: async (user) => reply(200, { data: (await listApiKeys(sql, user.id)).map(keyJson) }),
  });

  // T2: shown once. With an Idempotency-Key a repeat cannot answer the key again (only its hash is kept): 409.
  defineRoute(api, {
    method: 'post',
    path: '/v1/users/{id}/api-keys',
    summary: 'Issue an API key for an active user: the key is in this answer only, stored hashed (T2)',
    permission: 'admin',
    params: IdParam,
    headers: IdempotencyHeaders,
    body: ApiKeyCreateBody,
    responses: { 201: json('The key, shown this once', ApiKeyIssued, createdHeaders('The key')) },
    errors: [[409, 'The user is not active, or this Idempotency-Key already issued a key (shown once)'], 422],
    handler: async ({ principal, actor, params, headers, body }) => {
      const user = await ownUser(principal, params.id);
      const { id } = await resourceIdFor(sql, principal.resellerId, headers['Idempotency-Key'], {
        userId: user.id,
        ...body,
      });
      const issued = await createApiKey(sql, {
        id,
        resellerId: user.resellerId,
        userId: user.id,
        name: body.name,
        actor,
      });
      if (issued === 'issued')
        throw new HttpError(
          409,
          'api_key_already_issued',
          `This Idempotency-Key already issued key ${id}, whose secret was shown once: revoke it and issue a new one ` +
            'if it was lost.',
        );
      if (issued === 'not_active')
        throw new HttpError(
          409,
          'user_not_active',
          `The user is ${user.status}: keys are issued to active users (an invited user sets up its account first).`,
        );
      return created(`/v1/users/${user.id}/api-keys/${id}`, { ...keyJson(issued.row), key: issued.key }, false);
    },
  });

  // T2: refused from then on (within the API's key cache TTL); revoking a revoked key answers it as it is.
  defineRoute(api, {
    method: 'delete',
    path: '/v1/users/{id}/api-keys/{keyId}',
    summary: "Revoke one of the user's API keys (T2)",
    permission: 'admin',
    params: UserKeyParams,
    responses: { 200: json('The revoked key', ApiKey) },
    handler: async ({ principal, actor, params }) => {
      const user = await ownUser(principal, params.id);
      const revoked = await revokeApiKeyById(sql, {
        resellerId: user.resellerId,
        userId: user.id,
        keyId: params.keyId,
        actor,
      });
      const key = revoked ?? (await findApiKey(sql, user.resellerId, user.id, params.keyId));
      if (!key) throw notFound('API key');
      return reply(200, keyJson(key));
    },
  });
}
