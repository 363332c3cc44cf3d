import { z } from 'zod';
import { search } from '../../db/search';
import { type Api, json } from '../http/define-route';
import type { AppDeps } from '../http/deps';
import { getRoute } from '../http/route-kinds';
import { HAS_TEXT } from '../http/schemas';

/** D3: the one search box. */
export const SearchQuery = z
  .object({
    q: z.string().trim().min(1, 'is required').max(100, 'must be at most 100 characters').meta({ pattern: HAS_TEXT }),
  })
  .strict();

export const SearchResults = z
  .object({
    results: z.array(
      z.object({
        type: z.enum(['user', 'company', 'order', 'serial', 'invoice']),
        id: z.uuid(),
        label: z.string(),
        url: z.string().nullable().meta({ description: 'The API resource; null for users, which have none' }),
      }),
    ),
  })
  .meta({ id: 'SearchResults' });

export function searchRoutes(api: Api, { sql }: AppDeps): void {
  getRoute(api, {
    path: '/v1/search',
    summary: 'One search box: users, companies, order numbers, serial numbers, invoices (D3)',
    query: SearchQuery,
    response: json('At most 20 hits, best first', SearchResults),
    answer: async (principal, query) => {
      // T2: invoices are billing's; a user without `billing` does not find them either.
      const invoices = principal.permissions.includes('billing');
      return { results: await search(sql, principal.resellerId, query.q, { invoices }) };
    },
  });
}
