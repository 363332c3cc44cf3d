// The published contract: every operation the API serves is in /openapi.json, and every successful answer
// has a schema, so a generated client (openapi-typescript) never types an answer as `never`.
import request from 'supertest';
import { startStack, type Stack } from './helpers/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

type Operation = { responses: Record<string, { content?: Record<string, { schema?: unknown }> }> };

describe('the OpenAPI document', () => {
  it('documents every operation, and every successful answer with a body has a schema', async () => {
    const doc = (await request(stack.app).get('/openapi.json')).body as {
      paths: Record<string, Record<string, Operation>>;
    };
    const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({ name: `${method.toUpperCase()} ${path}`, op })),
    );
    expect(operations.length).toBeGreaterThanOrEqual(60);
    expect(operations.map((o) => o.name)).toEqual(
      expect.arrayContaining([
        'GET /v1/customers/{id}/audit',
        'GET /v1/support/incidents',
        'POST /v1/support/incidents/{workflowId}/retry',
        'PUT /v1/orders/{id}/drivers',
      ]),
    );
    const withoutSchema = operations.flatMap(({ name, op }) =>
      Object.entries(op.responses)
        .filter(([status]) => status.startsWith('2') && status !== '204')
        .filter(([, r]) => !r.content || Object.values(r.content).some((c) => c.schema === undefined))
        .map(([status]) => `${name} ${status}`),
    );
    expect(withoutSchema).toEqual([]);
    // The only operations with no success answer are the documented refusals: O7 (OEM only) and E2 (contacts
    // never reach billing).
    const noSuccess = operations.filter(({ op }) => !Object.keys(op.responses).some((s) => s.startsWith('2')));
    expect(
      noSuccess.every((o) => /^(POST \/v1\/orders\/\{id\}\/activate|\w+ \/contact\/v1\/billing)$/.test(o.name)),
    ).toBe(true);
  });
});
