import { revokeApiKey } from '../db/api-keys';
import { newReseller } from './helpers/fixtures';
import { signedIn, stackForSuite } from './helpers/stack';

// T1: API keys, looked up once and trusted for API_KEY_CACHE_TTL (the API's fixed cost per request stays
// small), yet a revoked key is refused within that time.

const TTL_MS = 1000;
const stack = stackForSuite({ API_KEY_CACHE_TTL: `${TTL_MS}ms` });

describe('API keys', () => {
  it('T1: a revoked key is refused once the key cache TTL has passed', async () => {
    const reseller = await newReseller(stack.sql);
    const get = () => signedIn(stack.app, reseller.apiKey).get('/v1/customers');
    expect((await get()).status).toBe(200);
    expect(await revokeApiKey(stack.sql, reseller.apiKey)).toBe(true);
    // Within the TTL the cached key may still pass; after it, never.
    await new Promise((r) => setTimeout(r, TTL_MS + 200));
    const refused = await get();
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe('unauthenticated');
  });

  it('T1: an unknown key is refused every time (unknown keys are not cached)', async () => {
    const reseller = await newReseller(stack.sql);
    const forged = `${reseller.apiKey.slice(0, -4)}AAAA`;
    for (let i = 0; i < 2; i++) expect((await signedIn(stack.app, forged).get('/v1/customers')).status).toBe(401);
    expect((await signedIn(stack.app, reseller.apiKey).get('/v1/customers')).status).toBe(200);
  });
});
