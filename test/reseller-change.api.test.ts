import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { resellerChangeWorkflowId } from '../workflows/definitions';
import { newReseller, uniqueEmail } from './helpers/fixtures';
import { acceptedCustomer, signedIn, stackForSuite } from './helpers/stack';

const stack = stackForSuite();

const as = (key: string) => signedIn(stack.app, key);

/** A customer of an old reseller, added through the API and accepted, with a second system admin; a new reseller. */
async function scenario() {
  const oldR = await newReseller(stack.sql);
  const newR = await newReseller(stack.sql);
  const { id, vipId, body } = await acceptedCustomer(stack, oldR.apiKey);
  // X1: the old reseller records the customer's second system admin.
  const second = uniqueEmail('admin2');
  const added = await as(oldR.apiKey)
    .post(`/v1/customers/${id}/admins`)
    .send({ email: second, firstName: 'Bo', lastName: 'Ek' });
  expect(added.status).toBe(201);
  return { oldR, newR, customer: { id, vipId, admins: [body.contact.email, second] } };
}

/** X1: `key`'s reseller asks for a customer by its VIP id and an admin's email. */
const requestChange = (key: string, body: { vipId: string; adminEmail: string | undefined }) =>
  as(key).post('/v1/reseller-changes').send(body);

const codeIn = (text: string) => text.match(/\b([0-9A-Z]{5}-[0-9A-Z]{5})\b/)?.[1];

describe('reseller change through the API, against the dev server', () => {
  it("X1: the reseller keeps the customer's system admins: listed primary first, added once, removed (not the primary), audited; a removed admin gets no code", async () => {
    const { oldR, newR, customer } = await scenario();
    const admins = `/v1/customers/${customer.id}/admins`;
    const third = uniqueEmail('admin3');
    const added = await as(oldR.apiKey).post(admins).send({ email: third, firstName: 'Cy', lastName: 'Oh' });
    expect(added.status).toBe(201);
    expect(added.headers.location).toBe(`${admins}/${added.body.id}`);
    // The same address again, in another case: the same admin, not a second one.
    const again = await as(oldR.apiKey)
      .post(admins)
      .send({ email: third.toUpperCase(), firstName: 'C', lastName: 'O' });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(added.body.id);
    const bad = await as(oldR.apiKey).post(admins).send({ email: 'not-an-address', firstName: '', lastName: 'O' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues.map((d: { field: string }) => d.field).sort()).toEqual(['email', 'firstName']);

    const listed = await as(oldR.apiKey).get(admins);
    expect(listed.body.data.map((a: { email: string; primary: boolean }) => [a.email, a.primary])).toEqual([
      [customer.admins[0], true],
      [customer.admins[1], false],
      [third, false],
    ]);
    const primaryId = listed.body.data[0].id as string;
    const refused = await as(oldR.apiKey).delete(`${admins}/${primaryId}`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('primary_admin');
    expect((await as(oldR.apiKey).delete(`${admins}/${added.body.id}`)).status).toBe(204);
    expect((await as(oldR.apiKey).delete(`${admins}/${added.body.id}`)).status).toBe(404);
    // Another reseller cannot see or change them (T1).
    expect((await as(newR.apiKey).get(admins)).status).toBe(404);

    // The change request reaches the admins that remain, each with a code; the removed one gets none.
    const asked = await requestChange(newR.apiKey, { vipId: customer.vipId, adminEmail: customer.admins[1] });
    expect(asked.status).toBe(202);
    for (const [admin, expected] of [
      [customer.admins[0]!, 2],
      [customer.admins[1]!, 1],
    ] as const) {
      const mails = await stack.mailbox.waitFor(admin, expected);
      expect(codeIn(mails.find((m) => m.subject.startsWith('Your reseller change code'))!.text)).toBeDefined();
    }
    await new Promise((r) => setTimeout(r, 1000));
    expect(await stack.mailbox.to(third)).toHaveLength(0);

    const audit = await stack.sql<{ action: string; actor: string }[]>`
      SELECT action, actor FROM audit_events WHERE entity_id = ${customer.id} AND action LIKE 'customer.admin_%' ORDER BY id`;
    expect(audit.map((a) => a.action)).toEqual([
      'customer.admin_added',
      'customer.admin_added',
      'customer.admin_removed',
    ]);
    expect(new Set(audit.map((a) => a.actor))).toEqual(new Set([`user:${oldR.userId}`]));
  });

  it("X1 X2: request → code email to every admin → redeem → the customer moves to the new reseller's list", async () => {
    const { oldR, newR, customer } = await scenario();

    const asked = await requestChange(newR.apiKey, {
      vipId: customer.vipId.toLowerCase(),
      adminEmail: customer.admins[1],
    });
    expect(asked.status).toBe(202);
    expect(asked.body).toMatchObject({ status: 'pending', customerId: null });

    const codes = [];
    // The primary admin also holds the invitation email; the second admin only the code.
    for (const [admin, expected] of [
      [customer.admins[0]!, 2],
      [customer.admins[1]!, 1],
    ] as const) {
      const mails = await stack.mailbox.waitFor(admin, expected);
      const mail = mails.find((m) => m.subject.startsWith('Your reseller change code'));
      codes.push(codeIn(mail!.text));
    }
    expect(codes[0]).toBeDefined();
    expect(codes[1]).toBeDefined();
    expect(codes[1]).not.toBe(codes[0]); // X1: each admin's email carries a random code of its own

    const wrong = await as(newR.apiKey)
      .post(`/v1/reseller-changes/${asked.body.id}/redeem`)
      .send({ code: 'ZZZZZ-ZZZZZ' });
    expect(wrong.status).toBe(409);
    expect(wrong.body.error.message).toMatch(/not valid/);

    const redeemed = await as(newR.apiKey)
      .post(`/v1/reseller-changes/${asked.body.id}/redeem`)
      .send({ code: codes[0] });
    expect(redeemed.status).toBe(200);
    expect(redeemed.body).toMatchObject({ status: 'redeemed', customerId: customer.id });

    const newList = (await as(newR.apiKey).get('/v1/customers')).body.data.map((c: { id: string }) => c.id);
    const oldList = (await as(oldR.apiKey).get('/v1/customers')).body.data.map((c: { id: string }) => c.id);
    expect(newList).toContain(customer.id);
    expect(oldList).not.toContain(customer.id);
    expect((await as(oldR.apiKey).get(`/v1/customers/${customer.id}`)).status).toBe(404);
    expect((await as(newR.apiKey).get(`/v1/customers/${customer.id}`)).status).toBe(200);

    const again = await as(newR.apiKey).post(`/v1/reseller-changes/${asked.body.id}/redeem`).send({ code: codes[0] });
    expect(again.status).toBe(409);
    await stack.temporal.workflow.getHandle(resellerChangeWorkflowId(asked.body.id)).result();
  });

  it('X2: an admin confirms the change through the link in the code email', async () => {
    const { newR, customer } = await scenario();
    await requestChange(newR.apiKey, { vipId: customer.vipId, adminEmail: customer.admins[0] });
    const [mail] = (await stack.mailbox.waitFor(customer.admins[1]!, 1)).filter((m) =>
      m.subject.startsWith('Your reseller change code'),
    );
    const link = new URL(mail!.text.match(/https?:\/\/\S+reseller-change\/redeem\S+/)![0]);
    const pageRes = await request(stack.app).get(`${link.pathname}${link.search}`);
    expect(pageRes.status).toBe(200);
    expect(pageRes.text).toContain('Confirm the reseller change');
    const confirmed = await request(stack.app)
      .post('/reseller-change/redeem')
      .type('form')
      .send(Object.fromEntries(link.searchParams));
    expect(confirmed.status).toBe(200);
    expect(confirmed.text).toContain('Reseller change completed');
    expect((await as(newR.apiKey).get(`/v1/customers/${customer.id}`)).status).toBe(200);
  });

  it("X1: a pair that matches no customer gets the same answer as one that does; one's own customer is a 409", async () => {
    const { oldR: owner, newR, customer } = await scenario();
    const real = await requestChange(newR.apiKey, { vipId: customer.vipId, adminEmail: customer.admins[0] });
    const fake = await requestChange(newR.apiKey, { vipId: 'VIP9999999999', adminEmail: 'nobody@nowhere.test' });
    const wrongAdmin = await requestChange(newR.apiKey, { vipId: customer.vipId, adminEmail: 'guess@nowhere.test' });
    const shape = (b: Record<string, unknown>) => `${Object.keys(b).sort().join()}|${b.status}|${b.customerId}`;
    expect([real.status, fake.status, wrongAdmin.status]).toEqual([202, 202, 202]);
    expect(shape(fake.body)).toBe(shape(real.body));
    expect(shape(wrongAdmin.body)).toBe(shape(real.body));
    const own = await requestChange(owner.apiKey, { vipId: customer.vipId, adminEmail: customer.admins[0] });
    expect(own.status).toBe(409);
    expect(own.body.error.code).toBe('already_your_customer');
  });

  it('X4: a sixth code in a day gets 429 with Retry-After, unmatched attempts included', async () => {
    const newR = await newReseller(stack.sql);
    for (let i = 0; i < 5; i++) {
      const res = await requestChange(newR.apiKey, {
        vipId: `VIP${String(9000000000 + i)}`,
        adminEmail: `x${i}@nowhere.test`,
      });
      expect(res.status).toBe(202);
    }
    const sixth = await requestChange(newR.apiKey, { vipId: 'VIP9000000099', adminEmail: 'y@nowhere.test' });
    expect(sixth.status).toBe(429);
    expect(Number(sixth.headers['retry-after'])).toBeGreaterThan(86_000);
    const rows = await stack.sql`SELECT 1 FROM reseller_change_requests WHERE new_reseller_id = ${newR.resellerId}`;
    expect(rows).toHaveLength(5);
  });

  it("X3: a request can be re-sent only once it has expired; bad input is a 400; another reseller's request a 404", async () => {
    const newR = await newReseller(stack.sql);
    const other = await newReseller(stack.sql);
    const asked = await requestChange(newR.apiKey, { vipId: 'VIP9100000000', adminEmail: 'a@nowhere.test' });
    const early = await as(newR.apiKey).post(`/v1/reseller-changes/${asked.body.id}/resend`).send({});
    expect(early.status).toBe(409);
    expect((await as(other.apiKey).get(`/v1/reseller-changes/${asked.body.id}`)).status).toBe(404);
    expect(
      (await as(other.apiKey).post(`/v1/reseller-changes/${asked.body.id}/redeem`).send({ code: 'AAAAA-AAAAA' }))
        .status,
    ).toBe(404);
    const bad = await requestChange(newR.apiKey, { vipId: '12', adminEmail: 'nope' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues.map((i: { field: string }) => i.field)).toEqual(['vipId', 'adminEmail']);
    expect((await as(newR.apiKey).get(`/v1/reseller-changes/${randomUUID()}`)).status).toBe(404);
  });
});
