import { Router, type Request } from 'express';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Config } from '../../config';
import type { Sql } from '../../db';
import { auditTrail } from '../../db/orders';
import { stringify } from 'csv-stringify';
import {
  customerDetailSections,
  deleteCustomerWithoutProducts,
  findCustomer,
  listCustomers,
  setManagedBy,
  type CustomerListQuery as CustomerListFilters,
  type CustomerRow,
} from '../../db/customers';
import {
  deleteInvitationUpdate,
  invitationStateQuery,
  invitationWorkflowId,
  registrationUpdate,
  sendReminderUpdate,
  type InvitationInput,
} from '../../workflows/definitions';
import { actorOf, principalOf, requirePermission } from '../auth';
import { HttpError, notFound, parse } from '../errors';
import { runUpdate, startLifecycle } from '../lifecycles';
import { decodeCursor, pageOf } from '../cursor';
import { resourceIdFor } from '../idempotency';
import { renewalWindowDays } from '../renewal-lifecycle';
import {
  CustomerExportQuery,
  CustomerListQuery,
  customerCreateSchema,
  IdParam,
  ManagedByBody,
  ReminderBody,
  toCustomerDetails,
} from '../schemas';

interface Deps {
  sql: Sql;
  temporal: Client;
  config: Config;
}

export function toCustomerJson(c: CustomerRow) {
  return {
    id: c.id,
    vipId: c.vipId,
    organizationName: c.organizationName,
    organizationNameAscii: c.organizationNameAscii,
    marketSegment: c.marketSegment,
    type: c.customerType,
    country: c.country,
    addressLine1: c.addressLine1,
    addressLine2: c.addressLine2,
    city: c.city,
    postalCode: c.postalCode,
    taxId: c.taxId,
    contact: { firstName: c.contactFirstName, lastName: c.contactLastName, email: c.contactEmail },
    invitationStatus: c.invitationStatus,
    invitedAt: c.invitedAt.toISOString(),
    acceptedAt: c.acceptedAt?.toISOString() ?? null,
    anniversaryDate: c.anniversaryDate,
    managedBy: c.managedBy,
    createdAt: c.createdAt.toISOString(),
  };
}

const iso = (d: Date | null) => d?.toISOString() ?? null;

/** D1: the list filters of a parsed query, for the list and its CSV export alike. */
function listFilters(req: Request, config: Config, query: ExportQuery): Omit<CustomerListFilters, 'limit' | 'after'> {
  return {
    status: query.status,
    q: query.q,
    email: query.email,
    filter: query.filter,
    managedBy: query.managedBy === 'me' ? principalOf(req).userId : undefined,
    windows: renewalWindowDays(config),
  };
}
type ExportQuery = ReturnType<typeof CustomerExportQuery.parse>;

/** D2: the CSV columns, in order: header and value. */
const CSV_COLUMNS: [string, (c: CustomerRow) => string | null][] = [
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
const CSV_PAGE = 500;

/**
 * D2: GET /v1/customers.csv, the customer list with the same filters as CSV, streamed page by page (keyset)
 * so a large list never sits in memory. Mounted at /v1 (a path of its own, never taken for a customer id).
 */
export function customerExportRouter({ sql, config }: Deps): Router {
  const router = Router();
  router.get('/customers.csv', async (req, res) => {
    const query = parse(CustomerExportQuery, req.query, 'query');
    const filters = listFilters(req, config, query);
    const resellerId = principalOf(req).resellerId;
    // Read the first page before answering, so a database error is still a JSON 500 and not a cut file.
    let rows = await listCustomers(sql, resellerId, { ...filters, limit: CSV_PAGE });
    res.status(200);
    res.set('Content-Type', 'text/csv; charset=utf-8');
    res.set('Content-Disposition', `attachment; filename="customers-${new Date().toISOString().slice(0, 10)}.csv"`);
    res.set('Cache-Control', 'no-store');
    // A BOM so spreadsheet programs read the UTF-8 (å, ä, ö) as such; csv-stringify quotes commas, quotes and newlines.
    const csv = stringify({
      header: true,
      bom: true,
      columns: CSV_COLUMNS.map(([header], i) => ({ key: String(i), header })),
      // A cell a spreadsheet would run as a formula (=, +, -, @, tab, CR) is prefixed with a quote.
      cast: { string: (value) => (/^[=+\-@\t\r]/.test(value) ? `'${value}` : value) },
    });
    csv.pipe(res);
    // Backpressure: wait for the buffer to drain, or for the client to go away (then stop reading pages).
    const drained = () =>
      new Promise<void>((resolve) => {
        const done = () => {
          csv.off('drain', done);
          res.off('close', done);
          resolve();
        };
        csv.once('drain', done);
        res.once('close', done);
      });
    try {
      for (;;) {
        for (const row of rows) {
          if (!csv.write(CSV_COLUMNS.map(([, value]) => value(row) ?? ''))) await drained();
          if (res.destroyed) {
            csv.destroy();
            return;
          }
        }
        const last = rows[rows.length - 1];
        if (rows.length < CSV_PAGE || !last) break;
        rows = await listCustomers(sql, resellerId, {
          ...filters,
          limit: CSV_PAGE,
          after: { createdAt: last.cursorAt, id: last.id },
        });
      }
      csv.end();
    } catch (err) {
      req.log.error({ err }, 'customer export failed mid-stream');
      csv.destroy();
      res.destroy(err as Error);
    }
  });
  return router;
}

export function customersRouter({ sql, temporal, config }: Deps): Router {
  const router = Router();
  const createSchema = customerCreateSchema(config.TAX_ID_COUNTRIES);

  /** T1: the customer of this reseller, or 404 whatever the reason (unknown, another tenant's, malformed). */
  async function ownCustomer(req: Request): Promise<CustomerRow> {
    const id = IdParam.safeParse(req.params);
    const customer = id.success ? await findCustomer(sql, principalOf(req).resellerId, id.data.id) : null;
    if (!customer) throw notFound('Customer');
    return customer;
  }

  // C1/C2: add a customer and send the invitation; Idempotency-Key makes a repeat return the same customer.
  router.post('/', requirePermission('order'), async (req, res) => {
    const principal = principalOf(req);
    const body = parse(createSchema, req.body);
    const { id: customerId, replayed } = await resourceIdFor(
      sql,
      principal.resellerId,
      req.get('idempotency-key'),
      body,
    );
    const workflowId = invitationWorkflowId(customerId);
    const input: InvitationInput = {
      customerId,
      resellerId: principal.resellerId,
      invitedBy: principal.userId,
      customer: toCustomerDetails(body),
      reminderSchedule: config.INVITATION_REMINDERS,
    };
    try {
      const handle = await startLifecycle(temporal, config, {
        workflowType: 'invitationWorkflow',
        workflowId,
        args: [input],
        lifecycle: 'invitation',
        resellerId: principal.resellerId,
        customerId,
      });
      await handle.executeUpdate(registrationUpdate);
    } catch (err) {
      // The invitation already ended (accepted or deleted): answer with what the database holds.
      if (!(err instanceof WorkflowExecutionAlreadyStartedError) && !replayed) throw err;
    }
    const customer = await findCustomer(sql, principal.resellerId, customerId);
    if (!customer)
      throw new HttpError(410, 'gone', 'The customer created with this Idempotency-Key has since been deleted.');
    res
      .status(201)
      .location(`/v1/customers/${customerId}`)
      .set('Idempotent-Replayed', String(replayed))
      .json(toCustomerJson(customer));
  });

  // The portal's list with the D1 filters: from Postgres, newest first, keyset-paginated.
  router.get('/', async (req, res) => {
    const query = parse(CustomerListQuery, req.query, 'query');
    const rows = await listCustomers(sql, principalOf(req).resellerId, {
      ...listFilters(req, config, query),
      limit: query.limit + 1,
      after: query.cursor ? decodeCursor(query.cursor) : undefined,
    });
    const { page, nextCursor } = pageOf(rows, query.limit);
    res.json({ data: page.map(toCustomerJson), nextCursor });
  });

  // D7: one customer: the stored view, the invitation's live state from its workflow while it runs, its
  // commercial terms (R4, R5, C6), plans, order, authorization and renewal histories (one query each).
  router.get('/:id', async (req, res) => {
    const customer = await ownCustomer(req);
    const workflowId = invitationWorkflowId(customer.id);
    const invitationState = async () => {
      try {
        const state = await temporal.workflow.getHandle(workflowId).query(invitationStateQuery);
        return { status: state.status, emailsSent: state.emailsSent, nextReminderAt: state.nextReminderAt, workflowId };
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
    res.json({
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
      orders: sections.orders.map((o) => ({ ...o, createdAt: iso(o.createdAt), convertedAt: iso(o.convertedAt) })),
      authorizations: sections.authorizations.map((a) => ({
        ...a,
        createdAt: iso(a.createdAt),
        orderedAt: iso(a.orderedAt),
        paidAt: iso(a.paidAt),
        overdueAt: iso(a.overdueAt),
        deactivatedAt: iso(a.deactivatedAt),
        cancelledAt: iso(a.cancelledAt),
        returnedAt: iso(a.returnedAt),
      })),
      renewals: sections.renewals.map((r) => ({ ...r, createdAt: iso(r.createdAt) })),
    });
  });

  // O6: the audit trail of a customer and all its orders.
  router.get('/:id/audit', async (req, res) => {
    const customer = await ownCustomer(req);
    res.json({ data: await auditTrail(sql, customer.resellerId, { customerId: customer.id }) });
  });

  // C3: details are fixed once the invitation is sent; a typo means delete and invite again.
  // D1/D7: the one exception is the reseller's own bookkeeping, { managedBy }: not a customer detail.
  router.patch('/:id', requirePermission('order'), async (req, res) => {
    const customer = await ownCustomer(req);
    const raw: unknown = req.body;
    const onlyManagedBy =
      typeof raw === 'object' &&
      raw !== null &&
      !Array.isArray(raw) &&
      Object.keys(raw).length === 1 &&
      'managedBy' in raw;
    if (onlyManagedBy) {
      const body = parse(ManagedByBody, raw);
      const outcome = await setManagedBy(sql, customer.resellerId, customer.id, body.managedBy, actorOf(req));
      if (outcome === 'not-found') throw notFound('Customer');
      if (outcome === 'unknown-user') {
        throw new HttpError(400, 'validation_failed', 'managedBy: is not a user of this reseller', {
          issues: [{ field: 'managedBy', message: 'is not a user of this reseller' }],
        });
      }
      const updated = await findCustomer(sql, customer.resellerId, customer.id);
      if (!updated) throw notFound('Customer');
      res.json(toCustomerJson(updated));
      return;
    }
    res.status(409).json({
      error: {
        code: 'customer_details_fixed',
        message:
          'Customer details cannot be edited after the invitation is sent (C3). To correct a typo, delete the invitation and create a new one.',
      },
    });
  });

  // C3: remind the contact while pending, optionally at a corrected address.
  router.post('/:id/invitation/reminders', requirePermission('order'), async (req, res) => {
    const customer = await ownCustomer(req);
    const body = parse(ReminderBody, req.body ?? {});
    if (customer.invitationStatus !== 'pending') {
      throw new HttpError(
        409,
        'InvitationNotPending',
        'The invitation was already accepted; there is nothing to remind.',
      );
    }
    const state = await runUpdate(temporal.workflow.getHandle(invitationWorkflowId(customer.id)), sendReminderUpdate, {
      email: body.email,
      actor: actorOf(req),
    });
    res.json({ status: state.status, contactEmail: state.contactEmail, emailsSent: state.emailsSent });
  });

  // C3/C8: delete a customer without products; a pending invitation is ended through its workflow.
  router.delete('/:id', requirePermission('order'), async (req, res) => {
    const customer = await ownCustomer(req);
    if (customer.invitationStatus === 'pending') {
      await runUpdate(temporal.workflow.getHandle(invitationWorkflowId(customer.id)), deleteInvitationUpdate, {
        actor: actorOf(req),
      });
    } else {
      const outcome = await deleteCustomerWithoutProducts(sql, customer.id, actorOf(req));
      if (outcome === 'has-products')
        throw new HttpError(409, 'CustomerHasProducts', 'The customer has products and cannot be deleted.');
    }
    res.status(204).end();
  });

  return router;
}
