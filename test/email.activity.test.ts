import { randomUUID } from 'node:crypto';
import net from 'node:net';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createCustomerActivities } from '../activities/customers';
import { createMailer, IDEMPOTENCY_HEADER, idempotencyHeaderOf, SMTP_TIMEOUT_MS, sendOnce } from '../activities/mailer';
import { EMAIL_STEP_TIMEOUT } from '../config/terms';
import { durationMs } from '../workflows/duration';
import { findEmailLog } from '../db/email-log';
import { invitationWorkflow } from '../workflows';
import {
  invitationStateQuery,
  invitationWorkflowId,
  registrationUpdate,
  retryStepUpdate,
} from '../workflows/definitions';
import { testContext } from './helpers/env';
import { linkIn, tokenHashOf } from './helpers/mailbox';
import { customerDetails, newReseller, uniqueEmail } from './helpers/fixtures';
import { startFlakySmtp } from './helpers/flaky-smtp';
import { createTestWorker, createTimeSkippingEnv } from './helpers/temporal';

const { config, sql, mailbox } = testContext();
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await createTimeSkippingEnv();
});
afterAll(async () => {
  await env?.teardown();
  await sql.end();
});

const message = (to: string) => ({
  to,
  template: 'test',
  subject: `Test ${randomUUID()}`,
  text: 'hello',
  html: '<p>hello</p>',
});

describe('emails are sent once per key', () => {
  it('an email activity retried after the SMTP server failed (421) sends the email exactly once', async () => {
    const smtp = await startFlakySmtp({ host: config.SMTP_HOST, port: config.SMTP_PORT }, 1);
    const flakyConfig = { ...config, SMTP_PORT: smtp.port };
    const { worker, taskQueue } = await createTestWorker(env.nativeConnection, { sql, config: flakyConfig });
    const reseller = await newReseller(sql);
    const customer = customerDetails();
    const customerId = randomUUID();
    const workflowId = invitationWorkflowId(customerId);
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(invitationWorkflow, {
        taskQueue,
        workflowId,
        args: [
          {
            customerId,
            resellerId: reseller.resellerId,
            invitedBy: reseller.userId,
            customer,
            reminderSchedule: ['3 days'],
          },
        ],
      });
      await handle.executeUpdate(registrationUpdate);
      await mailbox.waitFor(customer.contact.email, 1, 60_000);
    });
    await smtp.close();
    expect(smtp.connections).toBe(2);
    expect(await mailbox.to(customer.contact.email)).toHaveLength(1);
    const [log] =
      await sql`SELECT status, attempts FROM email_log WHERE idempotency_key = ${`${workflowId}/invitation/1`}`;
    expect(log).toMatchObject({ status: 'sent', attempts: 2 });
    // T3: each attempt issued a random link; only the one in the email that arrived works.
    const [mail] = await mailbox.to(customer.contact.email);
    const links = await sql<{ tokenHash: Buffer; revokedReason: string | null }[]>`
      SELECT token_hash, revoked_reason FROM access_tokens
      WHERE email_key = ${`${workflowId}/invitation/1`} ORDER BY created_at`;
    expect(links.map((l) => l.revokedReason)).toEqual(['resent', null]);
    expect(Buffer.from(links[1]!.tokenHash).toString('hex')).toBe(tokenHashOf(linkIn(mail!)));
  });

  it('an activity repeated after it succeeded does not send again', async () => {
    const mailer = createMailer(config);
    const reseller = await newReseller(sql);
    const customerId = randomUUID();
    const customer = customerDetails();
    const activities = createCustomerActivities({ sql, mailer, config });
    await activities.registerCustomer({
      customerId,
      resellerId: reseller.resellerId,
      invitedBy: reseller.userId,
      customer,
      reminderSchedule: [],
    });
    const key = `test/${customerId}/invitation/1`;
    expect(await activities.sendInvitationEmail({ customerId, kind: 'invitation', key })).toBe('sent');
    expect(await activities.sendInvitationEmail({ customerId, kind: 'invitation', key })).toBe('already-sent');
    const mails = await mailbox.waitFor(customer.contact.email, 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(await mailbox.to(customer.contact.email)).toHaveLength(1);
    expect(mails[0]?.html).toContain('Review and accept');
    mailer.close();
  });

  it('issue 11: every email carries the hash of its idempotency key, so a catcher counts duplicates per key', async () => {
    const mailer = createMailer(config);
    const to = uniqueEmail('keyed');
    const key = `test/${randomUUID()}`;
    await sendOnce({ sql, mailer, config }, key, message(to));
    const [caught] = await mailbox.waitFor(to, 1);
    const res = await fetch(`${config.MAIL_CATCHER_URL}/email/${caught?.id}`);
    const { headers } = (await res.json()) as { headers: Record<string, string> };
    expect(headers[IDEMPOTENCY_HEADER.toLowerCase()]).toBe(idempotencyHeaderOf(key));
    // A hash: the key's ids (customer, order) stay out of what the recipient sees.
    expect(headers[IDEMPOTENCY_HEADER.toLowerCase()]).not.toContain(key);
    mailer.close();
  });

  it('issue 11: a relay that takes the connection and never greets fails the attempt (retryably) within the email step timeout', async () => {
    const silent = net.createServer(() => undefined); // accepts, says nothing
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const mailer = createMailer({ ...config, SMTP_PORT: (silent.address() as net.AddressInfo).port });
    const started = Date.now();
    const sent = sendOnce({ sql, mailer, config }, `test/${randomUUID()}`, message('nobody@customer.test'));
    const err = await sent.then(
      () => null,
      (e: unknown) => e as { nonRetryable?: boolean },
    );
    const tookMs = Date.now() - started;
    expect(err).not.toBeNull();
    // Transient: the step retries it, rather than timing out on a hung socket or waiting for support.
    expect(err?.nonRetryable).not.toBe(true);
    expect(tookMs).toBeGreaterThanOrEqual(SMTP_TIMEOUT_MS.greeting - 100);
    expect(tookMs).toBeLessThan(durationMs(EMAIL_STEP_TIMEOUT));
    mailer.close();
    silent.close();
  });

  it('a permanent SMTP refusal (5xx) fails without retrying, and nothing is recorded as sent', async () => {
    const smtp = await startFlakySmtp(
      { host: config.SMTP_HOST, port: config.SMTP_PORT },
      1,
      '554 5.7.1 Relay access denied',
    );
    const mailer = createMailer({ ...config, SMTP_PORT: smtp.port });
    const key = `test/${randomUUID()}`;
    await expect(sendOnce({ sql, mailer, config }, key, message('nobody@customer.test'))).rejects.toMatchObject({
      type: 'SmtpRejected',
      nonRetryable: true,
    });
    const [log] = await sql`SELECT status FROM email_log WHERE idempotency_key = ${key}`;
    expect(log?.status).toBe('sending');
    mailer.close();
    await smtp.close();
  });

  it('T4: the same key retried to a corrected address is sent there, and the log records that address', async () => {
    const smtp = await startFlakySmtp({ host: config.SMTP_HOST, port: config.SMTP_PORT }, 1);
    const mailer = createMailer({ ...config, SMTP_PORT: smtp.port });
    const key = `test/${randomUUID()}`;
    const typo = uniqueEmail('typo');
    const corrected = uniqueEmail('corrected');
    await expect(sendOnce({ sql, mailer, config }, key, message(typo))).rejects.toThrow();
    expect(await findEmailLog(sql, key)).toMatchObject({ status: 'sending', toAddress: typo, attempts: 1 });
    expect(await sendOnce({ sql, mailer, config }, key, message(corrected))).toBe('sent');
    expect(await findEmailLog(sql, key)).toMatchObject({ status: 'sent', toAddress: corrected, attempts: 2 });
    // Sent once: a later attempt under the key, to any address, sends nothing and the log keeps the address.
    expect(await sendOnce({ sql, mailer, config }, key, message(typo))).toBe('already-sent');
    expect(await findEmailLog(sql, key)).toMatchObject({ status: 'sent', toAddress: corrected });
    await mailbox.waitFor(corrected, 1);
    expect(await mailbox.to(typo)).toHaveLength(0);
    mailer.close();
    await smtp.close();
  });

  it('T4 C3: support retries a refused invitation email at a corrected address; it arrives there, logged so', async () => {
    // The relay refuses the first message for good (5xx): the step waits for support instead of failing the run.
    const smtp = await startFlakySmtp({ host: config.SMTP_HOST, port: config.SMTP_PORT }, 1, '550 5.1.1 No such user');
    const { worker, taskQueue } = await createTestWorker(env.nativeConnection, {
      sql,
      config: { ...config, SMTP_PORT: smtp.port },
    });
    const reseller = await newReseller(sql);
    const customer = customerDetails();
    const customerId = randomUUID();
    const workflowId = invitationWorkflowId(customerId);
    const corrected = uniqueEmail('corrected');
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(invitationWorkflow, {
        taskQueue,
        workflowId,
        args: [
          { customerId, resellerId: reseller.resellerId, invitedBy: reseller.userId, customer, reminderSchedule: [] },
        ],
      });
      await handle.executeUpdate(registrationUpdate);
      let state = await handle.query(invitationStateQuery);
      for (let i = 0; !state.incident && i < 100; i++) {
        await new Promise((r) => setTimeout(r, 100));
        state = await handle.query(invitationStateQuery);
      }
      expect(state.incident).toMatchObject({ step: 'send the invitation email', errorType: 'SmtpRejected' });
      const outcome = await handle.executeUpdate(retryStepUpdate, {
        args: [{ actor: 'support:ann', reason: 'typo in the address', correction: { email: corrected } }],
      });
      expect(outcome).toMatchObject({ action: 'retried', outcome: 'done' });
      expect(await handle.query(invitationStateQuery)).toMatchObject({
        incident: null,
        contactEmail: corrected,
        emailsSent: 1,
      });
    });
    await smtp.close();
    const [mail] = await mailbox.waitFor(corrected, 1);
    expect(mail?.subject).toContain(customer.organizationName);
    expect(await mailbox.to(customer.contact.email)).toHaveLength(0);
    expect(await findEmailLog(sql, `${workflowId}/invitation/1`)).toMatchObject({
      status: 'sent',
      toAddress: corrected,
      attempts: 2,
    });
  });
});
