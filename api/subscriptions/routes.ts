import type { z } from 'zod';
import { findCustomer } from '../../db/customers';
import {
  findSignatureSettings,
  findSubscription,
  listSubscriptionInvoices,
  listSubscriptions,
  storeSubscription,
  type SubscriptionRow,
  updateSignatureTemplateAsReseller,
} from '../../db/subscriptions';
import {
  cancelSubscriptionUpdate,
  changeUserCountUpdate,
  reinviteContactUpdate,
  SubscriptionFailure,
  type SubscriptionInput,
  subscriptionStateQuery,
  subscriptionWorkflowId,
} from '../../workflows/definitions';
import { type Api, json, reply } from '../http/define-route';
import type { AppDeps } from '../http/deps';
import { money } from '../http/schemas';
import { HttpError, notFound } from '../http/errors';
import { SignatureSettings, SignatureSettingsUpdate } from '../pages/contact';
import { createdHeaders } from '../http/idempotency';
import { createLifecycle, runUpdate } from '../http/lifecycles';
import { ownedBy } from '../http/owned';
import { createRoute, getOwnedRoute, listRoute, ownedRoute } from '../http/route-kinds';
import { refusal } from '../http/refusals';
import {
  Subscription,
  SubscriptionCreate,
  SubscriptionList,
  SubscriptionListQuery,
  SubscriptionUpdateBody,
  SubscriptionWithLifecycle,
  SubscriptionInvoiceList,
} from './schemas';

/** E3: customer, number of users, status and the next payment date, with what the portal shows beside them. */
export function toSubscriptionJson(s: SubscriptionRow): z.infer<typeof Subscription> {
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

export function subscriptionRoutes(api: Api, { sql, temporal, config }: AppDeps): void {
  const ownSubscription = ownedBy('Subscription', (resellerId, id) => findSubscription(sql, resellerId, id));
  const ownCustomer = ownedBy('Customer', (resellerId, id) => findCustomer(sql, resellerId, id));
  const handleOf = (s: SubscriptionRow) => temporal.workflow.getHandle(subscriptionWorkflowId(s.id));

  // E1/E2: create a subscription; its workflow stores it and invites the contact. Idempotency-Key as for customers.
  createRoute(api, sql, {
    path: '/v1/subscriptions',
    summary: 'Create a per-user subscription; invites the contact when the customer edits signatures (E1, E2)',
    body: SubscriptionCreate,
    response: json('The subscription', Subscription, createdHeaders('The new subscription')),
    errors: [404, 422, 503],
    check: async (principal, body) => {
      if (body.customerId) await ownCustomer(principal, body.customerId);
    },
    create: async (principal, body, subscriptionId, _checked, timing) => {
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
      // E1: stored as the run starts; the run invites the contact (E2).
      await createLifecycle(
        sql,
        temporal,
        config,
        async (tx) => {
          await storeSubscription(tx, input);
          return {
            row: null,
            start: {
              workflowType: 'subscriptionWorkflow',
              workflowId: subscriptionWorkflowId(subscriptionId),
              args: [input],
              lifecycle: 'subscription',
              resellerId: principal.resellerId,
              customerId: input.customerId,
            },
          };
        },
        timing,
      );
      // A cancelled subscription stays stored: an idempotent repeat always finds it.
      return toSubscriptionJson(await ownSubscription(principal, subscriptionId));
    },
  });

  // E3: the list from Postgres, newest first, keyset-paginated, filtered by status.
  listRoute(api, {
    path: '/v1/subscriptions',
    summary: "List the reseller's subscriptions: customer, users, status, next payment date (E3)",
    query: SubscriptionListQuery,
    response: json('A page of subscriptions', SubscriptionList),
    list: (principal, page) => listSubscriptions(sql, principal.resellerId, page),
    toJson: toSubscriptionJson,
  });

  // One subscription: the stored view, plus the live state from its workflow while it runs.
  getOwnedRoute(api, {
    path: '/v1/subscriptions/{id}',
    summary: "One subscription, with its lifecycle's live state",
    response: json('The subscription', SubscriptionWithLifecycle),
    own: ownSubscription,
    view: async (subscription, { req }) => {
      const workflowId = subscriptionWorkflowId(subscription.id);
      let lifecycle = null;
      try {
        const state = await handleOf(subscription).query(subscriptionStateQuery);
        const { status, contactSetup, contactLinkExpiresAt } = state;
        lifecycle = { status, contactSetup, contactLinkExpiresAt, workflowId };
      } catch (err) {
        req.log.debug({ err, workflowId }, 'subscription state unavailable');
      }
      return { ...toSubscriptionJson(subscription), lifecycle };
    },
  });

  // E3: change the number of users, through the workflow that owns the subscription (audited by its activity).
  ownedRoute(api, {
    method: 'patch',
    path: '/v1/subscriptions/{id}',
    summary: 'Change the number of users (E3, audited)',
    permission: 'order',
    body: SubscriptionUpdateBody,
    responses: { 200: json('The subscription', Subscription) },
    errors: [409, 422, 503],
    own: ownSubscription,
    handler: async (subscription, { principal, actor, body }) => {
      if (subscription.status !== 'active')
        throw refusal(SubscriptionFailure.NotActive, 'The subscription is inactive; its users cannot change.');
      await runUpdate(handleOf(subscription), changeUserCountUpdate, { users: body.users, actor });
      return reply(200, toSubscriptionJson(await ownSubscription(principal, subscription.id)));
    },
  });

  // E2: a contact whose setup link expired is invited again, through the workflow that owns the subscription.
  ownedRoute(api, {
    method: 'post',
    path: '/v1/subscriptions/{id}/contact-invitations',
    summary: "Invite the customer's contact again once the setup link expired: a new link and email (E2)",
    permission: 'order',
    responses: { 200: json('The subscription, its contact invited again', SubscriptionWithLifecycle) },
    errors: [[409, "The contact's link has not expired (or the setup is done); or the subscription is inactive"], 503],
    own: ownSubscription,
    handler: async (subscription, { principal, actor }) => {
      const handle = handleOf(subscription);
      const { status, contactSetup, contactLinkExpiresAt } = await runUpdate(handle, reinviteContactUpdate, { actor });
      return reply(200, {
        ...toSubscriptionJson(await ownSubscription(principal, subscription.id)),
        lifecycle: { status, contactSetup, contactLinkExpiresAt, workflowId: handle.workflowId },
      });
    },
  });

  // E3: the subscription's monthly invoices, newest first.
  getOwnedRoute(api, {
    path: '/v1/subscriptions/{id}/invoices',
    summary: "The subscription's invoices: one per month from its payment dates, at its users then (E3)",
    // B1/T2: invoices need the billing permission.
    permission: 'billing',
    response: json('The invoices, newest first', SubscriptionInvoiceList),
    own: ownSubscription,
    view: async (subscription) => ({
      data: (await listSubscriptionInvoices(sql, subscription.id)).map((i) => ({
        id: i.id,
        periodStart: i.periodStart.toISOString(),
        periodEnd: i.periodEnd.toISOString(),
        users: i.users,
        unitPrice: money(i.unitPriceMinor, i.currency),
        total: money(i.totalMinor, i.currency),
        issuedAt: i.issuedAt.toISOString(),
      })),
    }),
  });

  // E2: the signatures, which the reseller edits when the customer may not (its contact edits them otherwise).
  getOwnedRoute(api, {
    path: '/v1/subscriptions/{id}/signatures',
    summary: "The subscription's signature settings (E2)",
    response: json('The settings', SignatureSettings),
    own: ownSubscription,
    view: async (subscription) => {
      const settings = await findSignatureSettings(sql, subscription.id);
      if (!settings) throw notFound('Subscription');
      return settings;
    },
  });
  ownedRoute(api, {
    method: 'put',
    path: '/v1/subscriptions/{id}/signatures',
    summary: "Change the signatures when the customer may not edit them (E2: 'Let the customer edit signatures?' off)",
    permission: 'order',
    body: SignatureSettingsUpdate,
    responses: { 200: json('The settings, changed (audited)', SignatureSettings) },
    errors: [[409, "The customer's contact edits this subscription's signatures"]],
    own: ownSubscription,
    handler: async (subscription, { principal, actor, body }) => {
      const changed = await updateSignatureTemplateAsReseller(sql, {
        resellerId: principal.resellerId,
        subscriptionId: subscription.id,
        signatureTemplate: body.signatureTemplate,
        actor,
      });
      if (changed === 'customer-edits')
        throw new HttpError(
          409,
          'customer_edits_signatures',
          "The customer's contact edits this subscription's signatures (E2); the reseller edits them when it may not.",
        );
      return reply(200, changed);
    },
  });

  // Ends the subscription: inactive in the list, the contact's access with it.
  ownedRoute(api, {
    method: 'post',
    path: '/v1/subscriptions/{id}/cancel',
    summary: 'End the subscription (inactive); the contact loses access',
    permission: 'order',
    responses: { 200: json('The subscription', Subscription) },
    errors: [409, 503],
    own: ownSubscription,
    handler: async (subscription, { principal, actor }) => {
      if (subscription.status === 'active')
        await runUpdate(handleOf(subscription), cancelSubscriptionUpdate, { actor });
      return reply(200, toSubscriptionJson(await ownSubscription(principal, subscription.id)));
    },
  });
}
