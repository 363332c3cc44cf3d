import { randomUUID } from 'node:crypto';
import { createReseller, type Permission } from '../../db/api-keys';
import type { Sql } from '../../db';
import type { CustomerDetails } from '../../workflows/definitions';

/** A fresh reseller (tenant) with one user and its API key, so tests never share state. */
export async function newReseller(sql: Sql, permissions: Permission[] = ['order', 'billing', 'admin']) {
  const tag = randomUUID().slice(0, 8);
  const email = `user-${tag}@reseller.test`;
  const created = await createReseller(sql, {
    name: `Reseller ${tag}`,
    user: { email, name: `User ${tag}`, permissions },
  });
  return { ...created, email };
}

export const uniqueEmail = (label = 'contact'): string => `${label}-${randomUUID().slice(0, 8)}@customer.test`;

/** C1: a complete, valid customer. */
export function customerDetails(overrides: Partial<CustomerDetails> = {}): CustomerDetails {
  return {
    organizationName: 'Nordic Print AB',
    organizationNameAscii: 'Nordic Print AB',
    marketSegment: 'commercial',
    type: 'team',
    country: 'US',
    addressLine1: '1 Market Street',
    addressLine2: null,
    city: 'San Francisco',
    postalCode: '94105',
    taxId: null,
    contact: { firstName: 'Astrid', lastName: 'Lind', email: uniqueEmail() },
    anniversaryDate: null,
    ...overrides,
  };
}

/** C1 as a POST /v1/customers body: the same customer without the optional fields left empty. */
export function customerBody(overrides: Partial<CustomerDetails> = {}) {
  const { addressLine2: _a, taxId: _t, anniversaryDate: _d, ...body } = customerDetails(overrides);
  return body;
}
