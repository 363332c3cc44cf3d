import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { registerBillingPaths } from './billing-openapi';
import { registerSubscriptionPaths } from './subscription-openapi';
import { ConfigureBody, Order, OrderCreateBody, OrderListQuery } from './routes/orders';
import { RedeemBody, ResellerChange, ResellerChangeCreateBody } from './routes/reseller-changes';
import {
  Customer,
  CustomerCreateBody,
  CustomerExportQuery,
  CustomerList,
  CustomerListQuery,
  CustomerWithInvitation,
  ErrorResponse,
  ManagedByBody,
  ReminderBody,
  SearchQuery,
  SearchResults,
} from './schemas';

// The OpenAPI document, generated from the same zod schemas the routes validate with.

const errors = (...codes: number[]) =>
  Object.fromEntries(
    codes.map((c) => [
      c,
      { description: ERROR_TEXT[c] ?? 'Error', content: { 'application/json': { schema: ErrorResponse } } },
    ]),
  );
const ERROR_TEXT: Record<number, string> = {
  400: 'Invalid input: the field and the reason',
  401: 'No or unknown API key',
  403: 'The user lacks the permission',
  404: "Not found (or another reseller's)",
  409: 'Refused by a rule, with the reason',
  422: 'Idempotency-Key reused with a different body',
};
const idParam = z.object({ id: z.uuid() });

export function buildOpenApiDocument(): object {
  const registry = new OpenAPIRegistry();
  const bearer = registry.registerComponent('securitySchemes', 'apiKey', {
    type: 'http',
    scheme: 'bearer',
    description: "A reseller user's API key.",
  });
  const security = [{ [bearer.name]: [] }];

  registry.registerPath({
    method: 'post',
    path: '/v1/customers',
    summary: 'Add a customer and send the invitation (C1, C2)',
    security,
    request: {
      headers: z.object({ 'Idempotency-Key': z.string().max(255).optional() }),
      body: { content: { 'application/json': { schema: CustomerCreateBody } } },
    },
    responses: {
      201: {
        description: 'The customer, with its VIP id; the invitation email is on its way',
        content: { 'application/json': { schema: Customer } },
      },
      ...errors(400, 401, 403, 422),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/customers',
    summary: 'List the reseller\'s customers, with the portal\'s filters and "managed by me" (D1)',
    security,
    request: { query: CustomerListQuery },
    responses: {
      200: { description: 'A page of customers', content: { 'application/json': { schema: CustomerList } } },
      ...errors(400, 401),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/customers.csv',
    summary: 'Export the customer list, with the same filters, as CSV (D2)',
    security,
    request: { query: CustomerExportQuery },
    responses: {
      200: {
        description: 'Every matching customer, one per row after a header row (UTF-8 with BOM); an attachment',
        headers: {
          'Content-Disposition': {
            schema: { type: 'string' },
            description: 'attachment; filename="customers-YYYY-MM-DD.csv"',
          },
        },
        content: { 'text/csv': { schema: z.string() } },
      },
      ...errors(400, 401),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/search',
    summary: 'One search box: users, companies, order numbers, serial numbers, invoices (D3)',
    security,
    request: { query: SearchQuery },
    responses: {
      200: { description: 'At most 20 hits, best first', content: { 'application/json': { schema: SearchResults } } },
      ...errors(400, 401),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/customers/{id}',
    summary:
      "Customer details: the invitation's live state, VIP Select, 3-year commitment, plans, order, authorization and renewal history (D7)",
    security,
    request: { params: idParam },
    responses: {
      200: { description: 'The customer', content: { 'application/json': { schema: CustomerWithInvitation } } },
      ...errors(401, 404),
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/customers/{id}/invitation/reminders',
    summary: 'Send a reminder while the invitation is pending, optionally to a corrected address (C3)',
    security,
    request: { params: idParam, body: { content: { 'application/json': { schema: ReminderBody } } } },
    responses: { 200: { description: 'Reminder sent' }, ...errors(400, 401, 403, 404, 409) },
  });
  registry.registerPath({
    method: 'delete',
    path: '/v1/customers/{id}',
    summary: 'Delete a customer without products, ending a pending invitation (C3, C8)',
    security,
    request: { params: idParam },
    responses: { 204: { description: 'Deleted' }, ...errors(401, 403, 404, 409) },
  });
  registry.registerPath({
    method: 'patch',
    path: '/v1/customers/{id}',
    summary:
      'Assign the team member managing the customer, { managedBy } only (D1, D7); any other change is refused: details are fixed once the invitation is sent (C3)',
    security,
    request: { params: idParam, body: { content: { 'application/json': { schema: ManagedByBody } } } },
    responses: {
      200: { description: 'The customer, with its new manager', content: { 'application/json': { schema: Customer } } },
      ...errors(400, 401, 403, 404, 409),
    },
  });
  registerSubscriptionPaths(registry, security, errors);
  registerBillingPaths(registry, security, errors);

  const json = (schema: z.ZodType) => ({ content: { 'application/json': { schema } } });
  registry.registerPath({
    method: 'post',
    path: '/v1/reseller-changes',
    summary: "Ask for a customer's reseller change code (X1, X4); the answer never tells whether the pair matched",
    security,
    request: { body: json(ResellerChangeCreateBody) },
    responses: {
      202: { description: 'Code sent if the details match', ...json(ResellerChange) },
      ...errors(400, 401, 403, 409, 429),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/reseller-changes/{id}',
    summary: 'One reseller change request',
    security,
    request: { params: idParam },
    responses: { 200: { description: 'The request', ...json(ResellerChange) }, ...errors(401, 404) },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/reseller-changes/{id}/redeem',
    summary: 'Redeem the code the customer gave you (X2): the customer moves to you',
    security,
    request: { params: idParam, body: json(RedeemBody) },
    responses: { 200: { description: 'Moved', ...json(ResellerChange) }, ...errors(400, 401, 403, 404, 409) },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/reseller-changes/{id}/resend',
    summary: 'Send a new code once the previous one expired (X3)',
    security,
    request: { params: idParam },
    responses: { 202: { description: 'A new request', ...json(ResellerChange) }, ...errors(401, 403, 404, 409, 429) },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/orders',
    summary: 'Order now or get a trial (O1-O4, B2)',
    security,
    request: { body: json(OrderCreateBody) },
    responses: {
      201: { description: 'Placed; the activation email is on its way', ...json(Order) },
      ...errors(400, 401, 403, 404, 422),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/orders/{id}',
    summary: 'One order or trial with its lines and license',
    security,
    request: { params: idParam },
    responses: { 200: { description: 'The order', ...json(Order) }, ...errors(401, 404) },
  });
  registry.registerPath({
    method: 'delete',
    path: '/v1/orders/{id}',
    summary: 'Delete before activation, with ?confirm=true (O5)',
    security,
    request: { params: idParam, query: z.object({ confirm: z.literal('true') }) },
    responses: { 204: { description: 'Deleted; the customer stays' }, ...errors(400, 401, 403, 404, 409) },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/orders/{id}/extend',
    summary: '"+": extend a trial (O6)',
    security,
    request: { params: idParam },
    responses: { 200: { description: 'Extended', ...json(Order) }, ...errors(401, 403, 404, 409) },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/orders/{id}/convert',
    summary: '"+": convert a trial into an order (O6)',
    security,
    request: { params: idParam },
    responses: { 200: { description: 'Converted', ...json(Order) }, ...errors(401, 403, 404, 409) },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/orders',
    summary: 'All orders and trials in one place (O6)',
    security,
    request: { query: OrderListQuery },
    responses: { 200: { description: 'A page of orders' }, ...errors(400, 401) },
  });
  registry.registerPath({
    method: 'put',
    path: '/v1/orders/{id}/drivers',
    summary: 'Configure: swap drivers; a higher tier charges the prorated difference (O6)',
    security,
    request: { params: idParam, body: json(ConfigureBody) },
    responses: {
      200: { description: 'Reconfigured, with the adjustment', ...json(Order) },
      ...errors(400, 401, 403, 404, 409),
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/orders/{id}/activate',
    summary: 'Refused: activating a license is an OEM-only function (O7)',
    security,
    request: { params: idParam },
    responses: errors(401, 403, 404),
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/orders/{id}/audit',
    summary: 'The audit trail of one order (O6)',
    security,
    request: { params: idParam },
    responses: { 200: { description: 'Who changed what and when' }, ...errors(401, 404) },
  });
  registry.registerPath({
    method: 'get',
    path: '/healthz',
    summary: 'Whether Postgres and Temporal answer',
    responses: { 200: { description: 'Healthy' }, 503: { description: 'A dependency is down' } },
  });

  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Reseller provisioning engine',
      version: '0.1.0',
      description: 'Durable reseller lifecycles on Temporal. Rule ids refer to DOMAIN.md.',
    },
    servers: [{ url: '/' }],
  });
}
