import type { Principal } from '../../db/api-keys';
import {
  type CustomerRow,
  customerDetailSections,
  deleteCustomerWithoutProducts,
  findCustomer,
  listCustomers,
  registerCustomer,
  setManagedBy,
} from '../../db/customers';
import {
  deleteInvitationUpdate,
  InvitationFailure,
  invitationStateQuery,
  invitationWorkflowId,
  sendReminderUpdate,
} from '../../workflows/definitions';
import { type Api, defineRoute, empty, json, noContent, reply, stream } from '../http/define-route';
import { CSV_PAGE, type CsvColumns, csvExport } from '../http/csv';
import { defineAuditRoute } from '../http/audit';
import type { AppDeps } from '../http/deps';
import { HttpError, notFound, unprocessableField } from '../http/errors';
import { createdHeaders, madeOrGone } from '../http/idempotency';
import { createLifecycle, runUpdate } from '../http/lifecycles';
import { ownedBy } from '../http/owned';
import { actionRoutes, createRoute, getOwnedRoute, listRoute, ownedRoute } from '../http/route-kinds';
import { refusal } from '../http/refusals';
import { iso } from '../http/schemas';
import { type CustomerFilterQuery, customerListFilters } from './filters';
import { invitationStart } from './lifecycle';
import { customerMapRoute } from './map';
import {
  Customer,
  CustomerExportQuery,
  CustomerList,
  CustomerListQuery,
  CustomerPatchBody,
  CustomerWithInvitation,
  customerCreateSchema,
  ReminderBody,
  ReminderSent,
  toCustomerDetails,
} from './schemas';
import type { z } from 'zod';

export function toCustomerJson(c: CustomerRow): z.infer<typeof Customer> {
  return {
    id: c.id,
    vipId: c.vipId,
    organizationName: c.organizationName,
    organizationNameAscii: c.organizationNameAscii,
    marketSegment: c.marketSegment as z.infer<typeof Customer>['marketSegment'],
    type: c.customerType as z.infer<typeof Customer>['type'],
    country: c.country,
    addressLine1: c.addressLine1,
    addressLine2: c.addressLine2,
    city: c.city,
    postalCode: c.postalCode,
    taxId: c.taxId,
    contact: { firstName: c.contactFirstName, lastName: c.contactLastName, email: c.contactEmail },
    invitationStatus: c.invitationStatus,
    invitedAt: c.invitedAt.toISOString(),
    acceptedAt: iso(c.acceptedAt),
    anniversaryDate: c.anniversaryDate,
    managedBy: c.managedBy,
    createdAt: c.createdAt.toISOString(),
  };
}

/** D2: the CSV columns, in order: header and value. */
const CSV_COLUMNS: CsvColumns<CustomerRow> = [
  ['VIP id', (c) => c.vipId],
  ['Organization name', (c) => c.organizationName],
  ['Organization name (ASCII)', (c) => c.organizationNameAscii],
  ['Market segment', (c) => c.marketSegment],
  ['Type', (c) => c.customerType],
  ['Country', (c) => c.country],
  ['Address line 1', (c) => c.addressLine1],
  ['Address line 2', (c) => c.addressLine2],
  ['City', (c) => c.city],
  ['Postal code', (c) => c.postalCode],
  ['Tax id', (c) => c.taxId],
  ['Contact first name', (c) => c.contactFirstName],
  ['Contact last name', (c) => c.contactLastName],
  ['Contact email', (c) => c.contactEmail],
  ['Invitation status', (c) => c.invitationStatus],
  ['Anniversary date', (c) => c.anniversaryDate],
  ['Managed by', (c) => c.managedBy?.name ?? null],
  ['Created at', (c) => c.createdAt.toISOString()],
  ['Id', (c) => c.id],
];

export function customerRoutes(api: Api, { sql, temporal, config }: AppDeps): void {
  const createSchema = customerCreateSchema(config.TAX_ID_COUNTRIES);
  const ownCustomer = ownedBy('Customer', (resellerId, id) => findCustomer(sql, resellerId, id));
  const handleOf = (c: CustomerRow) => temporal.workflow.getHandle(invitationWorkflowId(c.id));

  const listFilters = (principal: Principal, query: CustomerFilterQuery) =>
    customerListFilters(config, principal, query);

  createRoute(api, sql, {
    path: '/v1/customers',
    summary: 'Add a customer and send the invitation (C1, C2)',
    body: createSchema,
    response: json(
      'The customer, with its VIP id; the invitation email is on its way',
      Customer,
      createdHeaders('The new customer'),
    ),
    errors: [[410, 'The customer made with this Idempotency-Key has since been deleted'], 422, 503],
    create: async (principal, body, customerId, _checked, timing) => {
      const registration = {
        customerId,
        resellerId: principal.resellerId,
        invitedBy: principal.userId,
        customer: toCustomerDetails(body),
      };
      // C2: the customer and its VIP id are stored as the run starts; the run sends the invitation.
      const stored = await createLifecycle(
        sql,
        temporal,
        config,
        async (tx) => {
          const { vipId } = await registerCustomer(tx, registration);
          const row = await findCustomer(tx, principal.resellerId, customerId);
          const input = { ...registration, vipId, reminderSchedule: config.INVITATION_REMINDERS };
          return { row, start: invitationStart(input) };
        },
        timing,
      );
      const customer = stored ?? (await findCustomer(sql, principal.resellerId, customerId));
      return toCustomerJson(madeOrGone(customer, 'customer'));
    },
  });

  // The portal's list with the D1 filters: from Postgres, newest first, keyset-paginated.
  listRoute(api, {
    path: '/v1/customers',
    summary: 'List the reseller\'s customers, with the portal\'s filters and "managed by me" (D1)',
    query: CustomerListQuery,
    response: json('A page of customers', CustomerList),
    list: (principal, page) => listCustomers(sql, principal.resellerId, { ...page, ...listFilters(principal, page) }),
    toJson: toCustomerJson,
  });

  // D2: the list with the same filters as CSV, streamed page by page so a large list never sits in memory.
  defineRoute(api, {
    method: 'get',
    path: '/v1/customers.csv',
    summary: 'Export the customer list, with the same filters, as CSV (D2)',
    query: CustomerExportQuery,
    responses: {
      200: stream(
        'Every matching customer, one per row after a header row (UTF-8 with BOM); an attachment',
        'text/csv',
        { 'Content-Disposition': 'attachment; filename="customers-YYYY-MM-DD.csv"' },
      ),
    },
    handler: async ({ req, principal, query }) => {
      const filters = listFilters(principal, query);
      return csvExport(req, {
        filename: 'customers',
        columns: CSV_COLUMNS,
        page: (after?: CustomerRow) =>
          listCustomers(sql, principal.resellerId, {
            ...filters,
            limit: CSV_PAGE,
            after: after ? { createdAt: after.cursorAt, id: after.id } : undefined,
          }),
      });
    },
  });

  // D4: before /v1/customers/{id}, which would otherwise take "map" for an id.
  customerMapRoute(api, { sql, config });

  // D7: one customer: the stored view, the invitation's live state from its workflow while it runs, its
  // commercial terms (R4, R5, C6), plans, order, authorization and renewal histories (one query each).
  getOwnedRoute(api, {
    path: '/v1/customers/{id}',
    summary:
      "Customer details: the invitation's live state, VIP Select, 3-year commitment, plans, order, " +
      'authorization and renewal history (D7)',
    response: json('The customer', CustomerWithInvitation),
    own: ownCustomer,
    view: async (customer, { req }) => {
      const workflowId = invitationWorkflowId(customer.id);
      const invitationState = async () => {
        // Only an open invitation has a live state; asking a closed run would make the worker replay its whole
        // history for an answer the row already gives (accepted, with its date).
        if (customer.invitationStatus !== 'pending') return null;
        try {
          const state = await handleOf(customer).query(invitationStateQuery);
          const { status, emailsSent, nextReminderAt, incident } = state;
          return { status, emailsSent, nextReminderAt, workflowId, incident };
        } catch (err) {
          req.log.debug({ err, workflowId }, 'invitation state unavailable');
          return null;
        }
      };
      const [invitation, sections] = await Promise.all([
        invitationState(),
        customerDetailSections(sql, customer.resellerId, customer.id),
      ]);
      const p = sections.profile;
      return {
        ...toCustomerJson(customer),
        invitation,
        vipSelect:
          p?.vipSelectLevel != null ? { level: p.vipSelectLevel, discountPercent: p.vipSelectDiscountPercent } : null,
        threeYearCommitment:
          p?.threeYearCommitmentQuantity != null
            ? { quantity: p.threeYearCommitmentQuantity, committedAt: iso(p.threeYearCommittedAt) }
            : null,
        extendedTerm:
          p?.extendedTermMonths != null ? { months: p.extendedTermMonths, prepaid: p.extendedTermPrepaid } : null,
        plans: sections.plans,
        orders: sections.orders.map((o) => ({
          ...o,
          createdAt: o.createdAt.toISOString(),
          convertedAt: iso(o.convertedAt),
        })),
        authorizations: sections.authorizations.map((a) => ({
          ...a,
          createdAt: a.createdAt.toISOString(),
          orderedAt: iso(a.orderedAt),
          paidAt: iso(a.paidAt),
          overdueAt: iso(a.overdueAt),
          deactivatedAt: iso(a.deactivatedAt),
          cancelledAt: iso(a.cancelledAt),
          returnedAt: iso(a.returnedAt),
        })),
        renewals: sections.renewals.map((r) => ({ ...r, createdAt: r.createdAt.toISOString() })),
      };
    },
  });

  // O6: the audit trail of a customer and all its orders.
  defineAuditRoute(api, sql, {
    path: '/v1/customers/{id}/audit',
    summary: 'The audit trail of a customer and all its orders: who changed what and when (O6)',
    own: ownCustomer,
    trailOf: (customer) => ({ customerId: customer.id }),
  });

  // C3: details are fixed once the invitation is sent; a typo means delete and invite again.
  // D1/D7: the one exception is the reseller's own bookkeeping, { managedBy }: not a customer detail.
  ownedRoute(api, {
    method: 'patch',
    path: '/v1/customers/{id}',
    summary:
      'Assign the team member managing the customer, { managedBy } only (D1, D7); any other change is refused: ' +
      'details are fixed once the invitation is sent (C3)',
    permission: 'order',
    body: CustomerPatchBody,
    responses: { 200: json('The customer, with its new manager', Customer) },
    errors: [[409, 'Customer details cannot be edited after the invitation is sent (C3)'], 422],
    own: ownCustomer,
    handler: async (customer, { principal, actor, body }) => {
      const { managedBy, ...others } = body;
      if (managedBy === undefined || Object.keys(others).length > 0) {
        throw new HttpError(
          409,
          'customer_details_fixed',
          'Customer details cannot be edited after the invitation is sent (C3). ' +
            'To correct a typo, delete the invitation and create a new one.',
        );
      }
      const outcome = await setManagedBy(sql, customer.resellerId, customer.id, managedBy, actor);
      if (outcome === 'not-found') throw notFound('Customer');
      if (outcome === 'unknown-user') throw unprocessableField('managedBy', 'is not a user of this reseller');
      return reply(200, toCustomerJson(await ownCustomer(principal, customer.id)));
    },
  });

  // C3: remind the contact while pending, optionally at a corrected address.
  actionRoutes(api, {
    path: '/v1/customers/{id}/invitation',
    body: ReminderBody,
    response: json('Reminder sent', ReminderSent),
    errors: [409, 503],
    own: ownCustomer,
    actions: [
      [
        'reminders',
        sendReminderUpdate,
        'Send a reminder while the invitation is pending, optionally to a corrected address (C3)',
      ],
    ],
    handleOf: (customer) => {
      if (customer.invitationStatus !== 'pending')
        throw refusal(InvitationFailure.NotPending, 'The invitation was already accepted; there is nothing to remind.');
      return handleOf(customer);
    },
    view: async (_customer, state) => ({
      status: state.status,
      contactEmail: state.contactEmail,
      emailsSent: state.emailsSent,
    }),
  });

  // C3/C8: delete a customer without products; a pending invitation is ended through its workflow.
  ownedRoute(api, {
    method: 'delete',
    path: '/v1/customers/{id}',
    summary: 'Delete a customer without products, ending a pending invitation (C3, C8)',
    permission: 'order',
    responses: { 204: empty('Deleted') },
    errors: [409, 503],
    own: ownCustomer,
    handler: async (customer, { actor }) => {
      if (customer.invitationStatus === 'pending') {
        await runUpdate(handleOf(customer), deleteInvitationUpdate, { actor });
      } else if ((await deleteCustomerWithoutProducts(sql, customer.id, actor)) === 'has-products') {
        throw refusal(InvitationFailure.HasProducts, 'The customer has products and cannot be deleted.');
      }
      return noContent();
    },
  });
}
