import { randomInt } from 'node:crypto';
import pino from 'pino';
import request from 'supertest';
import { createApp } from '../api/app';
import type { Config } from '../config';
import { stackForSuite } from './helpers/stack';

const stack = stackForSuite();
/** The API on this stack's database and Temporal, with other settings. */
const appWith = (settings: Partial<Config>) =>
  createApp({
    sql: stack.sql,
    temporal: stack.temporal,
    config: { ...stack.config, ...settings },
    logger: pino({ level: 'silent' }),
  });

/** A client of its own behind the (loopback) proxy: counters are shared through Postgres by every test. */
const someClient = () => `203.0.113.${randomInt(1, 255)}, 198.51.100.${randomInt(1, 255)}`;

describe('guessing limits on what anyone can reach', () => {
  it('T3: contact sign-in is limited per client: the attempt over the limit gets 429 with RateLimit headers', async () => {
    const app = appWith({ LOGIN_RATE_LIMIT: 3 });
    const client = someClient();
    const attempt = () =>
      request(app)
        .post('/contact/login')
        .set('x-forwarded-for', client)
        .send({ email: `nobody-${randomInt(1e9)}@customer.test`, password: 'not-the-password-123' });
    for (let i = 0; i < 3; i++) expect((await attempt()).status).toBe(401);
    const over = await attempt();
    expect(over.status).toBe(429);
    expect(over.body.error.code).toBe('too_many_requests');
    expect(over.headers['ratelimit-policy'] ?? over.headers.ratelimit).toBeDefined();
  });

  it('T3: the pages behind emailed links are limited too, so tokens cannot be enumerated', async () => {
    const app = appWith({ PUBLIC_PAGE_RATE_LIMIT: 2 });
    const client = someClient();
    const guess = () =>
      request(app).get('/invitations/accept?token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA').set('x-forwarded-for', client);
    expect((await guess()).status).toBe(404);
    expect((await guess()).status).toBe(404);
    expect((await guess()).status).toBe(429);
  });
});
