import type { OpenAPIRegistry, ResponseConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { ErrorResponse } from './schemas';
import {
  ContactLoginBody,
  ContactSession,
  SignatureSettings,
  SignatureSettingsUpdate,
  Subscription,
  SubscriptionCreateBody,
  SubscriptionList,
  SubscriptionListQuery,
  SubscriptionUpdateBody,
  SubscriptionWithLifecycle,
} from './subscription-schemas';

// The subscriptions' and contacts' paths (E1-E3, T3) in the OpenAPI document.

type Errors = (...codes: number[]) => Record<string, ResponseConfig>;
const idParam = z.object({ id: z.uuid() });
const json = <T extends z.ZodType>(description: string, schema: T) => ({
  description,
  content: { 'application/json': { schema } },
});

export function registerSubscriptionPaths(
  registry: OpenAPIRegistry,
  security: Record<string, string[]>[],
  errors: Errors,
): void {
  const contactBearer = registry.registerComponent('securitySchemes', 'contactSession', {
    type: 'http',
    scheme: 'bearer',
    description: "A customer contact's session from POST /contact/login; accepted by /contact/v1 only.",
  });
  const contactSecurity = [{ [contactBearer.name]: [] }];

  registry.registerPath({
    method: 'post',
    path: '/v1/subscriptions',
    summary: 'Create a per-user subscription; invites the contact when the customer edits signatures (E1, E2)',
    security,
    request: {
      headers: z.object({ 'Idempotency-Key': z.string().max(255).optional() }),
      body: { content: { 'application/json': { schema: SubscriptionCreateBody } } },
    },
    responses: { 201: json('The subscription', Subscription), ...errors(400, 401, 403, 404, 422) },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/subscriptions',
    summary: "List the reseller's subscriptions: customer, users, status, next payment date (E3)",
    security,
    request: { query: SubscriptionListQuery },
    responses: { 200: json('A page of subscriptions', SubscriptionList), ...errors(400, 401) },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/subscriptions/{id}',
    summary: "One subscription, with its lifecycle's live state",
    security,
    request: { params: idParam },
    responses: { 200: json('The subscription', SubscriptionWithLifecycle), ...errors(401, 404) },
  });
  registry.registerPath({
    method: 'patch',
    path: '/v1/subscriptions/{id}',
    summary: 'Change the number of users (E3, audited)',
    security,
    request: { params: idParam, body: { content: { 'application/json': { schema: SubscriptionUpdateBody } } } },
    responses: { 200: json('The subscription', Subscription), ...errors(400, 401, 403, 404, 409) },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/subscriptions/{id}/cancel',
    summary: 'End the subscription (inactive); the contact loses access',
    security,
    request: { params: idParam },
    responses: { 200: json('The subscription', Subscription), ...errors(401, 403, 404, 409) },
  });
  registry.registerPath({
    method: 'post',
    path: '/contact/login',
    summary: 'A customer contact signs in with the email and the password set through the link (E2)',
    request: { body: { content: { 'application/json': { schema: ContactLoginBody } } } },
    responses: { 201: json('A session for /contact/v1', ContactSession), ...errors(400, 401) },
  });
  registry.registerPath({
    method: 'get',
    path: '/contact/v1/signatures',
    summary: 'The signature settings the contact may see (E2)',
    security: contactSecurity,
    responses: { 200: json('The settings', SignatureSettings), ...errors(401) },
  });
  registry.registerPath({
    method: 'put',
    path: '/contact/v1/signatures',
    summary: 'Change the signature settings (E2)',
    security: contactSecurity,
    request: { body: { content: { 'application/json': { schema: SignatureSettingsUpdate } } } },
    responses: { 200: json('The settings', SignatureSettings), ...errors(400, 401) },
  });
  registry.registerPath({
    method: 'get',
    path: '/contact/v1/billing',
    summary: 'Refused: contacts never reach billing (E2, T3)',
    security: contactSecurity,
    responses: {
      403: {
        description: 'Contacts have no billing access',
        content: { 'application/json': { schema: ErrorResponse } },
      },
      ...errors(401),
    },
  });
}
