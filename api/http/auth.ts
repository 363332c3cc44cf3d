import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Sql } from '../../db';
import { findPrincipalByApiKey, type Permission, type Principal } from '../../db/api-keys';
import { TtlCache } from '../../lib/ttl-cache';
import { HttpError } from './errors';

declare module 'express-serve-static-core' {
  interface Request {
    principal?: Principal;
  }
}

/**
 * T1/T2: `Authorization: Bearer <key>` names the reseller user, its tenant and permissions. A key found is
 * trusted for `cacheTtlMs` (revocation takes effect within it), so most requests skip the lookup; unknown keys
 * are never cached, so guessing cannot crowd the known ones out.
 */
export function authenticate(sql: Sql, cache: { cacheTtlMs: number; cacheMax: number }): RequestHandler {
  const known = new TtlCache<string, Principal>(cache.cacheTtlMs, cache.cacheMax);
  return async (req: Request, _res: Response, next: NextFunction) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1])
      return next(new HttpError(401, 'unauthenticated', 'Send an API key as "Authorization: Bearer <key>".'));
    const key = match[1];
    let principal = known.get(key) ?? null;
    if (!principal) {
      principal = await findPrincipalByApiKey(sql, key);
      if (!principal) return next(new HttpError(401, 'unauthenticated', 'The API key is unknown or revoked.'));
      known.set(key, principal);
    }
    req.principal = principal;
    next();
  };
}

export function principalOf(req: Request): Principal {
  if (!req.principal) throw new HttpError(401, 'unauthenticated', 'Not authenticated.');
  return req.principal;
}

/** T2: a user without the permission gets 403 (the resource is theirs to see, not to change). */
export function requirePermission(req: Request, permission: Permission): void {
  if (!principalOf(req).permissions.includes(permission))
    throw new HttpError(403, 'forbidden', `This needs the "${permission}" permission.`);
}

export const actorOf = (principal: Principal): string => `user:${principal.userId}`;
