import { Router } from 'express';
import type { Sql } from '../../db';
import { search } from '../../db/search';
import { principalOf } from '../auth';
import { parse } from '../errors';
import { SearchQuery } from '../schemas';

/** D3: GET /v1/search?q= — one search box over users, companies, orders, serial numbers and invoices (T1, T2). */
export function searchRouter({ sql }: { sql: Sql }): Router {
  const router = Router();
  router.get('/', async (req, res) => {
    const { q } = parse(SearchQuery, req.query, 'query');
    const principal = principalOf(req);
    // T2: invoices are billing's; a user without `billing` does not find them either.
    const results = await search(sql, principal.resellerId, q, { invoices: principal.permissions.includes('billing') });
    res.json({ results });
  });
  return router;
}
