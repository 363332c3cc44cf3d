import { z } from 'zod';
import { search } from '../../db/search';
import { type Api, defineRoute, json, reply } from '../http/define-route';
import type { AppDeps } from '../http/deps';

/** D3: the one search box. */
export const SearchQuery = z
  .object({ q: z.string().trim().min(1, 'is required').max(100, 'must be at most 100 characters') })
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
  defineRoute(api, {
    method: 'get',
    path: '/v1/search',
    summary: 'One search box: users, companies, order numbers, serial numbers, invoices (D3)',
    query: SearchQuery,
    responses: { 200: json('At most 20 hits, best first', SearchResults) },
    handler: async ({ principal, query }) => {
      // T2: invoices are billing's; a user without `billing` does not find them either.
      const invoices = principal.permissions.includes('billing');
      return reply(200, { results: await search(sql, principal.resellerId, query.q, { invoices }) });
    },
  });
}
