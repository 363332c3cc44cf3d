import { Router, type Request } from 'express';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Config } from '../../config';
import type { Sql } from '../../db';
import { findCustomer } from '../../db/customers';
import { findSubscription, listSubscriptions, type SubscriptionRow } from '../../db/subscriptions';
import {
  cancelSubscriptionUpdate,
  changeUserCountUpdate,
  subscriptionStateQuery,
  subscriptionStoredUpdate,
  subscriptionWorkflowId,
  type SubscriptionInput,
} from '../../workflows/definitions';
import { actorOf, principalOf, requirePermission } from '../auth';
import { HttpError, notFound, parse } from '../errors';
import { decodeCursor, pageOf } from '../cursor';
import { resourceIdFor } from '../idempotency';
import { runUpdate, startLifecycle } from '../lifecycles';
import { IdParam } from '../schemas';
import { subscriptionCreateSchema, SubscriptionListQuery, SubscriptionUpdateBody } from '../subscription-schemas';

interface Deps {
  sql: Sql;
  temporal: Client;
  config: Config;
}

/** E3: customer, number of users, status and the next payment date, with what the portal shows beside them. */
export function toSubscriptionJson(s: SubscriptionRow) {
  return {
    id: s.id,
    customer: { id: s.customerId, companyName: s.companyName },
    product: s.product,
    users: s.users,
    status: s.status,
    active: s.status === 'active',
    nextPaymentDate: s.nextPaymentDate,
    customerCanEditSignatures: s.customerCanEditSignatures,
    contact: s.contactEmail
      ? { name: s.contactName ?? '', email: s.contactEmail, setUp: s.contactSetupAt !== null }
      : null,
    createdAt: s.createdAt.toISOString(),
  };
}

export function subscriptionsRouter({ sql, temporal, config }: Deps): Router {
  const router = Router();

  /** T1: the subscription of this reseller, or 404 whatever the reason (unknown, another tenant's, malformed). */
  async function ownSubscription(req: Request): Promise<SubscriptionRow> {
    const id = IdParam.safeParse(req.params);
    const subscription = id.success ? await findSubscription(sql, principalOf(req).resellerId, id.data.id) : null;
    if (!subscription) throw notFound('Subscription');
    return subscription;
  }

  // E1/E2: create a subscription; its workflow stores it and invites the contact. Idempotency-Key as for customers.
  router.post('/', requirePermission('order'), async (req, res) => {
    const principal = principalOf(req);
    const body = parse(subscriptionCreateSchema, req.body);
    if (body.customerId && !(await findCustomer(sql, principal.resellerId, body.customerId)))
      throw notFound('Customer');
    const { id: subscriptionId, replayed } = await resourceIdFor(
      sql,
      principal.resellerId,
      req.get('idempotency-key'),
      body,
    );
    const input: SubscriptionInput = {
      subscriptionId,
      resellerId: principal.resellerId,
      createdBy: principal.userId,
      customerId: body.customerId ?? null,
      product: body.product,
      companyName: body.companyName,
      users: body.users,
      contact: body.customerCanEditSignatures && body.contact ? body.contact : null,
      contactLinkTtl: config.SUBSCRIPTION_CONTACT_LINK_TTL,
    };
    try {
      const handle = await startLifecycle(temporal, config, {
        workflowType: 'subscriptionWorkflow',
        workflowId: subscriptionWorkflowId(subscriptionId),
        args: [input],
        lifecycle: 'subscription',
        resellerId: principal.resellerId,
        customerId: input.customerId ?? undefined,
      });
      await handle.executeUpdate(subscriptionStoredUpdate);
    } catch (err) {
      // The subscription already ended (cancelled): answer with what the database holds.
      if (!(err instanceof WorkflowExecutionAlreadyStartedError) && !replayed) throw err;
    }
    const subscription = await findSubscription(sql, principal.resellerId, subscriptionId);
    if (!subscription) throw new Error(`subscription ${subscriptionId} was started but is not stored`);
    res
      .status(201)
      .location(`/v1/subscriptions/${subscriptionId}`)
      .set('Idempotent-Replayed', String(replayed))
      .json(toSubscriptionJson(subscription));
  });

  // E3: the list from Postgres, newest first, keyset-paginated, filtered by status.
  router.get('/', async (req, res) => {
    const query = parse(SubscriptionListQuery, req.query, 'query');
    const rows = await listSubscriptions(sql, principalOf(req).resellerId, {
      status: query.status,
      limit: query.limit + 1,
      after: query.cursor ? decodeCursor(query.cursor) : undefined,
    });
    const { page, nextCursor } = pageOf(rows, query.limit);
    res.json({ data: page.map(toSubscriptionJson), nextCursor });
  });

  // One subscription: the stored view, plus the live state from its workflow while it runs.
  router.get('/:id', async (req, res) => {
    const subscription = await ownSubscription(req);
    const workflowId = subscriptionWorkflowId(subscription.id);
    let lifecycle = null;
    try {
      const state = await temporal.workflow.getHandle(workflowId).query(subscriptionStateQuery);
      lifecycle = {
        status: state.status,
        contactSetup: state.contactSetup,
        contactLinkExpiresAt: state.contactLinkExpiresAt,
        workflowId,
      };
    } catch (err) {
      req.log.debug({ err, workflowId }, 'subscription state unavailable');
    }
    res.json({ ...toSubscriptionJson(subscription), lifecycle });
  });

  // E3: change the number of users, through the workflow that owns the subscription (audited by its activity).
  router.patch('/:id', requirePermission('order'), async (req, res) => {
    const subscription = await ownSubscription(req);
    const body = parse(SubscriptionUpdateBody, req.body);
    if (subscription.status !== 'active')
      throw new HttpError(409, 'SubscriptionNotActive', 'The subscription is inactive; its users cannot change.');
    await runUpdate(temporal.workflow.getHandle(subscriptionWorkflowId(subscription.id)), changeUserCountUpdate, {
      users: body.users,
      actor: actorOf(req),
    });
    res.json(
      toSubscriptionJson((await findSubscription(sql, subscription.resellerId, subscription.id)) as SubscriptionRow),
    );
  });

  // Ends the subscription: inactive in the list, the contact's access with it.
  router.post('/:id/cancel', requirePermission('order'), async (req, res) => {
    const subscription = await ownSubscription(req);
    if (subscription.status === 'active') {
      await runUpdate(temporal.workflow.getHandle(subscriptionWorkflowId(subscription.id)), cancelSubscriptionUpdate, {
        actor: actorOf(req),
      });
    }
    res.json(
      toSubscriptionJson((await findSubscription(sql, subscription.resellerId, subscription.id)) as SubscriptionRow),
    );
  });

  return router;
}
