import type { z } from 'zod';
import type { Config } from '../../config';
import type { Principal } from '../../db/api-keys';
import type { CustomerListQuery } from '../../db/customers';
import { renewalWindowDays } from '../renewals/lifecycle';
import type { CustomerExportQuery } from './schemas';

export type CustomerFilterQuery = z.infer<typeof CustomerExportQuery>;

/** D1: the list filters of a parsed query, for the list, its CSV export (D2) and the map (D4) alike. */
export const customerListFilters = (
  config: Config,
  principal: Principal,
  query: CustomerFilterQuery,
): Omit<CustomerListQuery, 'limit' | 'after'> => ({
  status: query.status,
  q: query.q,
  email: query.email,
  filter: query.filter,
  managedBy: query.managedBy === 'me' ? principal.userId : undefined,
  windows: renewalWindowDays(config),
});
