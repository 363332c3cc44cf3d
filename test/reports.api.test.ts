import { randomUUID } from 'node:crypto';
import { parse as parseCsv } from 'csv-parse/sync';
import countries from 'world-countries';
import { issueApiKey } from '../db/api-keys';
import { customerBody, newReseller, uniqueEmail } from './helpers/fixtures';
import { signedIn, stackForSuite } from './helpers/stack';

// The portal's map and reports (DOMAIN.md D4, D5), against the real API, Postgres and the dev server. The state the
// lifecycles would have written by their timers (a trial's end, a PA's deadline, a suspension at the cycle's end) is
// inserted directly: these are read views of it; each test names the rule whose state it reads.

const stack = stackForSuite();
type Tenant = Awaited<ReturnType<typeof newReseller>>;

const api = (key: string) => signedIn(stack.app, key);
const day = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

/** A customer of the tenant, in a country, with an invitation status and an anniversary days from today. */
async function insertCustomer(
  t: Tenant,
  o: { country?: string; postalCode?: string; status?: 'pending' | 'accepted'; anniversaryInDays?: number } = {},
) {
  const id = randomUUID();
  const name = `Customer ${id.slice(0, 8)}`;
  await stack.sql`
    INSERT INTO customers (id, reseller_id, vip_id, organization_name, organization_name_ascii, market_segment, customer_type,
                           country, address_line1, city, postal_code, contact_first_name, contact_last_name, contact_email,
                           invitation_status, anniversary_date)
    VALUES (${id}, ${t.resellerId}, 'VIP' || nextval('vip_number'), ${name}, ${name}, 'commercial', 'team',
            ${o.country ?? 'US'}, '1 Main Street', 'Town', ${o.postalCode ?? '12345'}, 'Astrid', 'Lind', ${uniqueEmail()},
            ${o.status ?? 'pending'},
            ${o.anniversaryInDays === undefined ? null : stack.sql`current_date + ${o.anniversaryInDays}::int`})`;
  return id;
}

/** An order or trial with its license (O8); a trial ends `trialEndsInDays` from now. */
async function insertOrder(t: Tenant, customerId: string, o: { kind?: 'order' | 'trial'; trialEndsInDays?: number }) {
  const id = randomUUID();
  const trialEndsAt =
    o.trialEndsInDays === undefined ? null : stack.sql`now() + ${o.trialEndsInDays}::int * interval '1 day'`;
  await stack.sql`
    INSERT INTO orders (id, reseller_id, customer_id, kind, status, currency, subscription_type, plan, subtotal_minor,
                        discount_minor, total_minor, trial_ends_at, created_by)
    VALUES (${id}, ${t.resellerId}, ${customerId}, ${o.kind ?? 'order'}, 'active', 'EUR', 'saas-monthly', 'production',
            0, 0, 0, ${trialEndsAt}, ${t.userId})`;
  const serial = `SN-${id.slice(0, 8).toUpperCase()}`;
  await stack.sql`
    INSERT INTO licenses (id, reseller_id, customer_id, serial_number, product, status, order_id, expires_at)
    VALUES (${id}, ${t.resellerId}, ${customerId}, ${serial}, 'PrintFactory production', 'active', ${id}, ${trialEndsAt})`;
  return { id, serial };
}

/** S1/B1: the billing cycle of an order, ending `periodEndsInDays` from now; suspended at its end when asked. */
async function insertBilling(
  t: Tenant,
  customerId: string,
  o: { periodEndsInDays: number; suspend?: boolean; entitlement?: 'active' | 'suspended' },
) {
  const order = await insertOrder(t, customerId, {});
  await stack.sql`
    INSERT INTO billing_subscriptions (order_id, reseller_id, customer_id, cycle, current_period_start, current_period_end,
                                       next_payment_date, billing_state, entitlement, suspend_at_cycle_end)
    VALUES (${order.id}, ${t.resellerId}, ${customerId}, 'monthly', now() - interval '20 days',
            now() + ${o.periodEndsInDays}::int * interval '1 day', now() + ${o.periodEndsInDays}::int * interval '1 day',
            ${o.entitlement === 'suspended' ? 'paused' : 'active'}, ${o.entitlement ?? 'active'}, ${o.suspend ?? false})`;
  return order;
}

/** P1/P2: a purchase authorization made `createdDaysAgo` days ago, with its license. */
async function insertPa(
  t: Tenant,
  customerId: string,
  o: { status: string; createdDaysAgo: number; deactivatedDaysAgo?: number },
) {
  const id = randomUUID();
  await stack.sql`
    INSERT INTO purchase_authorizations (id, reseller_id, customer_id, product, quantity, status, created_by, created_at,
                                         deactivated_at)
    VALUES (${id}, ${t.resellerId}, ${customerId}, 'Acrobat Pro', 5, ${o.status}, ${t.userId},
            now() - ${o.createdDaysAgo}::int * interval '1 day',
            ${o.deactivatedDaysAgo === undefined ? null : stack.sql`now() - ${o.deactivatedDaysAgo}::int * interval '1 day'`})`;
  const serial = `PA-${id.slice(0, 8).toUpperCase()}`;
  await stack.sql`
    INSERT INTO licenses (id, reseller_id, customer_id, serial_number, product, status, purchase_authorization_id, activated_at)
    VALUES (${id}, ${t.resellerId}, ${customerId}, ${serial}, 'Acrobat Pro',
            ${o.status === 'deactivated' ? 'deactivated' : 'active'}, ${id}, now())`;
  return { id, serial };
}

/** E1: a per-user subscription made `createdDaysAgo` days ago. */
async function insertPerUser(t: Tenant, customerId: string | null, createdDaysAgo: number) {
  const id = randomUUID();
  const companyName = `Signatures ${id.slice(0, 8)}`;
  await stack.sql`
    INSERT INTO subscriptions (id, reseller_id, customer_id, product, company_name, users, customer_can_edit_signatures,
                               created_at)
    VALUES (${id}, ${t.resellerId}, ${customerId}, 'signatures-microsoft-365', ${companyName}, 12, false,
            now() - ${createdDaysAgo}::int * interval '1 day')`;
  return { id, companyName };
}

interface Feature {
  type: string;
  id: string;
  geometry: { type: string; coordinates: [number, number] } | null;
  properties: { country: string; name: string | null; customers: number; byInvitationStatus: Record<string, number> };
}

const centroid = (cca2: string): [number, number] => {
  const c = countries.find((x) => x.cca2 === cca2);
  if (!c) throw new Error(`no country ${cca2}`);
  return [c.latlng[1], c.latlng[0]];
};

describe('D4: the customer map', () => {
  let a: Tenant;
  let other: Tenant;
  let colleague: { userId: string; apiKey: string };

  beforeAll(async () => {
    [a, other] = await Promise.all([newReseller(stack.sql), newReseller(stack.sql)]);
    for (const status of ['pending', 'pending', 'accepted'] as const)
      await insertCustomer(a, { country: 'SE', status });
    await insertCustomer(a, { country: 'DE', status: 'accepted' });
    // A code the country data does not know (stored before C1's check, or by a newer standard): still counted.
    await insertCustomer(a, { country: 'XZ', status: 'pending' });
    // The other tenant's customers, in a country of A's and one of its own: none may show.
    await insertCustomer(other, { country: 'SE', status: 'accepted' });
    await insertCustomer(other, { country: 'JP', status: 'accepted' });
    // D1 "managed by me": a colleague manages one of A's Swedish customers.
    colleague = { userId: randomUUID(), apiKey: '' };
    await stack.sql`INSERT INTO reseller_users (id, reseller_id, email, name, permissions)
                    VALUES (${colleague.userId}, ${a.resellerId}, ${uniqueEmail('colleague')}, 'Colleague', '{}')`;
    colleague.apiKey = await issueApiKey(stack.sql, colleague.userId);
    const managed = await insertCustomer(a, { country: 'NO', status: 'accepted' });
    await stack.sql`UPDATE customers SET managed_by = ${colleague.userId} WHERE id = ${managed}`;
  });

  it('D4: a point per country at its centroid, counted by invitation status; a real customer (C1) counts; the other tenant is absent (T1)', async () => {
    // One customer through the API, as a reseller adds one (C1, C2): pending until its contact accepts.
    const created = await api(a.apiKey)
      .post('/v1/customers')
      .send({ ...customerBody({ country: 'FR' }), taxId: 'FR40303265045' });
    expect([created.status, created.body.error]).toEqual([201, undefined]);

    const res = await api(a.apiKey).get('/v1/customers/map');
    expect(res.status).toBe(200);
    expect(res.body.type).toBe('FeatureCollection');
    const features = res.body.features as Feature[];
    const byCountry = Object.fromEntries(features.map((f) => [f.id, f]));
    expect(Object.keys(byCountry).sort()).toEqual(['DE', 'FR', 'NO', 'SE', 'XZ']);
    // Most customers first.
    expect(features[0]!.id).toBe('SE');
    expect(byCountry.SE).toEqual({
      type: 'Feature',
      id: 'SE',
      geometry: { type: 'Point', coordinates: centroid('SE') },
      properties: { country: 'SE', name: 'Sweden', customers: 3, byInvitationStatus: { pending: 2, accepted: 1 } },
    });
    expect(byCountry.DE!.properties).toMatchObject({ customers: 1, byInvitationStatus: { pending: 0, accepted: 1 } });
    expect(byCountry.FR!.geometry).toEqual({ type: 'Point', coordinates: centroid('FR') });
    expect(byCountry.FR!.properties).toMatchObject({ name: 'France', byInvitationStatus: { pending: 1, accepted: 0 } });
    // RFC 7946 allows a feature without a location: the customer is counted, not dropped.
    expect(byCountry.XZ).toMatchObject({ geometry: null, properties: { name: null, customers: 1 } });
    // Every one of A's customers is on the map once; nothing of the other tenant's (its JP, its Swedish customer).
    const total = features.reduce((n, f) => n + f.properties.customers, 0);
    const [counted] = await stack.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM customers WHERE reseller_id = ${a.resellerId}`;
    expect(total).toBe(counted?.n);
    expect(res.text).not.toContain('JP');
    expect(res.text).not.toContain(other.resellerId);
  });

  it('D4: takes the list filters (D1): status, managed by me', async () => {
    const accepted = (await api(a.apiKey).get('/v1/customers/map?status=accepted')).body.features as Feature[];
    expect(Object.fromEntries(accepted.map((f) => [f.id, f.properties.customers]))).toEqual({ SE: 1, DE: 1, NO: 1 });
    const mine = await api(colleague.apiKey).get('/v1/customers/map?managedBy=me');
    expect(mine.status).toBe(200);
    expect((mine.body.features as Feature[]).map((f) => [f.id, f.properties.customers])).toEqual([['NO', 1]]);
    const bad = await api(a.apiKey).get('/v1/customers/map?status=lost');
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues[0].field).toBe('status');
  });

  it('D4: level=area: a point per postal area where the code resolves (US ZIP, Canadian FSA), counted by status', async () => {
    const t = await newReseller(stack.sql);
    await insertCustomer(t, { country: 'US', postalCode: '94105', status: 'pending' });
    await insertCustomer(t, { country: 'US', postalCode: '94105-1420', status: 'accepted' });
    await insertCustomer(t, { country: 'US', postalCode: '10001', status: 'pending' });
    await insertCustomer(t, { country: 'CA', postalCode: 'M5V 3L9', status: 'accepted' });
    // Not resolved: an unknown ZIP, and a country the bundled postal data does not cover. Counted by country only.
    await insertCustomer(t, { country: 'US', postalCode: '00000', status: 'pending' });
    await insertCustomer(t, { country: 'SE', postalCode: '111 51', status: 'pending' });

    const res = await api(t.apiKey).get('/v1/customers/map?level=area');
    expect(res.status).toBe(200);
    const features = res.body.features as (Feature & { properties: { area: string } })[];
    expect(features.map((f) => [f.id, f.properties.customers])).toEqual([
      ['US-94105', 2],
      ['CA-M5V', 1],
      ['US-10001', 1],
    ]);
    const sf = features[0]!;
    expect(sf.properties).toMatchObject({
      country: 'US',
      area: '94105',
      name: 'San Francisco, CA',
      byInvitationStatus: { pending: 1, accepted: 1 },
    });
    const [lng, lat] = sf.geometry!.coordinates;
    expect(lat).toBeCloseTo(37.79, 1);
    expect(lng).toBeCloseTo(-122.39, 1);
    expect(features[1]!.properties).toMatchObject({ country: 'CA', area: 'M5V' });
    // The country level still counts every customer, the unresolved ones too.
    const byCountry = (await api(t.apiKey).get('/v1/customers/map')).body.features as Feature[];
    expect(Object.fromEntries(byCountry.map((f) => [f.id, f.properties.customers]))).toEqual({ US: 4, CA: 1, SE: 1 });
    // The list's filters apply here too; a level it does not know is a 400 naming it.
    const accepted = (await api(t.apiKey).get('/v1/customers/map?level=area&status=accepted')).body
      .features as Feature[];
    expect(accepted.map((f) => [f.id, f.properties.customers])).toEqual([
      ['CA-M5V', 1],
      ['US-94105', 1],
    ]);
    const bad = await api(t.apiKey).get('/v1/customers/map?level=street');
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues[0].field).toBe('level');
  });

  it('D4: a reseller with no customers gets an empty collection', async () => {
    const empty = await newReseller(stack.sql);
    const res = await api(empty.apiKey).get('/v1/customers/map');
    expect(res.body).toEqual({ type: 'FeatureCollection', features: [] });
  });
});

interface LicenseRow {
  reason: string;
  at: string;
  serialNumber: string;
  licenseId: string;
  customer: { id: string; vipId: string; organizationName: string };
  orderId: string | null;
  purchaseAuthorizationId: string | null;
}

describe('D5: the report of expiring licenses', () => {
  let a: Tenant;
  let other: Tenant;
  const serial: Record<string, string> = {};

  beforeAll(async () => {
    [a, other] = await Promise.all([newReseller(stack.sql), newReseller(stack.sql)]);
    const customer = await insertCustomer(a);
    // O2/O6: trials ending in 10 days (in the default 30-day window) and in 40 days (outside it).
    serial.trialIn = (await insertOrder(a, customer, { kind: 'trial', trialEndsInDays: 10 })).serial;
    serial.trialOut = (await insertOrder(a, customer, { kind: 'trial', trialEndsInDays: 40 })).serial;
    // S1: a suspension lapsing at the end of a cycle in 5 days; one in 50 days; a cycle renewing without one.
    serial.suspendedIn = (await insertBilling(a, customer, { periodEndsInDays: 5, suspend: true })).serial;
    serial.suspendedOut = (await insertBilling(a, customer, { periodEndsInDays: 50, suspend: true })).serial;
    serial.billedOnly = (await insertBilling(a, customer, { periodEndsInDays: 6 })).serial;
    // P2: deactivated 61 days after the PA unless paid: overdue for 50 days (in 11 days), made today (in 61 days),
    // paid long ago (never), deactivated 3 days ago (in a window in the past).
    const payer = await insertCustomer(a);
    serial.paIn = (await insertPa(a, payer, { status: 'overdue', createdDaysAgo: 50 })).serial;
    serial.paOut = (await insertPa(a, payer, { status: 'pending', createdDaysAgo: 0 })).serial;
    serial.paPaid = (await insertPa(a, payer, { status: 'paid', createdDaysAgo: 50 })).serial;
    serial.paDeactivated = (
      await insertPa(a, payer, { status: 'deactivated', createdDaysAgo: 64, deactivatedDaysAgo: 3 })
    ).serial;
    // R1: the licenses of a customer whose renewal date is in 20 days; another's in 60 days.
    const renewing = await insertCustomer(a, { anniversaryInDays: 20 });
    serial.renewalIn = (await insertPa(a, renewing, { status: 'paid', createdDaysAgo: 200 })).serial;
    const later = await insertCustomer(a, { anniversaryInDays: 60 });
    serial.renewalOut = (await insertPa(a, later, { status: 'paid', createdDaysAgo: 200 })).serial;
    // The other tenant's trial ending in 10 days and its overdue PA: never in A's report (T1).
    const theirs = await insertCustomer(other, { anniversaryInDays: 20 });
    serial.theirTrial = (await insertOrder(other, theirs, { kind: 'trial', trialEndsInDays: 10 })).serial;
    serial.theirPa = (await insertPa(other, theirs, { status: 'overdue', createdDaysAgo: 50 })).serial;
  });

  const report = async (query = '') => {
    const res = await api(a.apiKey).get(`/v1/reports/expiring-licenses?limit=200${query}`);
    expect(res.status).toBe(200);
    return res.body.data as LicenseRow[];
  };
  const reasonsBySerial = (rows: LicenseRow[]) => rows.map((r) => `${r.reason} ${r.serialNumber}`).sort();

  it('D5: trials (O2), S1 suspensions, P2 deactivations and R1 renewals in the window are listed with their reason; rows outside it are not', async () => {
    const rows = await report();
    expect(reasonsBySerial(rows)).toEqual(
      [
        `trial_end ${serial.trialIn}`,
        `suspension ${serial.suspendedIn}`,
        `pa_deactivation ${serial.paIn}`,
        `renewal ${serial.renewalIn}`,
      ].sort(),
    );
    // Soonest first: the suspension (5 days), the trial (10), the PA (11), the renewal (20).
    expect(rows.map((r) => r.reason)).toEqual(['suspension', 'trial_end', 'pa_deactivation', 'renewal']);
    const pa = rows.find((r) => r.reason === 'pa_deactivation')!;
    expect(pa.purchaseAuthorizationId).toBe(pa.licenseId);
    expect(pa.customer.vipId).toMatch(/^VIP\d+$/);
    // P2: the PA's deadline, 61 days after it was made (PA_DEACTIVATE_AFTER).
    const [made] = await stack.sql<{ createdAt: Date }[]>`
      SELECT created_at FROM purchase_authorizations WHERE id = ${pa.purchaseAuthorizationId}`;
    expect(Date.parse(pa.at) - made!.createdAt.getTime()).toBe(61 * 86_400_000);
    expect(rows.find((r) => r.reason === 'renewal')!.at).toBe(`${day(20)}T00:00:00.000Z`);
  });

  it('D5: another window lists what falls in it: later trials and suspensions, and what lapsed in the past', async () => {
    expect(reasonsBySerial(await report(`&from=${day(35)}&to=${day(65)}`))).toEqual(
      [
        `trial_end ${serial.trialOut}`,
        `suspension ${serial.suspendedOut}`,
        `pa_deactivation ${serial.paOut}`,
        `renewal ${serial.renewalOut}`,
      ].sort(),
    );
    expect(reasonsBySerial(await report(`&from=${day(-7)}&withinDays=7`))).toEqual([
      `pa_deactivation ${serial.paDeactivated}`,
    ]);
  });

  it("D5: another reseller's licenses never appear, and it sees only its own (T1)", async () => {
    const wide = await report(`&from=${day(-30)}&to=${day(300)}`);
    const serials = wide.map((r) => r.serialNumber);
    expect(serials).not.toContain(serial.theirTrial);
    expect(serials).not.toContain(serial.theirPa);
    expect(serials).not.toContain(serial.paPaid);
    expect(serials).not.toContain(serial.billedOnly);
    const theirs = await api(other.apiKey).get('/v1/reports/expiring-licenses');
    expect(reasonsBySerial(theirs.body.data)).toEqual(
      [`trial_end ${serial.theirTrial}`, `pa_deactivation ${serial.theirPa}`, `renewal ${serial.theirPa}`].sort(),
    );
  });

  it('D5: pages by keyset cursor, and the CSV has the same rows (UTF-8 with BOM, an attachment)', async () => {
    const window = `&from=${day(-30)}&to=${day(300)}`;
    const all = await report(window);
    const paged: LicenseRow[] = [];
    let cursor: string | null = null;
    do {
      const res = await api(a.apiKey).get(
        `/v1/reports/expiring-licenses?limit=3${window}${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(res.status).toBe(200);
      paged.push(...(res.body.data as LicenseRow[]));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(paged).toEqual(all);

    const csv = await api(a.apiKey).get(`/v1/reports/expiring-licenses.csv?${window.slice(1)}`);
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv; charset=utf-8/);
    expect(csv.headers['content-disposition']).toMatch(
      /^attachment; filename="expiring-licenses-\d{4}-\d{2}-\d{2}\.csv"$/,
    );
    expect(csv.text.charCodeAt(0)).toBe(0xfeff);
    const records = parseCsv(csv.text, { bom: true, columns: true }) as Record<string, string>[];
    expect(records.map((r) => [r.Reason, r['Serial number'], r.Date, r['VIP id']])).toEqual(
      all.map((r) => [r.reason, r.serialNumber, r.at, r.customer.vipId]),
    );
    const defaultWindow = parseCsv((await api(a.apiKey).get('/v1/reports/expiring-licenses.csv')).text, {
      bom: true,
      columns: true,
    }) as Record<string, string>[];
    expect(defaultWindow.map((r) => `${r.Reason} ${r['Serial number']}`).sort()).toEqual(
      reasonsBySerial(await report()),
    );
  });

  it('D5: a window the API cannot take is refused naming the field, JSON and CSV alike', async () => {
    const answer = async (query: string) => {
      const res = await api(a.apiKey).get(`/v1/reports/expiring-licenses?${query}`);
      return [res.status, res.body.error?.issues?.[0]?.field];
    };
    expect(await answer(`from=${day(10)}&to=${day(5)}`)).toEqual([422, 'to']);
    expect(await answer(`from=${day(0)}&to=${day(400)}`)).toEqual([422, 'to']);
    expect(await answer(`to=${day(5)}&withinDays=3`)).toEqual([422, 'withinDays']);
    expect(await answer('withinDays=367')).toEqual([400, 'withinDays']);
    expect(await answer('withinDays=ten')).toEqual([400, 'withinDays']);
    expect(await answer('from=2024-02-30')).toEqual([400, 'from']);
    expect(await answer('cursor=nope')).toEqual([400, 'cursor']);
    const csv = await api(a.apiKey).get(`/v1/reports/expiring-licenses.csv?from=${day(10)}&to=${day(5)}`);
    expect([csv.status, csv.body.error?.issues?.[0]?.field]).toEqual([422, 'to']);
  });
});

interface SubscriptionRow {
  kind: string;
  id: string;
  reason: string;
  at: string;
  companyName: string;
  customer: { id: string } | null;
  serialNumber: string | null;
  users: number | null;
}

describe('D5: the report of expiring subscriptions', () => {
  let a: Tenant;
  let other: Tenant;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    [a, other] = await Promise.all([newReseller(stack.sql), newReseller(stack.sql)]);
    const customer = await insertCustomer(a);
    // B1: billing cycles renewing with an invoice in 7 days (in a 14-day window) and in 45 days (outside it).
    ids.renewsIn = (await insertBilling(a, customer, { periodEndsInDays: 7 })).id;
    ids.renewsOut = (await insertBilling(a, customer, { periodEndsInDays: 45 })).id;
    // S1: suspended at the end of the cycle in 5 days: it ends then instead.
    ids.suspended = (await insertBilling(a, customer, { periodEndsInDays: 5, suspend: true })).id;
    // E3: per-user subscriptions paid monthly from creation: 20 days ago (next in ~10 days), 2 days ago (~28 days).
    ids.perUserIn = (await insertPerUser(a, null, 20)).id;
    ids.perUserOut = (await insertPerUser(a, customer, 2)).id;
    ids.theirs = (await insertBilling(other, await insertCustomer(other), { periodEndsInDays: 7 })).id;
  });

  const report = async (query: string, key = a.apiKey) => {
    const res = await api(key).get(`/v1/reports/expiring-subscriptions?limit=200&${query}`);
    expect(res.status).toBe(200);
    return res.body.data as SubscriptionRow[];
  };
  const reasonsById = (rows: SubscriptionRow[]) => rows.map((r) => `${r.reason} ${r.id}`).sort();

  it('D5: billing cycles (B1) and per-user payments (E3) due in the window and S1 suspensions are listed; later ones are not', async () => {
    const rows = await report(`from=${day(0)}&to=${day(14)}`);
    expect(reasonsById(rows)).toEqual(
      [`next_payment ${ids.renewsIn}`, `suspension ${ids.suspended}`, `next_payment ${ids.perUserIn}`].sort(),
    );
    expect(rows.map((r) => r.id)).toEqual([ids.suspended, ids.renewsIn, ids.perUserIn]);
    const perUser = rows.find((r) => r.id === ids.perUserIn)!;
    expect(perUser).toMatchObject({ kind: 'per_user', customer: null, serialNumber: null, users: 12 });
    expect(perUser.companyName).toMatch(/^Signatures /);
    expect(rows.find((r) => r.id === ids.renewsIn)).toMatchObject({ kind: 'billing', users: null });
    expect(rows.find((r) => r.id === ids.renewsIn)!.serialNumber).toMatch(/^SN-/);
    expect(rows.map((r) => r.id)).not.toContain(ids.theirs);
    // The later ones, in their own window.
    expect(reasonsById(await report(`from=${day(20)}&to=${day(50)}`))).toEqual(
      [`next_payment ${ids.renewsOut}`, `next_payment ${ids.perUserOut}`].sort(),
    );
  });

  it('D5: a per-user subscription cancelled through the API (E1) is listed as a cancellation in its window; the CSV has the same rows', async () => {
    const created = await api(a.apiKey).post('/v1/subscriptions').send({
      product: 'signatures-google-workspace',
      companyName: 'Cancelled Co',
      users: 3,
      customerCanEditSignatures: false,
    });
    expect(created.status).toBe(201);
    const cancelled = await api(a.apiKey).post(`/v1/subscriptions/${created.body.id}/cancel`);
    expect(cancelled.status).toBe(200);

    const window = `from=${day(-1)}&to=${day(14)}`;
    const rows = await report(window);
    expect(rows.find((r) => r.id === created.body.id)).toMatchObject({
      kind: 'per_user',
      reason: 'cancellation',
      companyName: 'Cancelled Co',
    });
    expect(reasonsById(rows)).toEqual(
      [
        `next_payment ${ids.renewsIn}`,
        `suspension ${ids.suspended}`,
        `next_payment ${ids.perUserIn}`,
        `cancellation ${created.body.id}`,
      ].sort(),
    );
    // Not while it is yet to come: a cancellation ends the subscription at once.
    expect((await report(`from=${day(1)}&to=${day(14)}`)).map((r) => r.id)).not.toContain(created.body.id);

    const csv = await api(a.apiKey).get(`/v1/reports/expiring-subscriptions.csv?${window}`);
    expect(csv.status).toBe(200);
    expect(csv.headers['content-disposition']).toMatch(/filename="expiring-subscriptions-\d{4}-\d{2}-\d{2}\.csv"$/);
    const records = parseCsv(csv.text, { bom: true, columns: true }) as Record<string, string>[];
    expect(records.map((r) => [r.Kind, r.Reason, r.Id, r.Date, r.Company])).toEqual(
      rows.map((r) => [r.kind, r.reason, r.id, r.at, r.companyName]),
    );
  });

  it('D5: another reseller sees only its own subscriptions (T1)', async () => {
    const theirs = await report(`from=${day(0)}&to=${day(14)}`, other.apiKey);
    expect(theirs.map((r) => r.id)).toEqual([ids.theirs]);
  });
});
