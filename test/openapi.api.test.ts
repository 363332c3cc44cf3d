// The published contract: every operation the API serves is in /openapi.json, and every successful answer
// has a schema, so a generated client (openapi-typescript) never types an answer as `never`.
import request from 'supertest';
import { addMonths } from '../lib/dates';
import { customerBody, newReseller, type Reseller } from './helpers/fixtures';
import { signedIn, startStack, type Stack } from './helpers/stack';

let stack: Stack;
let reseller: Reseller;
beforeAll(async () => {
  stack = await startStack();
  reseller = await newReseller(stack.sql);
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

  // Issue 11: schemathesis holds the API to this document in scripts/test; these are the parts it needs.
  it('states what every operation may answer, the cursor and date patterns, and links each create to what it made', async () => {
    const doc = (await request(stack.app).get('/openapi.json')).body as {
      paths: Record<
        string,
        Record<string, Operation & { parameters?: { name: string; schema: { pattern?: string } }[] }>
      >;
      components: { schemas: Record<string, { properties?: Record<string, { pattern?: string }> }> };
    };
    const operations = Object.values(doc.paths).flatMap((methods) => Object.values(methods));
    expect(operations.filter((op) => !op.responses['400'] || !op.responses['503'])).toEqual([]);
    const customers = doc.paths['/v1/customers']!;
    expect(Object.keys(customers.post!.responses)).toEqual(
      expect.arrayContaining(['401', '403', '413', '415', '422', '429']),
    );
    const cursor = customers.get!.parameters!.find((p) => p.name === 'cursor')!;
    const listed = await signedIn(stack.app, reseller.apiKey).get('/v1/customers?limit=1');
    await signedIn(stack.app, reseller.apiKey).post('/v1/customers').send(customerBody());
    await signedIn(stack.app, reseller.apiKey).post('/v1/customers').send(customerBody());
    const page = await signedIn(stack.app, reseller.apiKey).get('/v1/customers?limit=1');
    expect(listed.status).toBe(200);
    expect(page.body.nextCursor).toMatch(new RegExp(cursor.schema.pattern!));
    // C5: the anniversary's range as of today, which the API checks.
    const anniversary = new RegExp(doc.components.schemas.CustomerCreate!.properties!.anniversaryDate!.pattern!);
    const today = new Date().toISOString().slice(0, 10);
    expect([addMonths(today, 1), addMonths(today, -1), addMonths(today, 13)].map((d) => anniversary.test(d))).toEqual([
      true,
      false,
      false,
    ]);
    const links = (
      customers.post!.responses['201'] as { links?: Record<string, { operationRef: string; parameters?: object }> }
    ).links!;
    expect(Object.values(links)).toEqual(
      expect.arrayContaining([
        { operationRef: '#/paths/~1v1~1customers~1{id}/get', parameters: { id: '$response.body#/id' } },
        { operationRef: '#/paths/~1v1~1customers~1{id}/delete', parameters: { id: '$response.body#/id' } },
        { operationRef: '#/paths/~1v1~1renewals~1{customerId}/get', parameters: { customerId: '$response.body#/id' } },
        { operationRef: '#/paths/~1v1~1orders/post', requestBody: { customerId: '$response.body#/id' } },
      ]),
    );
  });

  it('every text an operation takes, nullable or not, says it holds no NUL, as the API refuses it (issue 11)', async () => {
    type Json = { [k: string]: unknown };
    const doc = (await request(stack.app).get('/openapi.json')).body as Json & {
      paths: Record<string, Record<string, { requestBody?: { content?: Record<string, { schema?: Json }> } }>>;
      components: { schemas: Record<string, Json> };
    };
    const unguarded: string[] = [];
    const seen = new Set<Json>();
    const visit = (node: unknown, at: string): void => {
      if (!node || typeof node !== 'object') return;
      const ref = (node as Json).$ref;
      const schema = (typeof ref === 'string' ? doc.components.schemas[ref.split('/').pop()!] : node) as Json;
      if (!schema || seen.has(schema)) return;
      seen.add(schema);
      const types = ([] as unknown[]).concat(schema.type ?? []);
      const free = schema.pattern === undefined && schema.enum === undefined && schema.const === undefined;
      if (types.includes('string') && free && schema.format === undefined) unguarded.push(at);
      for (const [key, value] of Object.entries(schema)) {
        if (key === 'properties') for (const [name, s] of Object.entries(value as Json)) visit(s, `${at}.${name}`);
        else if (Array.isArray(value)) for (const s of value) visit(s, at);
        else if (key === 'items' || key === 'additionalProperties') visit(value, at);
      }
    };
    for (const [path, methods] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(methods))
        for (const media of Object.values(op.requestBody?.content ?? {}))
          visit(media.schema, `${method.toUpperCase()} ${path}`);
    expect(unguarded).toEqual([]);
    // The field schemathesis found: a webhook endpoint's nullable description.
    const res = await signedIn(stack.app, reseller.apiKey)
      .post('/v1/webhook-endpoints')
      .set('Idempotency-Key', 'nul-in-description')
      .send({ url: 'https://hooks.example.com/engine', description: 'a\u0000b' });
    expect([res.status, res.body.error?.issues?.[0]?.field]).toEqual([400, 'description']);
  });

  it('answers a method the document does not declare on its path 405 with Allow; an unknown path stays 404', async () => {
    const trace = await signedIn(stack.app, reseller.apiKey).trace('/v1/customers');
    expect(trace.status).toBe(405);
    expect(trace.headers.allow?.split(', ').sort()).toEqual(['GET', 'HEAD', 'OPTIONS', 'POST']);
    expect(trace.body.error.code).toBe('method_not_allowed');
    const put = await request(stack.app).put('/healthz');
    expect([put.status, put.headers.allow]).toEqual([405, 'GET, HEAD, OPTIONS']);
    const options = await signedIn(stack.app, reseller.apiKey).options(
      '/v1/customers/00000000-0000-4000-8000-000000000000',
    );
    expect(options.headers.allow?.split(/, ?/).sort()).toEqual(['DELETE', 'GET', 'HEAD', 'PATCH']);
    expect((await signedIn(stack.app, reseller.apiKey).trace('/v1/nothing-here')).status).toBe(404);
    // A path of its own that a parameter's path also matches (`/v1/customers/{id}` takes "map"): 405 for its path;
    // a malformed id on a declared method stays 404.
    const patchMap = await signedIn(stack.app, reseller.apiKey).patch('/v1/customers/map').send({});
    expect([patchMap.status, patchMap.headers.allow]).toEqual([405, 'GET, HEAD, OPTIONS']);
    expect((await signedIn(stack.app, reseller.apiKey).patch('/v1/customers/not-an-id').send({})).status).toBe(404);
    expect((await signedIn(stack.app, reseller.apiKey).options('/v1/customers/map')).headers.allow).toBe('GET, HEAD');
  });
});
