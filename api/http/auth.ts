import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Sql } from '../../db';
import { findPrincipalByApiKey, type Permission, type Principal } from '../../db/api-keys';
import { HttpError } from './errors';

declare module 'express-serve-static-core' {
  interface Request {
    principal?: Principal;
  }
}

/** T1/T2: `Authorization: Bearer <key>` names the reseller user, its tenant and permissions. */
export function authenticate(sql: Sql): RequestHandler {
  return async (req: Request, _res: Response, next: NextFunction) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1])
      return next(new HttpError(401, 'unauthenticated', 'Send an API key as "Authorization: Bearer <key>".'));
    const principal = await findPrincipalByApiKey(sql, match[1]);
    if (!principal) return next(new HttpError(401, 'unauthenticated', 'The API key is unknown or revoked.'));
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
