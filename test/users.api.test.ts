import request from 'supertest';
import { customerBody, newReseller, type Reseller, uniqueEmail } from './helpers/fixtures';
import { linkIn, tokenOf } from './helpers/mailbox';
import { signedIn, stackForSuite } from './helpers/stack';

// T2: the license owner (`admin`) manages the reseller's users and their API keys. Keys are looked up on every
// request (API_KEY_CACHE_TTL 0), so a change of permissions, a deactivation or a revocation takes effect at once.
const stack = stackForSuite({ API_KEY_CACHE_TTL: '0' });
let owner: Reseller;
let other: Reseller;

beforeAll(async () => {
  owner = await newReseller(stack.sql, ['admin']);
  other = await newReseller(stack.sql);
});

const as = (key: string) => signedIn(stack.app, key);
const STRONG = 'violet tractor humming seventeen lanterns';

const auditOf = (entityId: string) =>
  stack.sql<{ action: string; actor: string; resellerId: string }[]>`
    SELECT action, actor, reseller_id FROM audit_events WHERE entity_id = ${entityId} ORDER BY id`;

/** A user invited by the owner, who set up its account through the emailed link. */
async function activeUser(permissions: string[]) {
  const email = uniqueEmail('staff');
  const invited = await as(owner.apiKey).post('/v1/users').send({ email, name: 'Sam Staff', permissions });
  expect(invited.status).toBe(201);
  const [mail] = await stack.mailbox.waitFor(email);
  const token = tokenOf(linkIn(mail!));
  const done = await request(stack.app)
    .post('/users/setup')
    .type('form')
    .send({ token, password: STRONG, passwordConfirm: STRONG });
  expect(done.status).toBe(200);
  return invited.body.id as string;
}

async function keyFor(userId: string, name = 'CI') {
  const issued = await as(owner.apiKey).post(`/v1/users/${userId}/api-keys`).send({ name });
  expect(issued.status).toBe(201);
  return issued.body as { id: string; key: string };
}

describe('users and API keys, managed by the license owner (T2)', () => {
  it('T2 T3: the admin invites a user by email; the emailed link sets a strong password and activates it, once; audited', async () => {
    const email = uniqueEmail('invitee');
    const invited = await as(owner.apiKey)
      .post('/v1/users')
      .set('Idempotency-Key', `invite-${email}`)
      .send({ email, name: 'Ingrid Invitee', permissions: ['order', 'billing'] });
    expect(invited.status).toBe(201);
    expect(invited.body).toMatchObject({ email, status: 'pending', permissions: ['order', 'billing'] });
    const userId = invited.body.id as string;
    // The same request again finds the same user; the same email for another user is a conflict.
    const replay = await as(owner.apiKey)
      .post('/v1/users')
      .set('Idempotency-Key', `invite-${email}`)
      .send({ email, name: 'Ingrid Invitee', permissions: ['order', 'billing'] });
    expect([replay.status, replay.body.id, replay.headers['idempotent-replayed']]).toEqual([201, userId, 'true']);
    const twice = await as(owner.apiKey).post('/v1/users').send({ email, name: 'Again', permissions: [] });
    expect([twice.status, twice.body.error.code]).toEqual([409, 'email_taken']);

    const [mail] = await stack.mailbox.waitFor(email);
    expect(mail!.subject).toMatch(/Set up your .* reseller portal account/);
    const link = linkIn(mail!);
    expect(new URL(link).pathname).toBe('/users/setup');
    const token = tokenOf(link);
    // Random, stored hashed: the token itself is nowhere in the database.
    const [stored] = await stack.sql`SELECT count(*)::int AS n FROM user_setup_tokens WHERE user_id = ${userId}`;
    expect(stored!.n).toBe(1);

    const form = await request(stack.app).get(`/users/setup?token=${token}`);
    expect(form.status).toBe(200);
    expect(form.text).toContain(email);
    const weak = await request(stack.app)
      .post('/users/setup')
      .type('form')
      .send({ token, password: 'password1234', passwordConfirm: 'password1234' });
    expect(weak.status).toBe(400);
    expect((await as(owner.apiKey).get(`/v1/users/${userId}`)).body.status).toBe('pending');

    const done = await request(stack.app)
      .post('/users/setup')
      .type('form')
      .send({ token, password: STRONG, passwordConfirm: STRONG });
    expect(done.status).toBe(200);
    expect(done.text).toContain('Your account is active');
    const user = await as(owner.apiKey).get(`/v1/users/${userId}`);
    expect(user.body).toMatchObject({ status: 'active', activatedAt: expect.any(String) });
    const [row] = await stack.sql<
      { passwordHash: string }[]
    >`SELECT password_hash FROM reseller_users WHERE id = ${userId}`;
    expect(row!.passwordHash).toMatch(/^\$argon2id\$/);

    // Single use: the link now says plainly why it no longer works.
    const spent = await request(stack.app).get(`/users/setup?token=${token}`);
    expect(spent.status).toBe(410);
    expect(spent.text).toContain('already used');
    const reused = await request(stack.app)
      .post('/users/setup')
      .type('form')
      .send({ token, password: STRONG, passwordConfirm: STRONG });
    expect(reused.status).toBe(410);

    const listed = await as(owner.apiKey).get('/v1/users');
    expect(listed.status).toBe(200);
    expect(listed.body.data.map((u: { id: string }) => u.id)).toEqual(expect.arrayContaining([owner.userId, userId]));
    expect((await auditOf(userId)).map((e) => [e.action, e.actor, e.resellerId])).toEqual([
      ['user.invited', `user:${owner.userId}`, owner.resellerId],
      ['user.activated', `user:${userId}`, owner.resellerId],
    ]);
  });

  it('T2: a permission change takes effect: without `order` a user gets 403 on POST /v1/orders, then 201 once granted', async () => {
    const userId = await activeUser(['billing']);
    const { key } = await keyFor(userId);
    const customer = await as(owner.apiKey).post('/v1/customers').send(customerBody());
    // The owner holds `admin` only: creating customers needs `order` too.
    expect(customer.status).toBe(403);
    const granted = await as(owner.apiKey)
      .put(`/v1/users/${userId}/permissions`)
      .send({ permissions: ['order'] });
    expect(granted.status).toBe(200);
    expect(granted.body.permissions).toEqual(['order']);
    const created = await as(key).post('/v1/customers').send(customerBody());
    expect(created.status).toBe(201);
    const order = {
      kind: 'order',
      customerId: created.body.id,
      priceList: 'EUR',
      drivers: ['hp-latex-800'],
      subscriptionType: 'saas-annual',
      plan: 'production',
    };

    await as(owner.apiKey)
      .put(`/v1/users/${userId}/permissions`)
      .send({ permissions: ['billing'] });
    const refused = await as(key).post('/v1/orders').send(order);
    expect([refused.status, refused.body.error.code]).toEqual([403, 'forbidden']);
    await as(owner.apiKey)
      .put(`/v1/users/${userId}/permissions`)
      .send({ permissions: ['order', 'billing'] });
    const placed = await as(key).post('/v1/orders').send(order);
    expect(placed.status).toBe(201);

    expect((await auditOf(userId)).map((e) => e.action)).toEqual([
      'user.invited',
      'user.activated',
      'user.permissions_changed',
      'user.permissions_changed',
      'user.permissions_changed',
    ]);
    // Bad input names the field; `support` is the operators' and never granted by a reseller.
    const bad = await as(owner.apiKey)
      .put(`/v1/users/${userId}/permissions`)
      .send({ permissions: ['support'] });
    expect([bad.status, bad.body.error.issues[0].field]).toEqual([400, 'permissions.0']);
  });

  it('T2: a key is shown once, listed without its secret, with its last use; revoked → 401; audited', async () => {
    const userId = await activeUser(['order']);
    const issued = await keyFor(userId, 'Build server');
    expect(issued.key).toMatch(/^rk_[0-9a-f]{12}_/);
    expect((await as(issued.key).get('/v1/customers')).status).toBe(200);

    const listed = await as(owner.apiKey).get(`/v1/users/${userId}/api-keys`);
    expect(listed.status).toBe(200);
    expect(listed.body.data).toEqual([
      expect.objectContaining({ id: issued.id, name: 'Build server', lastUsedAt: expect.any(String), revokedAt: null }),
    ]);
    expect(JSON.stringify(listed.body)).not.toContain(issued.key);
    expect(listed.body.data[0]).not.toHaveProperty('key');
    // Stored hashed only.
    const [row] = await stack.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM api_keys WHERE id = ${issued.id} AND key_hash = sha256(${issued.key}::bytea)`;
    expect(row!.n).toBe(1);

    const revoked = await as(owner.apiKey).delete(`/v1/users/${userId}/api-keys/${issued.id}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).toEqual(expect.any(String));
    expect((await as(issued.key).get('/v1/customers')).status).toBe(401);
    expect((await as(owner.apiKey).delete(`/v1/users/${userId}/api-keys/${issued.id}`)).status).toBe(200);
    expect((await auditOf(issued.id)).map((e) => e.action)).toEqual(['api_key.issued', 'api_key.revoked']);

    // Under an Idempotency-Key, a repeat cannot show the key again.
    const first = await as(owner.apiKey)
      .post(`/v1/users/${userId}/api-keys`)
      .set('Idempotency-Key', `key-${userId}`)
      .send({ name: 'Once' });
    const again = await as(owner.apiKey)
      .post(`/v1/users/${userId}/api-keys`)
      .set('Idempotency-Key', `key-${userId}`)
      .send({ name: 'Once' });
    expect([first.status, again.status, again.body.error.code]).toEqual([201, 409, 'api_key_already_issued']);
  });

  it('T2: a deactivated user’s keys stop working; a pending user gets no key', async () => {
    const userId = await activeUser(['order']);
    const { key } = await keyFor(userId);
    expect((await as(key).get('/v1/customers')).status).toBe(200);
    const off = await as(owner.apiKey).post(`/v1/users/${userId}/deactivate`).send({});
    expect([off.status, off.body.status]).toEqual([200, 'deactivated']);
    expect((await as(key).get('/v1/customers')).status).toBe(401);
    expect((await auditOf(userId)).map((e) => e.action)).toContain('user.deactivated');
    const noKey = await as(owner.apiKey).post(`/v1/users/${userId}/api-keys`).send({ name: 'x' });
    expect([noKey.status, noKey.body.error.code]).toEqual([409, 'user_not_active']);
  });

  it('T2: the last admin cannot remove its own admin permission nor deactivate itself → 409 last_admin', async () => {
    const solo = await newReseller(stack.sql, ['admin', 'order']);
    const demote = await as(solo.apiKey)
      .put(`/v1/users/${solo.userId}/permissions`)
      .send({ permissions: ['order'] });
    expect([demote.status, demote.body.error.code]).toEqual([409, 'last_admin']);
    const off = await as(solo.apiKey).post(`/v1/users/${solo.userId}/deactivate`).send({});
    expect([off.status, off.body.error.code]).toEqual([409, 'last_admin']);
    const [user] = await stack.sql<{ permissions: string[]; status: string }[]>`
      SELECT permissions, status FROM reseller_users WHERE id = ${solo.userId}`;
    expect(user).toEqual({ permissions: ['admin', 'order'], status: 'active' });
    expect(await auditOf(solo.userId)).toEqual([]);
  });

  it("T1 T2: another tenant's user and key ids answer 404; a user without `admin` gets 403", async () => {
    const theirs = other.userId;
    const mine = as(owner.apiKey);
    for (const res of [
      await mine.get(`/v1/users/${theirs}`),
      await mine.put(`/v1/users/${theirs}/permissions`).send({ permissions: [] }),
      await mine.post(`/v1/users/${theirs}/deactivate`).send({}),
      await mine.get(`/v1/users/${theirs}/api-keys`),
      await mine.post(`/v1/users/${theirs}/api-keys`).send({ name: 'x' }),
      await mine.delete(`/v1/users/${theirs}/api-keys/${theirs}`),
    ])
      expect([res.status, res.body.error?.code]).toEqual([404, 'not_found']);
    expect((await mine.get('/v1/users')).body.data.map((u: { id: string }) => u.id)).not.toContain(theirs);

    const staff = await newReseller(stack.sql, ['order', 'billing']);
    const asStaff = as(staff.apiKey);
    for (const res of [
      await asStaff.get('/v1/users'),
      await asStaff.post('/v1/users').send({ email: uniqueEmail(), name: 'X', permissions: ['admin'] }),
      await asStaff.put(`/v1/users/${staff.userId}/permissions`).send({ permissions: ['admin'] }),
      await asStaff.post(`/v1/users/${staff.userId}/api-keys`).send({ name: 'x' }),
    ])
      expect([res.status, res.body.error?.code]).toEqual([403, 'forbidden']);
    const [still] = await stack.sql<{ permissions: string[] }[]>`
      SELECT permissions FROM reseller_users WHERE id = ${staff.userId}`;
    expect(still!.permissions).toEqual(['order', 'billing']);
  });

  it('T2: invitations are validated field by field', async () => {
    const res = await as(owner.apiKey)
      .post('/v1/users')
      .send({ email: 'not-an-email', permissions: ['root'] });
    expect(res.status).toBe(400);
    expect(res.body.error.issues.map((i: { field: string }) => i.field)).toEqual(
      expect.arrayContaining(['email', 'name', 'permissions.0']),
    );
  });
});
