import { z } from 'zod';
import type { Principal } from '../../db/api-keys';
import { notFound } from './errors';

const Id = z.uuid();

/**
 * T1: "this tenant's row, or 404" in one place. Another tenant's id, an unknown id and a malformed id all
 * answer the same 404, so an id never tells whether it exists elsewhere.
 */
export function ownedBy<T>(
  what: string,
  load: (resellerId: string, id: string) => Promise<T | null>,
): (principal: Pick<Principal, 'resellerId'>, id: string) => Promise<T> {
  return async (principal, id) => {
    const row = Id.safeParse(id).success ? await load(principal.resellerId, id) : null;
    if (!row) throw notFound(what);
    return row;
  };
}
