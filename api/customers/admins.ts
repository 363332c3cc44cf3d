import { z } from 'zod';
import {
  addCustomerAdmin,
  type CustomerAdminRow,
  listCustomerAdmins,
  removeCustomerAdmin,
} from '../../db/customer-admins';
import { findCustomer } from '../../db/customers';
import { type Api, created, defineRoute, empty, json, reply } from '../http/define-route';
import type { AppDeps } from '../http/deps';
import { HttpError, notFound } from '../http/errors';
import { ownedBy } from '../http/owned';
import { getOwnedRoute, ownedRoute } from '../http/route-kinds';
import { email, isoTime, requestBody, text } from '../http/schemas';

// X1: a customer's system admins. Every one of them gets a reseller-change code of their own; the primary contact
// is one (kept in step with the customer's contact), the reseller adds and removes the others.

const CustomerAdmin = z
  .object({
    id: z.uuid(),
    email: z.string(),
    firstName: z.string(),
    lastName: z.string(),
    primary: z.boolean().meta({ description: "The customer's primary contact: changes with the contact only" }),
    addedAt: isoTime,
  })
  .meta({ id: 'CustomerAdmin' });
const CustomerAdminList = z.object({ data: z.array(CustomerAdmin) }).meta({ id: 'CustomerAdminList' });
const CustomerAdminCreate = requestBody('CustomerAdminCreate', {
  email,
  firstName: text(100),
  lastName: text(100),
});

const toAdminJson = (a: CustomerAdminRow): z.infer<typeof CustomerAdmin> => ({
  id: a.id,
  email: a.email,
  firstName: a.firstName,
  lastName: a.lastName,
  primary: a.isPrimary,
  addedAt: a.createdAt.toISOString(),
});

export function customerAdminRoutes(api: Api, { sql }: AppDeps): void {
  const ownCustomer = ownedBy('Customer', (resellerId, id) => findCustomer(sql, resellerId, id));
  const adminsPath = '/v1/customers/{id}/admins';

  getOwnedRoute(api, {
    path: adminsPath,
    summary: "The customer's system admins, the primary contact first (X1)",
    response: json("The customer's admins", CustomerAdminList),
    own: ownCustomer,
    view: async (customer) => ({ data: (await listCustomerAdmins(sql, customer.id)).map(toAdminJson) }),
  });

  ownedRoute(api, {
    method: 'post',
    path: adminsPath,
    summary: "Add one of the customer's other system admins: they too get a reseller-change code (X1)",
    permission: 'order',
    body: CustomerAdminCreate,
    responses: {
      201: json('The admin, added (audited)', CustomerAdmin, { Location: 'The admin' }),
      200: json('The customer already has an admin with this email (any case): that one, unchanged', CustomerAdmin),
    },
    own: ownCustomer,
    handler: async (customer, { body, actor }) => {
      const result = await addCustomerAdmin(sql, {
        resellerId: customer.resellerId,
        customerId: customer.id,
        email: body.email,
        firstName: body.firstName,
        lastName: body.lastName,
        actor,
      });
      const json = toAdminJson(result.admin);
      return result.outcome === 'added'
        ? created(`/v1/customers/${customer.id}/admins/${json.id}`, json)
        : reply(200, json);
    },
  });

  defineRoute(api, {
    method: 'delete',
    path: `${adminsPath}/{adminId}`,
    summary: 'Remove an admin other than the primary contact (X1, audited)',
    permission: 'order',
    params: z.object({ id: z.uuid(), adminId: z.uuid() }),
    responses: { 204: empty('Removed; they get no reseller-change code from now on') },
    errors: [[409, "The primary contact is an admin as long as they are the customer's contact"]],
    handler: async ({ params, principal, actor }) => {
      const customer = await ownCustomer(principal, params.id);
      const outcome = await removeCustomerAdmin(sql, {
        resellerId: customer.resellerId,
        customerId: customer.id,
        adminId: params.adminId,
        actor,
      });
      if (outcome === 'not_found') throw notFound('Admin');
      if (outcome === 'primary')
        throw new HttpError(
          409,
          'primary_admin',
          "The primary contact stays an admin as long as they are the customer's contact.",
        );
      return reply(204, undefined);
    },
  });
}
