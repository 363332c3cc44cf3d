import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { invitationWorkflowId } from '../workflows/definitions';
import { launchChromium } from './helpers/browser';
import { newReseller, uniqueEmail } from './helpers/fixtures';
import { linkIn } from './helpers/mailbox';
import { startStack, type Stack } from './helpers/stack';

// T3 through a real browser: what supertest cannot see (the checkbox's `required`, labels by role, rendering).

const SCREENSHOT = path.join(__dirname, '..', '.cache', 'screenshots', 'acceptance-page.png');

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

it('C2 T3: the contact accepts the invitation in a real browser; the customer becomes Accepted', async () => {
  const reseller = await newReseller(stack.sql);
  const resellerName = (
    await stack.sql<{ name: string }[]>`SELECT name FROM resellers WHERE id = ${reseller.resellerId}`
  )[0]!.name;
  const contactEmail = uniqueEmail();
  const created = await fetch(`${stack.baseUrl}/v1/customers`, {
    method: 'POST',
    headers: { authorization: `Bearer ${reseller.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      organizationName: 'Harbor Print LLC',
      marketSegment: 'commercial',
      type: 'team',
      country: 'US', // no tax id needed
      addressLine1: '1 Market Street',
      city: 'San Francisco',
      postalCode: '94105',
      contact: { firstName: 'Dana', lastName: 'Reyes', email: contactEmail },
    }),
  });
  expect(created.status).toBe(201);
  const { id } = (await created.json()) as { id: string };

  const [mail] = await stack.mailbox.waitFor(contactEmail, 1);
  const link = linkIn(mail!);

  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    expect((await page.goto(link))!.status()).toBe(200);

    // Accessibility basics: language, title, a labelled checkbox, a named button.
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toContain(resellerName);
    expect(await page.locator('html').getAttribute('lang')).toBeTruthy();
    expect(await page.title()).toContain(resellerName);
    const agree = page.getByRole('checkbox', { name: /accept the reseller terms/i });
    const accept = page.getByRole('button', { name: 'Accept invitation' });
    expect(await agree.count()).toBe(1);
    expect(await accept.count()).toBe(1);

    await mkdir(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    // Unticked: the browser's own `required` check keeps the form from being sent.
    await accept.click();
    // (No DOM lib in tsconfig: the element's validity is typed structurally.)
    expect(
      await agree.evaluate((el) => (el as unknown as { validity: { valueMissing: boolean } }).validity.valueMissing),
    ).toBe(true);
    expect(page.url()).toBe(link);
    const pending = await stack.sql<
      { invitationStatus: string }[]
    >`SELECT invitation_status FROM customers WHERE id = ${id}`;
    expect(pending[0]!.invitationStatus).toBe('pending');

    await agree.check();
    await Promise.all([page.waitForURL(/\/invitations\/accept$/), accept.click()]);
    await page.getByRole('heading', { name: 'Thank you — invitation accepted' }).waitFor();
    expect(await page.getByRole('status').textContent()).toContain(resellerName);

    const [row] = await stack.sql<
      { invitationStatus: string }[]
    >`SELECT invitation_status FROM customers WHERE id = ${id}`;
    expect(row!.invitationStatus).toBe('accepted');
    await expect(stack.temporal.workflow.getHandle(invitationWorkflowId(id)).result()).resolves.toMatchObject({
      customerId: id,
      status: 'accepted',
    });

    // The link is single-use, but reopening it after acceptance says so rather than "invalid".
    await page.goto(link);
    await page.getByRole('heading', { name: 'Invitation already accepted' }).waitFor();
  } finally {
    await context.close();
  }
});
