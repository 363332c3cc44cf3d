import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium } from './helpers/browser';
import { newReseller, uniqueEmail } from './helpers/fixtures';
import { startStack, type Stack } from './helpers/stack';

// Issue 12, part 5: the reference overview page at /portal/, driven in headless Chromium against the real API, worker,
// Temporal and Postgres: sign in with an API key, search a customer (D3), open it (D7), see it on the map (D4), read
// the expiring report (D5) and the balance (D6). Its screenshot, copied to docs/portal.png, is the README's.

const SCREENSHOT = path.join(__dirname, '..', '.cache', 'screenshots', 'portal.png');

let stack: Stack;
let browser: Browser;

beforeAll(async () => {
  stack = await startStack();
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

async function createCustomer(apiKey: string, organizationName: string, place: Record<string, string>) {
  const res = await fetch(`${stack.baseUrl}/v1/customers`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      organizationName,
      marketSegment: 'commercial',
      type: 'team',
      ...place,
      contact: { firstName: 'Alex', lastName: 'Berg', email: uniqueEmail() },
    }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; vipId: string };
}

it('D3 D4 D5 D6 D7: sign in with an API key, search a customer, open it, see it on the map, read the reports', async () => {
  const reseller = await newReseller(stack.sql, ['order', 'billing']);
  const us = { country: 'US', addressLine1: '1 Market Street', city: 'San Francisco', postalCode: '94105' };
  const nordlicht = await createCustomer(reseller.apiKey, 'Nordlicht Print AB', {
    country: 'SE',
    addressLine1: 'Drottninggatan 1',
    city: 'Stockholm',
    postalCode: '11151',
    taxId: 'SE556677889901',
  });
  await createCustomer(reseller.apiKey, 'Harbor Signs LLC', us);
  await createCustomer(reseller.apiKey, 'Bay Wraps Inc', us);
  // A trial, so the expiring-licenses report has its end in the next 60 days (O2, D5).
  const trial = await fetch(`${stack.baseUrl}/v1/orders`, {
    method: 'POST',
    headers: { authorization: `Bearer ${reseller.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      kind: 'trial',
      customerId: nordlicht.id,
      priceList: 'EUR',
      drivers: ['hp-latex-800'],
      subscriptionType: 'perpetual',
      plan: 'production',
    }),
  });
  expect(trial.status).toBe(201);

  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  try {
    const opened = await page.goto(`${stack.baseUrl}/portal/`);
    expect(opened!.status()).toBe(200);
    // Scripts from its own origin only; no inline script could run.
    expect(opened!.headers()['content-security-policy']).toContain("script-src 'self'");

    // A wrong key is refused, and says so.
    await page.getByLabel('API key').fill('rk_not_a_key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'not valid' }).waitFor();
    errors.length = 0; // the browser logs that 401, which was the point

    await page.getByLabel('API key').fill(reseller.apiKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const customers = page.locator('#customers tbody');
    await customers.getByRole('button', { name: 'Bay Wraps Inc' }).waitFor();
    expect(await customers.locator('tr').count()).toBe(3);

    // D1: a filter narrows the list (no customer has products yet but the one with a trial).
    await page.getByLabel('Show (D1)').selectOption('no-products');
    await customers.getByRole('button', { name: 'Nordlicht Print AB' }).waitFor({ state: 'detached' });
    expect(await customers.locator('tr').count()).toBe(2);

    // D3: a search with a typo finds the company; D7: opening it shows its details.
    await page.getByRole('searchbox').fill('Nordlict');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page
      .locator('#search-results')
      .getByRole('button', { name: `Nordlicht Print AB (${nordlicht.vipId})` })
      .click();
    const details = page.locator('#details-body');
    await details.getByRole('heading', { name: 'Nordlicht Print AB' }).waitFor();
    expect(await details.textContent()).toContain(nordlicht.vipId);
    expect(await details.textContent()).toContain('Drottninggatan 1');
    const run = details.getByRole('link', { name: `invitation:${nordlicht.id}` });
    expect(await run.getAttribute('href')).toBe(
      `${stack.config.TEMPORAL_UI_URL}/namespaces/${stack.config.TEMPORAL_NAMESPACE}/workflows/invitation%3A${nordlicht.id}`,
    );

    // D4: on the map, Sweden's point is the selected one, and the caption says where the customer is.
    await page.locator('#map circle.point.selected[data-country="SE"]').waitFor();
    expect(await page.locator('#map path.country').count()).toBeGreaterThan(150);
    expect(await page.locator('#map circle.point').count()).toBe(2);
    expect(await page.locator('#map-caption').textContent()).toBe(
      'Nordlicht Print AB is in Sweden, its only customer there.',
    );
    expect(await page.locator('#map-list li[data-country="US"]').textContent()).toBe(
      'United States: 2 (0 accepted, 2 pending)',
    );

    // D5: the trial's end is in the expiring-licenses report of the next 60 days.
    await page.getByLabel('within').selectOption('60');
    await page.locator('#report-form').getByRole('button', { name: 'Show' }).click();
    const report = page.locator('#report tbody');
    await report.getByText('Nordlicht Print AB').waitFor();
    expect(await report.textContent()).toContain('trial');
    // D6: nothing owed yet.
    expect(await page.locator('#balances').textContent()).toBe('Nothing owed.');

    await page.getByRole('searchbox').fill('');
    await mkdir(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(errors).toEqual([]);
  } finally {
    await context.close();
  }
});

it('the page serves only its own files and the named vendor files, not the rest of node_modules', async () => {
  const get = (p: string) => fetch(`${stack.baseUrl}${p}`);
  expect((await get('/portal/vendor/d3-geo.min.js')).status).toBe(200);
  expect((await get('/portal/vendor/countries-110m.json')).status).toBe(200);
  expect((await get('/portal/vendor/package.json')).status).toBe(404);
  expect((await get('/portal/vendor/..%2f..%2fpackage.json')).status).toBe(404);
  expect((await get('/portal/../config/index.ts')).status).toBe(404);
  const config = (await (await get('/portal/config.json')).json()) as Record<string, string>;
  expect(config).toEqual({ temporalUiUrl: stack.config.TEMPORAL_UI_URL, namespace: stack.config.TEMPORAL_NAMESPACE });
});
