import { randomUUID } from 'node:crypto';
import { parse as parseCsv } from 'csv-parse/sync';
import { issueApiKey, type Permission } from '../db/api-keys';
import { newReseller, uniqueEmail } from './helpers/fixtures';
import { signedIn, stackForSuite } from './helpers/stack';

// The portal's views (DOMAIN.md D1, D2, D3, D7), over rows written straight to Postgres so every filter has
// exactly known members; each reseller is fresh, so "exactly these customers" is a tenant's whole list.

const stack = stackForSuite();
type Tenant = Awaited<ReturnType<typeof newReseller>>;

const api = (key: string) => signedIn(stack.app, key);
const fieldsOf = (body: { error?: { issues?: { field: string }[] } }) => (body.error?.issues ?? []).map((i) => i.field);
const first = <T>(rows: readonly T[]): T => {
  if (rows[0] === undefined) throw new Error('no row');
  return rows[0];
};
const tagOf = () =>
  `zq${randomUUID()
    .replace(/[^a-f]/g, '')
    .slice(0, 6)}x`;

/** A customer of the tenant; the anniversary as days from today (the database's today). */
async function insertCustomer(
  resellerId: string,
  o: { name?: string; ascii?: string; anniversaryInDays?: number; extra?: Record<string, unknown> } = {},
) {
  const id = randomUUID();
  const name = o.name ?? `Customer ${id.slice(0, 8)}`;
  await stack.sql`
    INSERT INTO customers (id, reseller_id, vip_id, organization_name, organization_name_ascii, market_segment, customer_type, country,
                           address_line1, city, postal_code, contact_first_name, contact_last_name, contact_email, anniversary_date)
    VALUES (${id}, ${resellerId}, 'VIP' || nextval('vip_number'), ${name}, ${o.ascii ?? name}, 'commercial', 'team', 'US',
            '1 Market Street', 'San Francisco', '94105', 'Astrid', 'Lind', ${uniqueEmail()},
            ${o.anniversaryInDays === undefined ? null : stack.sql`current_date + ${o.anniversaryInDays}::int`})`;
  if (o.extra) await stack.sql`UPDATE customers SET ${stack.sql(o.extra)} WHERE id = ${id}`;
  return id;
}
async function insertLicense(
  t: Tenant,
  customerId: string,
  o: { serial?: string; product?: string; status?: string; orderId?: string } = {},
) {
  const id = randomUUID();
  await stack.sql`INSERT INTO licenses (id, reseller_id, customer_id, serial_number, product, status, order_id)
                  VALUES (${id}, ${t.resellerId}, ${customerId}, ${o.serial ?? `SN-${id}`}, ${o.product ?? 'Acrobat Pro'}, ${o.status ?? 'active'}, ${o.orderId ?? null})`;
  return id;
}
async function insertAuthorization(t: Tenant, customerId: string, status: string) {
  const id = randomUUID();
  await stack.sql`INSERT INTO purchase_authorizations (id, reseller_id, customer_id, product, quantity, status, created_by)
                  VALUES (${id}, ${t.resellerId}, ${customerId}, 'Acrobat Pro', 5, ${status}, ${t.userId})`;
  return id;
}
async function insertOrder(t: Tenant, customerId: string, poNumber: string | null) {
  const id = randomUUID();
  await stack.sql`INSERT INTO orders (id, reseller_id, customer_id, kind, status, currency, po_number, subscription_type, plan,
                                      subtotal_minor, discount_minor, total_minor, created_by)
                  VALUES (${id}, ${t.resellerId}, ${customerId}, 'order', 'active', 'EUR', ${poNumber}, 'saas-annual', 'production',
                          99000, 0, 99000, ${t.userId})`;
  return id;
}
async function insertInvoice(t: Tenant, customerId: string, orderId: string, number: string) {
  const id = randomUUID();
  await stack.sql`INSERT INTO invoices (id, number, reseller_id, customer_id, order_id, currency, period_start, period_end,
                                        subtotal_minor, discount_percent, discount_minor, total_minor, due_at)
                  VALUES (${id}, ${number}, ${t.resellerId}, ${customerId}, ${orderId}, 'EUR', now(), now() + interval '1 year',
                          99000, 0, 0, 99000, now() + interval '14 days')`;
  return id;
}
async function insertRenewal(t: Tenant, customerId: string, renewalInDays: number, termEndsInDays: number) {
  const id = randomUUID();
  await stack.sql`INSERT INTO renewal_orders (id, reseller_id, customer_id, renewal_date, timing, quantity, term_months, term_starts_on, term_ends_on, created_by)
                  VALUES (${id}, ${t.resellerId}, ${customerId}, current_date + ${renewalInDays}::int, 'early', 7, 12,
                          current_date + ${renewalInDays}::int, current_date + ${termEndsInDays}::int, 'test')`;
  return id;
}
/** A second user of the same reseller, with its own API key. */
async function addUser(t: Tenant, permissions: Permission[], name = `Colleague ${randomUUID().slice(0, 6)}`) {
  const userId = randomUUID();
  await stack.sql`INSERT INTO reseller_users (id, reseller_id, email, name, permissions)
                  VALUES (${userId}, ${t.resellerId}, ${uniqueEmail('user')}, ${name}, ${permissions})`;
  return { userId, apiKey: await issueApiKey(stack.sql, userId) };
}

describe('the portal views: customer list filters, CSV export, search, customer details', () => {
  let a: Tenant;
  let other: Tenant;
  const c: Record<string, string> = {};

  beforeAll(async () => {
    a = await newReseller(stack.sql);
    other = await newReseller(stack.sql);
    // Every customer but the first holds a product (a license), so "no products" has exactly one member.
    c.noProducts = await insertCustomer(a.resellerId);
    c.pending = await insertCustomer(a.resellerId);
    c.overdue = await insertCustomer(a.resellerId);
    c.upcoming = await insertCustomer(a.resellerId, { anniversaryInDays: 40 }); // R1 (45 days) but not yet R2 (30 days)
    c.ready = await insertCustomer(a.resellerId, { anniversaryInDays: 10 }); // R1 and R2
    c.late = await insertCustomer(a.resellerId, { anniversaryInDays: -10 }); // R2 late renewal (14 days after)
    c.tooLate = await insertCustomer(a.resellerId, { anniversaryInDays: -20 }); // past the late window
    c.far = await insertCustomer(a.resellerId, { anniversaryInDays: 100 });
    c.renewed = await insertCustomer(a.resellerId, { anniversaryInDays: 5 }); // already renewed: next term ends in a year
    for (const key of Object.keys(c).filter((k) => k !== 'noProducts')) await insertLicense(a, c[key]!);
    await insertAuthorization(a, c.pending, 'pending');
    await insertAuthorization(a, c.overdue, 'overdue');
    await insertAuthorization(a, c.far, 'paid');
    await insertRenewal(a, c.renewed, -25, 340);

    // Another tenant with one of everything: none of it may ever show.
    const o = await insertCustomer(other.resellerId, { anniversaryInDays: 10 });
    await insertAuthorization(other, o, 'pending');
    await insertAuthorization(other, await insertCustomer(other.resellerId, { anniversaryInDays: 40 }), 'overdue');
    await insertCustomer(other.resellerId);
  });

  const listIds = async (key: string, query: string) => {
    const res = await api(key).get(`/v1/customers?${query}`);
    expect(res.status).toBe(200);
    return (res.body.data as { id: string }[]).map((x) => x.id).sort();
  };
  const ids = (...keys: string[]) => keys.map((k) => c[k]!).sort();

  it('D1: each filter lists exactly its customers of this reseller (P1, P2, R1, R2, C8)', async () => {
    expect(await listIds(a.apiKey, 'filter=no-products')).toEqual(ids('noProducts'));
    expect(await listIds(a.apiKey, 'filter=pending-requests')).toEqual(ids('pending'));
    expect(await listIds(a.apiKey, 'filter=overdue-requests')).toEqual(ids('overdue'));
    expect(await listIds(a.apiKey, 'filter=upcoming-renewals')).toEqual(ids('upcoming', 'ready'));
    expect(await listIds(a.apiKey, 'filter=ready-for-renewal')).toEqual(ids('ready', 'late'));
    expect(await listIds(a.apiKey, 'filter=all')).toEqual(ids(...Object.keys(c)));
    expect(await listIds(a.apiKey, '')).toEqual(ids(...Object.keys(c)));
  });

  it('D1: the other tenant sees only its own customers under the same filters (T1)', async () => {
    const mine = new Set(Object.values(c));
    // The other tenant: a pending PA (anniversary in 10 days), an overdue PA (in 40 days), a bare customer; no licenses.
    const expected = {
      all: 3,
      'pending-requests': 1,
      'overdue-requests': 1,
      'upcoming-renewals': 2,
      'ready-for-renewal': 1,
      'no-products': 3,
    };
    for (const [filter, count] of Object.entries(expected)) {
      const theirs = await listIds(other.apiKey, `filter=${filter}`);
      expect([filter, theirs.length]).toEqual([filter, count]);
      expect(theirs.filter((id) => mine.has(id))).toEqual([]);
    }
  });

  it('D1: "managed by me" lists the customers assigned to the caller, through PATCH { managedBy } with an audit event', async () => {
    const colleague = await addUser(a, ['order']);
    for (const [key, userId] of [
      ['ready', a.userId],
      ['far', a.userId],
      ['late', colleague.userId],
    ] as const) {
      const res = await api(a.apiKey).patch(`/v1/customers/${c[key]}`).send({ managedBy: userId });
      expect(res.status).toBe(200);
      expect(res.body.managedBy).toMatchObject({ id: userId });
    }
    expect(await listIds(a.apiKey, 'managedBy=me')).toEqual(ids('ready', 'far'));
    expect(await listIds(a.apiKey, 'managedBy=me&filter=ready-for-renewal')).toEqual(ids('ready'));
    expect(await listIds(colleague.apiKey, 'managedBy=me')).toEqual(ids('late'));

    const [audit] = await stack.sql<{ actor: string; before: unknown; after: unknown; resellerId: string }[]>`
      SELECT actor, before, after, reseller_id FROM audit_events
      WHERE entity_id = ${c.late!} AND action = 'customer.managed_by_changed' ORDER BY id DESC LIMIT 1`;
    expect(audit).toEqual({
      actor: `user:${a.userId}`,
      before: { managedBy: null },
      after: { managedBy: colleague.userId },
      resellerId: a.resellerId,
    });

    // Unassigning.
    const cleared = await api(a.apiKey).patch(`/v1/customers/${c.far}`).send({ managedBy: null });
    expect(cleared.status).toBe(200);
    expect(cleared.body.managedBy).toBeNull();
    expect(await listIds(a.apiKey, 'managedBy=me')).toEqual(ids('ready'));
  });

  it('D1: PATCH accepts only { managedBy } with a user of the same reseller; other fields stay refused (C3); another tenant gets 404 (T1)', async () => {
    const before = (await api(a.apiKey).get(`/v1/customers/${c.pending}`)).body.managedBy;

    // A user id as the document says, but not one of this reseller's users: 422 (issue 11).
    const foreignUser = await api(a.apiKey).patch(`/v1/customers/${c.pending}`).send({ managedBy: other.userId });
    expect(foreignUser.status).toBe(422);
    expect(fieldsOf(foreignUser.body)).toEqual(['managedBy']);

    const malformed = await api(a.apiKey).patch(`/v1/customers/${c.pending}`).send({ managedBy: 'someone' });
    expect(malformed.status).toBe(400);
    expect(fieldsOf(malformed.body)).toEqual(['managedBy']);

    for (const body of [{ managedBy: a.userId, city: 'Oslo' }, { city: 'Oslo' }, {}]) {
      const refused = await api(a.apiKey).patch(`/v1/customers/${c.pending}`).send(body);
      expect(refused.status).toBe(409);
      expect(refused.body.error.code).toBe('customer_details_fixed');
    }

    const foreignCustomer = await api(other.apiKey)
      .patch(`/v1/customers/${c.pending}`)
      .send({ managedBy: other.userId });
    expect(foreignCustomer.status).toBe(404);

    expect((await api(a.apiKey).get(`/v1/customers/${c.pending}`)).body.managedBy).toEqual(before);
    const { n } = first(
      await stack.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM audit_events WHERE entity_id = ${c.pending!}`,
    );
    expect(n).toBe(0);
  });

  it('D1: an unknown filter or managedBy value is a 400 naming the field', async () => {
    const badFilter = await api(a.apiKey).get('/v1/customers?filter=vip');
    expect(badFilter.status).toBe(400);
    expect(fieldsOf(badFilter.body)).toEqual(['filter']);
    const badManager = await api(a.apiKey).get(`/v1/customers?managedBy=${a.userId}`);
    expect(badManager.status).toBe(400);
    expect(fieldsOf(badManager.body)).toEqual(['managedBy']);
  });

  it('D2: a name a spreadsheet would run as a formula is exported as text', async () => {
    const t = await newReseller(stack.sql);
    await insertCustomer(t.resellerId, {
      name: '=HYPERLINK("http://evil.test")',
      ascii: '=HYPERLINK("http://evil.test")',
    });
    const records = parseCsv((await api(t.apiKey).get('/v1/customers.csv')).text, {
      bom: true,
      columns: true,
    }) as Record<string, string>[];
    expect(records[0]!['Organization name']).toBe('\'=HYPERLINK("http://evil.test")');
  });

  it('D2: the CSV export has a header row, quotes commas, quotes and å, takes the same filters, and is an attachment', async () => {
    const t = await newReseller(stack.sql);
    const tricky = 'Åkerlund, "Söner" & Co';
    const trickyId = await insertCustomer(t.resellerId, { name: tricky, ascii: 'Akerlund, "Soner" & Co' });
    const plainId = await insertCustomer(t.resellerId, { anniversaryInDays: 10 });
    await insertLicense(t, plainId);
    await insertCustomer(other.resellerId, { name: tricky, ascii: 'Akerlund' });

    const res = await api(t.apiKey).get('/v1/customers.csv');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv; charset=utf-8/);
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="customers-\d{4}-\d{2}-\d{2}\.csv"$/);
    expect(res.text).toContain('"Åkerlund, ""Söner"" & Co"');

    const records = parseCsv(res.text, { bom: true, columns: true }) as Record<string, string>[];
    expect(records.map((r) => r.Id).sort()).toEqual([trickyId, plainId].sort());
    expect(Object.keys(records[0]!)).toEqual(
      expect.arrayContaining(['VIP id', 'Organization name', 'Contact email', 'Anniversary date', 'Managed by']),
    );
    const row = records.find((r) => r.Id === trickyId)!;
    expect(row['Organization name']).toBe(tricky);
    expect(row['Organization name (ASCII)']).toBe('Akerlund, "Soner" & Co');
    expect(row['VIP id']).toMatch(/^VIP\d+$/);

    const filtered = parseCsv((await api(t.apiKey).get('/v1/customers.csv?filter=no-products')).text, {
      bom: true,
      columns: true,
    }) as Record<string, string>[];
    expect(filtered.map((r) => r.Id)).toEqual([trickyId]);
    const ready = parseCsv((await api(t.apiKey).get('/v1/customers.csv?filter=ready-for-renewal')).text, {
      bom: true,
      columns: true,
    }) as Record<string, string>[];
    expect(ready.map((r) => r.Id)).toEqual([plainId]);

    const empty = await api(t.apiKey).get('/v1/customers.csv?filter=overdue-requests');
    expect(parseCsv(empty.text, { bom: true })).toHaveLength(1); // the header row alone

    const bad = await api(t.apiKey).get('/v1/customers.csv?filter=everything');
    expect(bad.status).toBe(400);
    expect(fieldsOf(bad.body)).toEqual(['filter']);
  });

  it('D2: the CSV export streams every customer past one page, also when they share a created_at', async () => {
    const t = await newReseller(stack.sql);
    const expected: string[] = [];
    for (let i = 0; i < 520; i++) expected.push(randomUUID());
    await stack.sql`
      INSERT INTO customers (id, reseller_id, vip_id, organization_name, organization_name_ascii, market_segment, customer_type, country,
                             address_line1, city, postal_code, contact_first_name, contact_last_name, contact_email)
      SELECT x.id::uuid, ${t.resellerId}, 'VIP' || nextval('vip_number'), 'Bulk ' || x.n, 'Bulk ' || x.n, 'commercial', 'team', 'US',
             '1 Main St', 'Austin', '73301', 'A', 'B', 'bulk-' || x.id || '@customer.test'
      FROM unnest(${expected}::text[]) WITH ORDINALITY AS x(id, n)`;
    const res = await api(t.apiKey).get('/v1/customers.csv');
    const records = parseCsv(res.text, { bom: true, columns: true }) as Record<string, string>[];
    expect(records.map((r) => r.Id).sort()).toEqual(expected.sort());
  });

  describe('D3: search', () => {
    let t: Tenant;
    let tag: string;
    const hit: Record<string, string> = {};

    beforeAll(async () => {
      t = await newReseller(stack.sql);
      tag = tagOf();
      hit.user = (await addUser(t, ['order'], `Ingrid ${tag}`)).userId;
      hit.company = await insertCustomer(t.resellerId, { name: `Fjällräven ${tag} AB`, ascii: `Fjallraven ${tag} AB` });
      hit.order = await insertOrder(t, hit.company, `PO-${tag}-1`);
      hit.serial = await insertLicense(t, hit.company, { serial: `SN-${tag}-0001`, orderId: hit.order });
      hit.invoice = await insertInvoice(t, hit.company, hit.order, `INV-${tag}-0001`);
      // The same words in another tenant.
      await addUser(other, ['order'], `Ingrid ${tag}`);
      const theirs = await insertCustomer(other.resellerId, { name: `Fjällräven ${tag} AB` });
      const theirOrder = await insertOrder(other, theirs, `PO-${tag}-1`);
      await insertLicense(other, theirs, { serial: `SN-${tag}-9999`, orderId: theirOrder });
      await insertInvoice(other, theirs, theirOrder, `INV-${tag}-9999`);
    });

    const searchFor = async (q: string, key = t.apiKey) => {
      const res = await api(key).get(`/v1/search?q=${encodeURIComponent(q)}`);
      expect(res.status).toBe(200);
      return res.body.results as { type: string; id: string; label: string; url: string | null }[];
    };

    it("D3: one query finds a user, a company, an order (PO number), a serial number and an invoice, this tenant's only (T1)", async () => {
      const results = await searchFor(tag);
      expect(results.map((r) => `${r.type}:${r.id}`).sort()).toEqual(
        ['user', 'company', 'order', 'serial', 'invoice'].map((type) => `${type}:${hit[type]}`).sort(),
      );
      const byType = Object.fromEntries(results.map((r) => [r.type, r]));
      expect(byType.company).toMatchObject({
        url: `/v1/customers/${hit.company}`,
        label: expect.stringContaining(`Fjällräven ${tag} AB`),
      });
      expect(byType.order).toMatchObject({
        url: `/v1/orders/${hit.order}`,
        label: expect.stringContaining(`PO-${tag}-1`),
      });
      expect(byType.serial).toMatchObject({
        url: `/v1/orders/${hit.order}`,
        label: expect.stringContaining(`SN-${tag}-0001`),
      });
      expect(byType.invoice).toMatchObject({ url: `/v1/invoices/${hit.invoice}`, label: `Invoice INV-${tag}-0001` });
      expect(byType.user).toMatchObject({ url: null, label: expect.stringContaining(`Ingrid ${tag}`) });
    });

    it('D3: each kind is found by its own key: VIP id, order id prefix, serial, invoice number and id prefix, user email', async () => {
      const { vipId } = first(
        await stack.sql<{ vipId: string }[]>`SELECT vip_id FROM customers WHERE id = ${hit.company!}`,
      );
      expect((await searchFor(vipId)).map((r) => r.id)).toContain(hit.company);
      expect((await searchFor(`Fjallraven ${tag}`)).map((r) => r.id)).toContain(hit.company);
      const orderHits = await searchFor(hit.order!.slice(0, 8));
      expect(orderHits.find((r) => r.type === 'order')?.id).toBe(hit.order);
      expect((await searchFor(`sn-${tag}-0001`)).map((r) => `${r.type}:${r.id}`)).toEqual([`serial:${hit.serial}`]);
      expect((await searchFor(`INV-${tag}-0001`)).map((r) => `${r.type}:${r.id}`)).toEqual([`invoice:${hit.invoice}`]);
      expect((await searchFor(hit.invoice!.slice(0, 8))).map((r) => r.id)).toContain(hit.invoice);
      const { email } = first(
        await stack.sql<{ email: string }[]>`SELECT email FROM reseller_users WHERE id = ${hit.user!}`,
      );
      expect((await searchFor(email)).map((r) => `${r.type}:${r.id}`)).toEqual([`user:${hit.user}`]);
    });

    it('O3: the existing customer is found by its contact email, whole or in part, in any case, before an order makes a duplicate', async () => {
      const { email } = first(
        await stack.sql<{ email: string }[]>`SELECT contact_email AS email FROM customers WHERE id = ${hit.company!}`,
      );
      const [local, domain] = email.split('@') as [string, string];
      for (const q of [email, email.toUpperCase(), local, `${local.slice(0, 10)}`, `@${domain}`.slice(0, 12)]) {
        const found = await searchFor(q);
        expect(found.filter((r) => r.type === 'company').map((r) => r.id)).toContain(hit.company);
      }
      // The whole address ranks it first; another tenant's customer with the same address stays theirs (T1).
      expect((await searchFor(email))[0]).toMatchObject({ type: 'company', id: hit.company });
      const theirs = await insertCustomer(other.resellerId);
      await stack.sql`UPDATE customers SET contact_email = ${email} WHERE id = ${theirs}`;
      expect((await searchFor(email)).map((r) => r.id)).not.toContain(theirs);
      // The list's q filter finds it by part of the address too (D1).
      const listed = await api(t.apiKey).get(`/v1/customers?q=${encodeURIComponent(local.slice(0, 10))}`);
      expect(listed.body.data.map((c: { id: string }) => c.id)).toContain(hit.company);
    });

    it('D3: a user without billing finds no invoices (T2); LIKE wildcards are plain characters; at most 20 results', async () => {
      const orderOnly = await addUser(t, ['order']);
      expect((await searchFor(tag, orderOnly.apiKey)).map((r) => r.type).sort()).toEqual([
        'company',
        'order',
        'serial',
        'user',
      ]);
      expect(await searchFor('%')).toEqual([]);
      expect(await searchFor('_')).toEqual([]);
      for (let i = 0; i < 25; i++) await insertLicense(t, hit.company!, { serial: `BULK-${tag}-${i}` });
      const many = await searchFor(`BULK-${tag}`);
      expect(many).toHaveLength(20);
      expect(many.every((r) => r.type === 'serial')).toBe(true);
    });

    it('D3: a name with a typo, or only its start, finds the customer, best match first', async () => {
      const s = await newReseller(stack.sql);
      const target = await insertCustomer(s.resellerId, {
        name: 'Fjällräven Kånken AB',
        ascii: 'Fjallraven Kanken AB',
      });
      const neighbour = await insertCustomer(s.resellerId, {
        name: 'Fjällräven Outdoor AB',
        ascii: 'Fjallraven Outdoor AB',
      });
      const unrelated = await insertCustomer(s.resellerId, { name: 'Nordic Print AB' });
      const ids = async (q: string) => (await searchFor(q, s.apiKey)).map((r) => `${r.type}:${r.id}`);
      // A letter left out of each word.
      expect((await ids('Fjalravn Kanken'))[0]).toBe(`company:${target}`);
      // A prefix: of the whole name, and of a word inside it.
      expect((await ids('Fjällräven Kån'))[0]).toBe(`company:${target}`);
      expect((await ids('Kank'))[0]).toBe(`company:${target}`);
      expect(await ids('fjallr')).toEqual(expect.arrayContaining([`company:${target}`, `company:${neighbour}`]));
      expect(await ids('Fjalravn Kanken')).not.toContain(`company:${unrelated}`);
    });

    it('D3: q is required, 1 to 100 characters: otherwise 400 naming q', async () => {
      for (const url of [
        '/v1/search',
        '/v1/search?q=',
        '/v1/search?q=%20%20',
        `/v1/search?q=${'x'.repeat(101)}`,
        '/v1/search?q=a&q=b',
      ]) {
        const res = await api(t.apiKey).get(url);
        expect(res.status).toBe(400);
        expect(fieldsOf(res.body)).toEqual(['q']);
      }
      const unknown = await api(t.apiKey).get('/v1/search?q=a&type=user');
      expect(unknown.status).toBe(400);
    });
  });

  it('D7: customer details carry anniversary, managed by, VIP Select, 3-year commitment, plans, order, authorization and renewal history', async () => {
    const t = await newReseller(stack.sql);
    const id = await insertCustomer(t.resellerId, {
      anniversaryInDays: 200,
      extra: {
        vip_select_level: 2,
        three_year_commitment_quantity: 60,
        three_year_committed_at: new Date('2026-01-15T10:00:00Z'),
      },
    });
    const orderId = await insertOrder(t, id, 'PO-D7');
    await insertLicense(t, id, { product: 'Acrobat Pro', orderId });
    await insertLicense(t, id, { product: 'Acrobat Pro', orderId });
    await insertLicense(t, id, { product: 'Acrobat Pro', status: 'suspended', orderId });
    await insertLicense(t, id, { product: 'Photoshop' });
    const paId = await insertAuthorization(t, id, 'paid');
    const renewalId = await insertRenewal(t, id, -165, 200);
    expect((await api(t.apiKey).patch(`/v1/customers/${id}`).send({ managedBy: t.userId })).status).toBe(200);
    // Another tenant's history of its own customers never leaks into this one.
    await insertOrder(other, await insertCustomer(other.resellerId), 'PO-OTHER');

    const res = await api(t.apiKey).get(`/v1/customers/${id}`);
    expect(res.status).toBe(200);
    const { anniversary } = first(
      await stack.sql<{ anniversary: string }[]>`SELECT to_char(current_date + 200, 'YYYY-MM-DD') AS anniversary`,
    );
    expect(res.body).toMatchObject({
      id,
      vipId: expect.stringMatching(/^VIP\d+$/),
      invitationStatus: 'pending',
      anniversaryDate: anniversary,
      managedBy: { id: t.userId, name: expect.any(String), email: expect.stringContaining('@reseller.test') },
      vipSelect: { level: 2, discountPercent: 10 },
      threeYearCommitment: { quantity: 60, committedAt: '2026-01-15T10:00:00.000Z' },
      extendedTerm: null,
    });
    expect(res.body.plans).toEqual([
      { product: 'Acrobat Pro', status: 'active', licenses: 2 },
      { product: 'Acrobat Pro', status: 'suspended', licenses: 1 },
      { product: 'Photoshop', status: 'active', licenses: 1 },
    ]);
    expect(res.body.orders).toEqual([
      {
        id: orderId,
        kind: 'order',
        status: 'active',
        poNumber: 'PO-D7',
        createdAt: expect.any(String),
        convertedAt: null,
      },
    ]);
    expect(res.body.authorizations).toEqual([
      expect.objectContaining({
        id: paId,
        product: 'Acrobat Pro',
        quantity: 5,
        status: 'paid',
        createdAt: expect.any(String),
        paidAt: null,
      }),
    ]);
    expect(res.body.renewals).toEqual([
      expect.objectContaining({
        id: renewalId,
        timing: 'early',
        quantity: 7,
        termMonths: 12,
        createdAt: expect.any(String),
      }),
    ]);

    const bare = await api(t.apiKey).get(`/v1/customers/${await insertCustomer(t.resellerId)}`);
    expect(bare.body).toMatchObject({
      managedBy: null,
      vipSelect: null,
      threeYearCommitment: null,
      plans: [],
      orders: [],
      authorizations: [],
      renewals: [],
    });

    expect((await api(other.apiKey).get(`/v1/customers/${id}`)).status).toBe(404);
  });

  it("D1: a customer whose row names another tenant's user as manager never shows that user (T1)", async () => {
    // The reseller change (X2) clears managed_by when it moves a customer; this is the read side's own guard.
    const id = await insertCustomer(a.resellerId);
    expect((await api(a.apiKey).patch(`/v1/customers/${id}`).send({ managedBy: a.userId })).status).toBe(200);
    await stack.sql`UPDATE customers SET reseller_id = ${other.resellerId} WHERE id = ${id}`;
    // Even before the manager is cleared, the old tenant's user is never shown to the new one.
    expect((await api(other.apiKey).get(`/v1/customers/${id}`)).body.managedBy).toBeNull();
    expect(await listIds(other.apiKey, 'managedBy=me')).not.toContain(id);
  });
});
