import { randomUUID } from 'node:crypto';
import type { Mailer } from '../../activities/mailer';
import { createOrderActivities } from '../../activities/orders';
import type { Config } from '../../config';
import { createReseller, type Permission } from '../../db/api-keys';
import { registerCustomer } from '../../db/customers';
import type { Sql } from '../../db';
import type { CustomerDetails, OrderInput } from '../../workflows/definitions';

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

export type Reseller = Awaited<ReturnType<typeof newReseller>>;

/**
 * A fresh reseller that a test file's tests share, created before them (`db` may be a stack that its own
 * earlier hook starts).
 */
export function resellerForSuite(db: { sql: Sql }, permissions?: Permission[]): Reseller {
  const reseller = {} as Reseller;
  beforeAll(async () => {
    Object.assign(reseller, await newReseller(db.sql, permissions));
  });
  return reseller;
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

/** The day a year after `ms` (YYYY-MM-DD): an anniversary (C5) ahead of a clock, e.g. the workflows'. */
export const yearAfter = (ms: number): string => new Date(ms + 365 * 86_400_000).toISOString().slice(0, 10);

/**
 * A customer of a fresh reseller, stored with its VIP id as an accepted invitation leaves it (C1); the reseller
 * gets the given discount (B1) when one is given.
 */
export async function registeredCustomer(
  sql: Sql,
  opts: { discountPercent?: number; customer?: Partial<CustomerDetails> } = {},
) {
  const reseller = await newReseller(sql);
  if (opts.discountPercent !== undefined)
    await sql`UPDATE resellers SET discount_percent = ${opts.discountPercent} WHERE id = ${reseller.resellerId}`;
  const customerId = randomUUID();
  const customer = customerDetails(opts.customer);
  const { vipId } = await registerCustomer(sql, {
    customerId,
    resellerId: reseller.resellerId,
    invitedBy: reseller.userId,
    customer,
  });
  return { reseller, customerId, vipId, customer, email: customer.contact.email };
}

export type RegisteredCustomer = Awaited<ReturnType<typeof registeredCustomer>>;

/** An order (or a trial) of a registered customer, as its workflow takes it: monthly SaaS in EUR, two drivers. */
export function orderInput(
  c: { reseller: { resellerId: string; userId: string }; customerId: string },
  kind: 'order' | 'trial' = 'order',
  overrides: Partial<OrderInput> = {},
): OrderInput {
  return {
    orderId: randomUUID(),
    kind,
    resellerId: c.reseller.resellerId,
    customerId: c.customerId,
    createdBy: c.reseller.userId,
    currency: 'EUR',
    poNumber: null,
    promoCode: null,
    drivers: ['hp-latex-800', 'summa-s2'],
    subscriptionType: 'saas-monthly',
    plan: 'production',
    ...overrides,
  };
}

/**
 * An active order of a registered customer: placed by the real activity, its license active (the customer's
 * activation is the order workflow's business, tested on its own).
 */
export async function activeOrder(
  deps: { sql: Sql; mailer: Mailer; config: Config },
  opts: { discountPercent?: number; subscriptionType?: OrderInput['subscriptionType'] } = {},
) {
  const { sql } = deps;
  const c = await registeredCustomer(sql, { discountPercent: opts.discountPercent });
  const input = orderInput(c, 'order', opts.subscriptionType ? { subscriptionType: opts.subscriptionType } : {});
  await createOrderActivities(deps).placeOrder({ input, trialEndsAt: null });
  await sql`UPDATE licenses SET status = 'active', activated_at = now() WHERE order_id = ${input.orderId}`;
  await sql`UPDATE orders SET status = 'active' WHERE id = ${input.orderId}`;
  return { ...c, orderId: input.orderId };
}
