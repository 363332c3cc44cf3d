import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { registerSubscriptionPaths } from './subscription-openapi';
import { Customer, CustomerCreateBody, CustomerList, CustomerListQuery, CustomerWithInvitation, ErrorResponse, ReminderBody } from './schemas';

// The OpenAPI document, generated from the same zod schemas the routes validate with.

const errors = (...codes: number[]) =>
  Object.fromEntries(codes.map((c) => [c, { description: ERROR_TEXT[c] ?? 'Error', content: { 'application/json': { schema: ErrorResponse } } }]));
const ERROR_TEXT: Record<number, string> = {
  400: 'Invalid input: the field and the reason',
  401: 'No or unknown API key',
  403: 'The user lacks the permission',
  404: 'Not found (or another reseller\'s)',
  409: 'Refused by a rule, with the reason',
  422: 'Idempotency-Key reused with a different body',
};
const idParam = z.object({ id: z.uuid() });

export function buildOpenApiDocument(): object {
  const registry = new OpenAPIRegistry();
  const bearer = registry.registerComponent('securitySchemes', 'apiKey', { type: 'http', scheme: 'bearer', description: 'A reseller user\'s API key.' });
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
    responses: { 201: { description: 'The customer, with its VIP id; the invitation email is on its way', content: { 'application/json': { schema: Customer } } }, ...errors(400, 401, 403, 422) },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/customers',
    summary: 'List the reseller\'s customers',
    security,
    request: { query: CustomerListQuery },
    responses: { 200: { description: 'A page of customers', content: { 'application/json': { schema: CustomerList } } }, ...errors(400, 401) },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/customers/{id}',
    summary: 'One customer, with the invitation\'s live state',
    security,
    request: { params: idParam },
    responses: { 200: { description: 'The customer', content: { 'application/json': { schema: CustomerWithInvitation } } }, ...errors(401, 404) },
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
    summary: 'Refused: details are fixed once the invitation is sent (C3)',
    security,
    request: { params: idParam },
    responses: errors(401, 403, 404, 409),
  });
  registerSubscriptionPaths(registry, security, errors);
  registry.registerPath({
    method: 'get',
    path: '/healthz',
    summary: 'Whether Postgres and Temporal answer',
    responses: { 200: { description: 'Healthy' }, 503: { description: 'A dependency is down' } },
  });

  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: { title: 'Reseller provisioning engine', version: '0.1.0', description: 'Durable reseller lifecycles on Temporal. Rule ids refer to DOMAIN.md.' },
    servers: [{ url: '/' }],
  });
}
