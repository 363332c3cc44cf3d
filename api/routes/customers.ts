import { Router, type Request } from 'express';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Config } from '../../config';
import type { Sql } from '../../db';
import { auditTrail } from '../../db/orders';
import { deleteCustomerWithoutProducts, findCustomer, listCustomers, type CustomerRow } from '../../db/customers';
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
import { CustomerListQuery, customerCreateSchema, IdParam, ReminderBody, toCustomerDetails } from '../schemas';

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
    createdAt: c.createdAt.toISOString(),
  };
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
    const { id: customerId, replayed } = await resourceIdFor(sql, principal.resellerId, req.get('idempotency-key'), body);
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
    if (!customer) throw new HttpError(410, 'gone', 'The customer created with this Idempotency-Key has since been deleted.');
    res.status(201).location(`/v1/customers/${customerId}`).set('Idempotent-Replayed', String(replayed)).json(toCustomerJson(customer));
  });

  // The portal's list (DOMAIN.md D1 filters to come): from Postgres, newest first, keyset-paginated.
  router.get('/', async (req, res) => {
    const query = parse(CustomerListQuery, req.query, 'query');
    const rows = await listCustomers(sql, principalOf(req).resellerId, {
      status: query.status,
      q: query.q,
      email: query.email,
      limit: query.limit + 1,
      after: query.cursor ? decodeCursor(query.cursor) : undefined,
    });
    const { page, nextCursor } = pageOf(rows, query.limit);
    res.json({ data: page.map(toCustomerJson), nextCursor });
  });

  // One customer: the stored view, plus the invitation's live state from its workflow while it runs.
  router.get('/:id', async (req, res) => {
    const customer = await ownCustomer(req);
    const workflowId = invitationWorkflowId(customer.id);
    let invitation = null;
    try {
      const state = await temporal.workflow.getHandle(workflowId).query(invitationStateQuery);
      invitation = { status: state.status, emailsSent: state.emailsSent, nextReminderAt: state.nextReminderAt, workflowId };
    } catch (err) {
      req.log.debug({ err, workflowId }, 'invitation state unavailable');
    }
    res.json({ ...toCustomerJson(customer), invitation });
  });

  // O6: the audit trail of a customer and all its orders.
  router.get('/:id/audit', async (req, res) => {
    const customer = await ownCustomer(req);
    res.json({ data: await auditTrail(sql, customer.resellerId, { customerId: customer.id }) });
  });

  // C3: details are fixed once the invitation is sent; a typo means delete and invite again.
  router.patch('/:id', requirePermission('order'), async (req, res) => {
    await ownCustomer(req);
    res.status(409).json({
      error: {
        code: 'customer_details_fixed',
        message: 'Customer details cannot be edited after the invitation is sent (C3). To correct a typo, delete the invitation and create a new one.',
      },
    });
  });

  // C3: remind the contact while pending, optionally at a corrected address.
  router.post('/:id/invitation/reminders', requirePermission('order'), async (req, res) => {
    const customer = await ownCustomer(req);
    const body = parse(ReminderBody, req.body ?? {});
    if (customer.invitationStatus !== 'pending') {
      throw new HttpError(409, 'InvitationNotPending', 'The invitation was already accepted; there is nothing to remind.');
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
      await runUpdate(temporal.workflow.getHandle(invitationWorkflowId(customer.id)), deleteInvitationUpdate, { actor: actorOf(req) });
    } else {
      const outcome = await deleteCustomerWithoutProducts(sql, customer.id, actorOf(req));
      if (outcome === 'has-products') throw new HttpError(409, 'CustomerHasProducts', 'The customer has products and cannot be deleted.');
    }
    res.status(204).end();
  });

  return router;
}
