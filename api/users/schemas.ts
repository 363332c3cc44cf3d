import { z } from 'zod';
import { email, isoTime, requestBody, text } from '../http/schemas';

// The Users tab's shapes (T2): the license owner's reseller users, their permissions and their API keys.

/** T2: what the license owner grants; `support` is the operators' own and never granted by a reseller. */
export const GrantablePermission = z.enum(['order', 'billing', 'admin'], {
  error: 'must be one of order, billing, admin',
});
const permissions = z.array(GrantablePermission, { error: 'must be a list of permissions' }).max(3);

export const UserInviteBody = requestBody('UserInvite', {
  email,
  name: text(200),
  permissions,
});

export const UserPermissionsBody = requestBody('UserPermissions', { permissions });

export const ApiKeyCreateBody = requestBody('ApiKeyCreate', { name: text(100) });

export const UserKeyParams = z.object({ id: z.uuid(), keyId: z.uuid() });

export const User = z
  .object({
    id: z.uuid(),
    email: z.string(),
    name: z.string(),
    permissions: z.array(z.string()),
    status: z.enum(['pending', 'active', 'deactivated']).meta({
      description: 'pending until the user sets up its account through the emailed link',
    }),
    createdAt: isoTime,
    activatedAt: isoTime.nullable(),
    deactivatedAt: isoTime.nullable(),
  })
  .meta({ id: 'User' });

export const UserList = z.object({ data: z.array(User) }).meta({ id: 'UserList' });

export const ApiKey = z
  .object({
    id: z.uuid(),
    name: z.string(),
    prefix: z.string().meta({ description: 'The public part of the key, `rk_<prefix>_…`, to tell keys apart' }),
    createdAt: isoTime,
    lastUsedAt: isoTime.nullable().meta({ description: 'To the minute' }),
    revokedAt: isoTime.nullable(),
  })
  .meta({ id: 'ApiKey' });

export const ApiKeyIssued = ApiKey.extend({
  key: z.string().meta({ description: 'The key itself: shown in this answer only, never again' }),
}).meta({ id: 'ApiKeyIssued' });

export const ApiKeyList = z.object({ data: z.array(ApiKey) }).meta({ id: 'ApiKeyList' });
