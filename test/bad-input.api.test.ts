import { request as httpRequest } from 'node:http';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { addMonths } from '../lib/dates';
import { customerBody, resellerForSuite } from './helpers/fixtures';
import { acceptedCustomer, stackForSuite } from './helpers/stack';

// Issue 10, part 7: bytes that are not what they claim to be, refused with a 4xx naming the reason, never a 500,
// and nothing stored. Raw HTTP, so the bytes on the wire are exactly the test's.

const stack = stackForSuite();
const reseller = resellerForSuite(stack);

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: { error?: { code: string; message: string; issues?: { field: string; message: string }[] } } & Record<
    string,
    unknown
  >;
}

/** One request with exactly these bytes and headers. */
function raw(method: string, path: string, headers: Record<string, string>, body?: Buffer): Promise<RawResponse> {
  const url = new URL(path, stack.baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method, headers: { ...headers, ...(body ? { 'content-length': String(body.length) } : {}) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json = {};
          try {
            json = JSON.parse(text);
          } catch {
            // an HTML page
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: json as RawResponse['json'] });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const JSON_UTF8 = 'application/json';
const auth = () => ({ authorization: `Bearer ${reseller.apiKey}` });
const countOf = async (table: 'customers' | 'orders', resellerId: string) =>
  (
    await stack.sql<
      { n: number }[]
    >`SELECT count(*)::int AS n FROM ${stack.sql(table)} WHERE reseller_id = ${resellerId}`
  )[0]!.n;

/** A JSON body whose `organizationName` holds bytes that are not UTF-8 (0xC3 0x28: a lead byte, then "("). */
function customerWithBadBytes(): Buffer {
  const text = JSON.stringify(customerBody({ organizationName: 'Bad@@Bytes AB' }));
  const [before, after] = text.split('@@') as [string, string];
  return Buffer.concat([Buffer.from(before), Buffer.from([0xc3, 0x28]), Buffer.from(after)]);
}

/** Runs `send` and checks that it wrote no customer and no order for the suite's reseller. */
async function storesNothing(send: () => Promise<RawResponse>): Promise<RawResponse> {
  const before = [await countOf('customers', reseller.resellerId), await countOf('orders', reseller.resellerId)];
  const res = await send();
  expect([await countOf('customers', reseller.resellerId), await countOf('orders', reseller.resellerId)]).toEqual(
    before,
  );
  return res;
}

describe('bad input is a 4xx naming the reason, never a 500, and stores nothing (issue 10)', () => {
  it('invalid UTF-8 in a JSON body is a 400 invalid_utf8, not replacement characters in a row', async () => {
    const res = await storesNothing(() =>
      raw('POST', '/v1/customers', { ...auth(), 'content-type': JSON_UTF8 }, customerWithBadBytes()),
    );
    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({ code: 'invalid_utf8', issues: [{ field: 'body' }] });
    expect(res.json.error?.message).toContain('UTF-8');
  });

  it("invalid UTF-8 is refused on every parser: orders, contact sign-in, the link pages' forms", async () => {
    const customer = await acceptedCustomer(stack, reseller.apiKey);
    const order = Buffer.concat([
      Buffer.from(
        `{"kind":"order","customerId":"${customer.id}","priceList":"USD","subscriptionType":"saas-monthly",` +
          '"plan":"production","drivers":["hp-latex-800"],"poNumber":"PO-',
      ),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('"}'),
    ]);
    const placed = await storesNothing(() =>
      raw('POST', '/v1/orders', { ...auth(), 'content-type': JSON_UTF8 }, order),
    );
    expect(placed.status).toBe(400);
    expect(placed.json.error?.code).toBe('invalid_utf8');

    const login = Buffer.concat([
      Buffer.from('{"email":"a@customer.test","password":"'),
      Buffer.from([0xe2, 0x82]),
      Buffer.from('"}'),
    ]);
    const signIn = await raw(
      'POST',
      '/contact/login',
      { 'content-type': JSON_UTF8, 'x-forwarded-for': '192.0.2.10' },
      login,
    );
    expect(signIn.status).toBe(400);
    expect(signIn.json.error?.code).toBe('invalid_utf8');

    // A form that says UTF-8 must be UTF-8: the contact's name would be stored.
    const form = Buffer.concat([
      Buffer.from('token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA&name='),
      Buffer.from([0xc0, 0xaf]),
      Buffer.from('&phone=&password=x&passwordConfirm=x'),
    ]);
    const setup = await raw(
      'POST',
      '/subscription-contact/setup',
      { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', 'x-forwarded-for': '192.0.2.11' },
      form,
    );
    expect(setup.status).toBe(400);
    expect(setup.json.error?.code).toBe('invalid_utf8');
  });

  it('NUL characters and lone surrogates sent as JSON escapes are a 400 naming the field', async () => {
    const nul = JSON.stringify(customerBody({ organizationName: 'Nul\u0000 AB' }));
    const res = await storesNothing(() =>
      raw('POST', '/v1/customers', { ...auth(), 'content-type': JSON_UTF8 }, Buffer.from(nul)),
    );
    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({ code: 'validation_failed', issues: [{ field: 'organizationName' }] });

    const surrogate = JSON.stringify(customerBody()).replace('"Astrid"', '"Astrid\\ud800"');
    const half = await storesNothing(() =>
      raw('POST', '/v1/customers', { ...auth(), 'content-type': JSON_UTF8 }, Buffer.from(surrogate)),
    );
    expect(half.status).toBe(400);
    expect(half.json.error?.issues).toEqual([
      { field: 'contact.firstName', message: expect.stringContaining('well-formed Unicode') },
    ]);

    const query = await raw('GET', '/v1/search?q=ab%00cd', auth());
    expect(query.status).toBe(400);
    expect(query.json.error?.issues).toEqual([{ field: 'q', message: expect.stringContaining('NUL') }]);
  });

  it('a charset other than UTF-8 is a 415 unsupported_charset naming Content-Type', async () => {
    for (const charset of ['latin1', 'iso-8859-1', 'utf-16', 'klingon']) {
      const res = await storesNothing(() =>
        raw(
          'POST',
          '/v1/customers',
          { ...auth(), 'content-type': `application/json; charset=${charset}` },
          Buffer.from(JSON.stringify(customerBody())),
        ),
      );
      expect([charset, res.status]).toEqual([charset, 415]);
      expect(res.json.error).toMatchObject({ code: 'unsupported_charset', issues: [{ field: 'Content-Type' }] });
    }
    const signIn = await raw(
      'POST',
      '/contact/login',
      { 'content-type': 'application/json; charset=latin1', 'x-forwarded-for': '192.0.2.12' },
      Buffer.from('{"email":"a@customer.test","password":"x"}'),
    );
    expect(signIn.status).toBe(415);
  });

  it('a body that does not decompress is a 400; an unknown Content-Encoding a 415; gzip and br are decoded', async () => {
    const body = Buffer.from(JSON.stringify(customerBody()));
    for (const encoding of ['gzip', 'deflate', 'br']) {
      const broken = await storesNothing(() =>
        raw(
          'POST',
          '/v1/customers',
          { ...auth(), 'content-type': JSON_UTF8, 'content-encoding': encoding },
          Buffer.from('this is not compressed at all'),
        ),
      );
      expect([encoding, broken.status]).toEqual([encoding, 400]);
      expect(broken.json.error?.code).toBe('unreadable_request');
    }
    const unknown = await storesNothing(() =>
      raw('POST', '/v1/customers', { ...auth(), 'content-type': JSON_UTF8, 'content-encoding': 'compress' }, body),
    );
    expect(unknown.status).toBe(415);
    expect(unknown.json.error).toMatchObject({
      code: 'unsupported_content_encoding',
      issues: [{ field: 'Content-Encoding' }],
    });
    // A truncated gzip stream: the start of a real one.
    const truncated = await storesNothing(() =>
      raw(
        'POST',
        '/v1/customers',
        { ...auth(), 'content-type': JSON_UTF8, 'content-encoding': 'gzip' },
        gzipSync(body).subarray(0, 20),
      ),
    );
    expect(truncated.status).toBe(400);

    // What is supported is decoded properly.
    for (const [encoding, bytes] of [
      ['gzip', gzipSync(Buffer.from(JSON.stringify(customerBody({ organizationName: 'Gzip Åb' }))))],
      ['br', brotliCompressSync(Buffer.from(JSON.stringify(customerBody({ organizationName: 'Brotli Åb' }))))],
    ] as const) {
      const res = await raw(
        'POST',
        '/v1/customers',
        { ...auth(), 'content-type': JSON_UTF8, 'content-encoding': encoding },
        bytes,
      );
      expect([encoding, res.status]).toEqual([encoding, 201]);
      expect(res.json.organizationName).toBe(encoding === 'gzip' ? 'Gzip Åb' : 'Brotli Åb');
    }
  });

  it('a URL that does not decode is a 400, not a 500', async () => {
    const res = await raw('GET', '/v1/customers/%E0%A4%A', auth());
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  });

  it('C5: an anniversary date outside the coming year is a 400 naming anniversaryDate; one inside it is kept', async () => {
    const today = new Date().toISOString().slice(0, 10);
    for (const date of ['1999-01-01', addMonths(today, -1), addMonths(today, 13), '2999-12-31']) {
      const res = await storesNothing(() =>
        raw(
          'POST',
          '/v1/customers',
          { ...auth(), 'content-type': JSON_UTF8 },
          Buffer.from(JSON.stringify({ ...customerBody(), anniversaryDate: date })),
        ),
      );
      expect([date, res.status]).toEqual([date, 400]);
      expect(res.json.error).toMatchObject({ code: 'validation_failed', issues: [{ field: 'anniversaryDate' }] });
      expect(res.json.error?.message).toMatch(/^anniversaryDate: must (not be in the past|be within a year)/);
    }
    const inAMonth = addMonths(today, 1);
    const kept = await raw(
      'POST',
      '/v1/customers',
      { ...auth(), 'content-type': JSON_UTF8 },
      Buffer.from(JSON.stringify({ ...customerBody(), anniversaryDate: inAMonth })),
    );
    expect(kept.status).toBe(201);
    expect(kept.json.anniversaryDate).toBe(inAMonth);
  });

  // Issue 11 (schemathesis): the old cursor, base64 of [time, id], reached Postgres with any time Date.parse read
  // ("1", "2026-02-30") and any 36 characters of hex and dashes as the id: a 500. The cursor is now
  // `<microseconds>_<uuid>`, described by a pattern in the document; nothing else gets past the query's schema.
  it('a cursor the API never returned is a 400 naming cursor, never a 500; one of the pattern is a page', async () => {
    const id = '0b5c2f3e-1111-4222-8333-444455556666';
    const old = (at: string, of = id) => Buffer.from(JSON.stringify([at, of])).toString('base64url');
    for (const cursor of [
      old('1'),
      old('2026-02-30T00:00:00Z'),
      old('2026-11-01T00:00:00Z', '-'.repeat(36)),
      'x',
      `1_${id}x`,
    ]) {
      for (const list of ['/v1/customers', '/v1/orders', '/v1/subscriptions', '/v1/invoices']) {
        const res = await raw('GET', `${list}?cursor=${encodeURIComponent(cursor)}`, auth());
        expect([list, cursor, res.status]).toEqual([list, cursor, 400]);
        expect(res.json.error?.issues?.[0]?.field).toBe('cursor');
      }
    }
    const far = await raw('GET', `/v1/customers?cursor=9999999999999999_${id}`, auth());
    expect(far.status).toBe(200);
  });

  // Issue 11 (schemathesis): zod's email syntax let these through; the relay refused them (SMTP 501), so the
  // invitation step failed for good and a reminder answered 503.
  it('C1: an email with a domain label ending in a hyphen or longer than 63 characters, or over 253 characters, is a 400: the relay would refuse it', async () => {
    const body = customerBody();
    // 254 characters: within RFC 5321's count, over the relay's (smtp-server refuses it with 501).
    const over = `0@${'0'.repeat(62)}.${'0'.repeat(62)}.${'0'.repeat(62)}.${'A'.repeat(63)}`;
    for (const email of ['ann@print-.example', `ann@print.${'a'.repeat(64)}`, `ann@${'b'.repeat(64)}.example`, over]) {
      const res = await storesNothing(() =>
        raw(
          'POST',
          '/v1/customers',
          { ...auth(), 'content-type': JSON_UTF8 },
          Buffer.from(JSON.stringify({ ...body, contact: { ...body.contact, email } })),
        ),
      );
      expect([email, res.status, res.json.error?.issues?.[0]?.field]).toEqual([email, 400, 'contact.email']);
    }
    const longest = `ann@${'b'.repeat(63)}.${'a'.repeat(63)}`;
    const kept = await raw(
      'POST',
      '/v1/customers',
      { ...auth(), 'content-type': JSON_UTF8 },
      Buffer.from(JSON.stringify({ ...body, contact: { ...body.contact, email: longest } })),
    );
    expect(kept.status).toBe(201);
  });
});
