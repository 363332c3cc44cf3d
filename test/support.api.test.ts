import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { resellerForSuite } from './helpers/fixtures';
import { openApiListing, signedIn, stackForSuite } from './helpers/stack';

// T4: who may reach the support endpoints. The end-to-end retry and skip of a failed step is proven with
// the lifecycles' kernel; here only the API's side: permission, validation, unknown lifecycles.

const stack = stackForSuite();
const support = resellerForSuite(stack, ['support']);
const reseller = resellerForSuite(stack);

const as = (key: string) => signedIn(stack.app, key);
const unknownWorkflow = () => `invitation:${randomUUID()}`;

describe('support endpoints (T4)', () => {
  it('T4: a reseller user, even an admin, gets 403 on every support endpoint; no key gets 401', async () => {
    expect((await as(reseller.apiKey).get('/v1/support/incidents')).status).toBe(403);
    const retry = await as(reseller.apiKey).post(`/v1/support/incidents/${unknownWorkflow()}/retry`).send({});
    expect(retry.status).toBe(403);
    const skip = await as(reseller.apiKey)
      .post(`/v1/support/incidents/${unknownWorkflow()}/skip`)
      .send({ reason: 'customer asked' });
    expect(skip.status).toBe(403);
    expect((await request(stack.app).get('/v1/support/incidents')).status).toBe(401);
  });

  it("T4: a support user lists every tenant's incidents", async () => {
    const res = await as(support.apiKey).get('/v1/support/incidents');
    expect(res.status).toBe(200);
    expect(Array.isArray(res.body.data)).toBe(true);
    for (const incident of res.body.data) {
      expect(incident).toEqual(
        expect.objectContaining({
          workflowId: expect.any(String),
          step: expect.any(String),
          since: expect.any(String),
        }),
      );
    }
  });

  it('T4: retrying or skipping a lifecycle that does not exist is a 404', async () => {
    const retry = await as(support.apiKey).post(`/v1/support/incidents/${unknownWorkflow()}/retry`).send({});
    expect(retry.status).toBe(404);
    expect(retry.body.error.code).toBe('not_found');
    const skip = await as(support.apiKey)
      .post(`/v1/support/incidents/${unknownWorkflow()}/skip`)
      .send({ reason: 'the contact confirmed by phone' });
    expect(skip.status).toBe(404);
  });

  it('T4: a skip needs a reason of 3 to 500 characters; a retry takes only a reason and a corrected email', async () => {
    const id = unknownWorkflow();
    for (const body of [{}, { reason: 'no' }, { reason: 'x'.repeat(501) }]) {
      const res = await as(support.apiKey).post(`/v1/support/incidents/${id}/skip`).send(body);
      expect(res.status).toBe(400);
      expect(res.body.error.issues[0].field).toBe('reason');
    }
    const badEmail = await as(support.apiKey)
      .post(`/v1/support/incidents/${id}/retry`)
      .send({ correction: { email: 'not-an-email' } });
    expect(badEmail.status).toBe(400);
    expect(badEmail.body.error.issues[0].field).toBe('correction.email');
  });

  it('T4: the support endpoints are in the OpenAPI document', async () => {
    await openApiListing(stack, [
      '/v1/support/incidents',
      '/v1/support/incidents/{workflowId}/retry',
      '/v1/support/incidents/{workflowId}/skip',
    ]);
  });
});
