import { createHmac, randomUUID } from 'node:crypto';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { sha256Hex } from '../lib/hash';
import { codeHash } from '../activities/reseller-change';
import { reserveResellerChange } from '../db/reseller-changes';
import { resellerChangeWorkflow } from '../workflows';
import { DEFAULT_STEP_POLICY } from '../workflows/activity-proxies';
import {
  redeemCodeUpdate,
  ResellerChangeFailure,
  resellerChangeStateQuery,
  resellerChangeWorkflowId,
  retryStepUpdate,
  STEP_POLICY_MEMO,
} from '../workflows/definitions';
import { newReseller, registeredCustomer, uniqueEmail } from './helpers/fixtures';
import { startFlakySmtp } from './helpers/flaky-smtp';
import { createTestWorker, timeSkippingSuite } from './helpers/temporal';

const { config, sql, mailbox, env, taskQueue } = timeSkippingSuite();

/** A customer of an old reseller with two system admins, and a new reseller that wants it. */
async function scenario() {
  const { reseller: oldReseller, customerId, vipId, email } = await registeredCustomer(sql);
  const newR = await newReseller(sql);
  const secondAdmin = uniqueEmail('admin2');
  await sql`INSERT INTO customer_admins (customer_id, email, first_name, last_name) VALUES (${customerId}, ${secondAdmin}, 'Bo', 'Ek')`;
  await sql`INSERT INTO licenses (id, reseller_id, customer_id, serial_number, product, status)
            VALUES (${randomUUID()}, ${oldReseller.resellerId}, ${customerId}, ${`SN-${randomUUID()}`}, 'Creative Cloud', 'active')`;
  return { oldReseller, newR, customerId, vipId, admins: [email, secondAdmin] };
}

/** A change requested by the new reseller; started on the suite's task queue unless `on` names another. */
async function requestChange(
  s: { newR: { resellerId: string; userId: string } },
  vipId: string,
  adminEmail: string,
  on: { taskQueue: string; memo?: Record<string, unknown> } = { taskQueue: taskQueue() },
) {
  const requestId = randomUUID();
  await reserveResellerChange(sql, {
    id: requestId,
    resellerId: s.newR.resellerId,
    userId: s.newR.userId,
    vipId,
    adminEmail,
    ttlMs: 72 * 3600_000,
    limit: 100,
  });
  const handle = await env().client.workflow.start(resellerChangeWorkflow, {
    ...on,
    workflowId: resellerChangeWorkflowId(requestId),
    args: [
      {
        requestId,
        newResellerId: s.newR.resellerId,
        requestedBy: s.newR.userId,
        vipId,
        adminEmail,
        codeTtl: '72 hours',
        maxAttempts: 5,
      },
    ],
  });
  return { requestId, handle };
}

/** The code as the admin received it. */
async function codeFor(adminEmail: string, nth = 1): Promise<string> {
  const mails = (await mailbox.waitFor(adminEmail, nth)).filter((m) =>
    m.subject.startsWith('Your reseller change code'),
  );
  const match = mails[nth - 1]?.text.match(/\b([0-9A-Z]{5}-[0-9A-Z]{5})\b/);
  if (!match) throw new Error('no code in the email');
  return match[1]!;
}

const redeem = (handle: WorkflowHandle, code: string) =>
  handle.executeUpdate(redeemCodeUpdate, { args: [{ codeHash: codeHash(config.TOKEN_SECRET, code), actor: 'test' }] });

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError)
      return `${(err.cause as { type?: string }).type}: ${(err.cause as Error).message}`;
    throw err;
  }
  throw new Error('expected a refusal');
}

const ownerOf = async (customerId: string) =>
  (await sql<{ resellerId: string }[]>`SELECT reseller_id FROM customers WHERE id = ${customerId}`)[0]?.resellerId;

describe('reseller change on the time-skipping server', () => {
  it('X1: every system admin of the customer gets a code of their own, stored only as a hash keyed with TOKEN_SECRET', async () => {
    const s = await scenario();
    const { requestId } = await requestChange(s, s.vipId, s.admins[0]!);
    const codes = await Promise.all(s.admins.map((a) => codeFor(a)));
    expect(codes[0]).toMatch(/^[0-9A-Z]{5}-[0-9A-Z]{5}$/);
    expect(codes[1]).not.toBe(codes[0]);
    const rows = await sql<{ adminEmail: string; codeHash: Buffer }[]>`
      SELECT admin_email, code_hash FROM reseller_change_codes WHERE request_id = ${requestId}`;
    const stored = Object.fromEntries(rows.map((r) => [r.adminEmail, Buffer.from(r.codeHash).toString('hex')]));
    expect(stored).toEqual(Object.fromEntries(s.admins.map((a, i) => [a, codeHash(config.TOKEN_SECRET, codes[i]!)])));
    // Keyed: a leaked table cannot be searched for the 50-bit codes without TOKEN_SECRET.
    expect(stored[s.admins[0]!]).not.toBe(sha256Hex(codes[0]!.replace('-', '')));
  });

  it('X2: the code is random: not derivable from the request (the old HMAC of TOKEN_SECRET), and that one fails', async () => {
    const s = await scenario();
    const { requestId, handle } = await requestChange(s, s.vipId, s.admins[0]!);
    const code = await codeFor(s.admins[0]!);
    // What the code used to be: an HMAC of the configured secret over the request id, computable by a reseller.
    const bytes = createHmac('sha256', config.TOKEN_SECRET).update(`reseller-change:${requestId}`).digest();
    const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
    const derived = Array.from(bytes.subarray(0, 10), (b) => alphabet[b & 31]).join('');
    const derivedCode = `${derived.slice(0, 5)}-${derived.slice(5)}`;
    expect(code).not.toBe(derivedCode);
    expect(await refusal(redeem(handle, derivedCode))).toContain(ResellerChangeFailure.CodeInvalid);
    expect(await ownerOf(s.customerId)).toBe(s.oldReseller.resellerId);
    // Another request for the same customer gets another code.
    await sql`UPDATE reseller_change_requests SET status = 'expired' WHERE id = ${requestId}`;
    await requestChange(s, s.vipId, s.admins[0]!);
    expect(await codeFor(s.admins[0]!, 2)).not.toBe(code);
  });

  it("X2: any admin's code redeems the request, once: the other admin's code is refused afterwards", async () => {
    const s = await scenario();
    const { handle } = await requestChange(s, s.vipId, s.admins[0]!);
    const codes = await Promise.all(s.admins.map((a) => codeFor(a)));
    expect(await redeem(handle, codes[1]!)).toMatchObject({ status: 'redeemed', customerId: s.customerId });
    expect(await refusal(redeem(handle, codes[0]!))).toMatch(/redeemed|completed|no longer/i);
  });

  it('X2: a code redeemed at 71 hours moves the customer and its licenses, and audits it', async () => {
    const s = await scenario();
    const { handle } = await requestChange(s, s.vipId, s.admins[1]!);
    const code = await codeFor(s.admins[1]!);
    await env().sleep('71 hours');
    const result = await redeem(handle, code.toLowerCase());
    expect(result).toMatchObject({ status: 'redeemed', customerId: s.customerId });
    expect(await ownerOf(s.customerId)).toBe(s.newR.resellerId);
    const [lic] = await sql`SELECT reseller_id FROM licenses WHERE customer_id = ${s.customerId}`;
    expect(lic?.resellerId).toBe(s.newR.resellerId);
    const audit =
      await sql`SELECT before, after FROM audit_events WHERE entity_id = ${s.customerId} AND action = 'customer.reseller_changed'`;
    expect(audit).toHaveLength(1);
    expect(await handle.result()).toMatchObject({ status: 'redeemed' });
    // Both resellers' and the customer's people are told.
    await mailbox.waitFor(s.admins[0]!, 2);
    expect((await mailbox.to(s.admins[0]!)).some((m) => m.subject.startsWith('Reseller change completed'))).toBe(true);
  });

  it('X2: a code redeemed at 73 hours is refused and the customer stays', async () => {
    const s = await scenario();
    const { handle } = await requestChange(s, s.vipId, s.admins[0]!);
    const code = await codeFor(s.admins[0]!);
    await env().sleep('73 hours');
    // The run has ended as expired, so the redemption cannot even be delivered.
    expect(await handle.result()).toMatchObject({ status: 'expired' });
    await expect(redeem(handle, code)).rejects.toThrow();
    expect(await ownerOf(s.customerId)).toBe(s.oldReseller.resellerId);
    const [row] = await sql`SELECT status FROM reseller_change_requests WHERE customer_id = ${s.customerId}`;
    expect(row?.status).toBe('expired');
  });

  it('X2: a redeemed code used again is refused', async () => {
    const s = await scenario();
    const { handle } = await requestChange(s, s.vipId, s.admins[0]!);
    const code = await codeFor(s.admins[0]!);
    await redeem(handle, code);
    expect(await refusal(redeem(handle, code))).toMatch(/redeemed|completed|no longer/i);
  });

  it('X2: two redemptions of the same code at once move the customer once', async () => {
    const s = await scenario();
    const { handle } = await requestChange(s, s.vipId, s.admins[0]!);
    const code = await codeFor(s.admins[0]!);
    const outcomes = await Promise.allSettled([redeem(handle, code), redeem(handle, code)]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const audit =
      await sql`SELECT 1 FROM audit_events WHERE entity_id = ${s.customerId} AND action = 'customer.reseller_changed'`;
    expect(audit).toHaveLength(1);
    expect(await ownerOf(s.customerId)).toBe(s.newR.resellerId);
  });

  it('X2: wrong codes are refused and the request locks after five, so a code cannot be guessed', async () => {
    const s = await scenario();
    const { handle } = await requestChange(s, s.vipId, s.admins[0]!);
    const code = await codeFor(s.admins[0]!);
    for (let i = 0; i < 4; i++)
      expect(await refusal(redeem(handle, 'AAAAA-AAAAA'))).toContain(ResellerChangeFailure.CodeInvalid);
    expect(await refusal(redeem(handle, 'AAAAA-AAAAA'))).toContain(ResellerChangeFailure.Locked);
    expect(await handle.result()).toMatchObject({ status: 'locked' });
    await expect(redeem(handle, code)).rejects.toThrow();
    const [row] =
      await sql`SELECT status, failed_attempts FROM reseller_change_requests WHERE customer_id = ${s.customerId}`;
    expect(row).toMatchObject({ status: 'locked', failedAttempts: 5 });
    expect(await ownerOf(s.customerId)).toBe(s.oldReseller.resellerId);
  });

  it('X3: after the first code expired, a re-sent code works', async () => {
    const s = await scenario();
    const first = await requestChange(s, s.vipId, s.admins[0]!);
    const oldCode = await codeFor(s.admins[0]!);
    await env().sleep('73 hours');
    expect(await first.handle.result()).toMatchObject({ status: 'expired' });
    expect((await mailbox.waitFor(s.newR.email, 2)).some((m) => m.subject.includes('expired'))).toBe(true);

    const second = await requestChange(s, s.vipId, s.admins[0]!);
    const newCode = await codeFor(s.admins[0]!, 2);
    expect(newCode).not.toBe(oldCode);
    expect(await refusal(redeem(second.handle, oldCode))).toContain(ResellerChangeFailure.CodeInvalid);
    expect(await redeem(second.handle, newCode)).toMatchObject({ status: 'redeemed' });
    expect(await ownerOf(s.customerId)).toBe(s.newR.resellerId);
  });

  it('X1: a VIP id and email that match no customer behave like a real request, but no code exists', async () => {
    const s = await scenario();
    const { handle, requestId } = await requestChange(s, 'VIP9999999999', 'nobody@nowhere.test');
    await mailbox.waitFor(s.newR.email, 1);
    expect((await handle.query(resellerChangeStateQuery)).status).toBe('pending');
    expect(await refusal(redeem(handle, 'AAAAA-AAAAA'))).toContain(ResellerChangeFailure.CodeInvalid);
    const [row] = await sql`SELECT customer_id FROM reseller_change_requests WHERE id = ${requestId}`;
    expect(row).toMatchObject({ customerId: null });
    expect(await sql`SELECT 1 FROM reseller_change_codes WHERE request_id = ${requestId}`).toHaveLength(0);
  });

  it('X2: a code that is not a SHA-256 is refused with the typed CodeInvalid, and nothing is counted', async () => {
    const s = await scenario();
    const { handle } = await requestChange(s, s.vipId, s.admins[0]!);
    await codeFor(s.admins[0]!);
    const bad = handle.executeUpdate(redeemCodeUpdate, { args: [{ codeHash: 'not-a-hash', actor: 'test' }] });
    expect(await refusal(bad)).toContain(ResellerChangeFailure.CodeInvalid);
    expect(await handle.query(resellerChangeStateQuery)).toMatchObject({
      status: 'pending',
      failedAttempts: 0,
      customerId: null,
      incident: null,
    });
  });

  it('T4 X1: a code email the relay refuses waits for support (incident in the state query); a retry sends it', async () => {
    const smtp = await startFlakySmtp({ host: config.SMTP_HOST, port: config.SMTP_PORT }, 1, '451 4.3.0 Try later');
    const flaky = await createTestWorker(env().nativeConnection, {
      sql,
      config: { ...config, SMTP_PORT: smtp.port },
    });
    const s = await scenario();
    let requestId = '';
    await flaky.worker.runUntil(async () => {
      // One attempt only, so the transient refusal fails the step for good at once.
      const started = await requestChangeWithPolicy(s, flaky.taskQueue);
      const { handle } = started;
      requestId = started.requestId;
      let state = await handle.query(resellerChangeStateQuery);
      for (let i = 0; !state.incident && i < 100; i++) {
        await new Promise((r) => setTimeout(r, 100));
        state = await handle.query(resellerChangeStateQuery);
      }
      expect(state).toMatchObject({ status: 'pending', incident: { step: 'email the code to the admins' } });
      const outcome = await handle.executeUpdate(retryStepUpdate, { args: [{ actor: 'support:ann' }] });
      expect(outcome).toMatchObject({ action: 'retried', outcome: 'done' });
      // The first admin's code from the failed attempt was replaced: the one in the email that arrived works.
      const codes = await Promise.all(s.admins.map((a) => codeFor(a)));
      expect(codes[1]).not.toBe(codes[0]);
      const codeMails = (await mailbox.to(s.admins[0]!)).filter((m) => m.subject.startsWith('Your reseller change'));
      expect(codeMails).toHaveLength(1);
      expect((await handle.query(resellerChangeStateQuery)).incident).toBeNull();
      expect(await redeem(handle, codes[0]!)).toMatchObject({ status: 'redeemed', customerId: s.customerId });
    });
    await smtp.close();
    // T4: support's action is audited against the request, with the step it retried.
    const support = await sql`SELECT actor, before->>'step' AS step FROM audit_events
      WHERE entity_id = ${requestId} AND action = 'support.retry'`;
    expect(support).toEqual([{ actor: 'support:ann', step: 'email the code to the admins' }]);
    expect(await ownerOf(s.customerId)).toBe(s.newR.resellerId);
  });
});

/** A request whose email steps get one attempt each (the step policy the starter passes in the memo). */
const requestChangeWithPolicy = (s: Awaited<ReturnType<typeof scenario>>, taskQueue: string) =>
  requestChange(s, s.vipId, s.admins[0]!, {
    taskQueue,
    memo: {
      [STEP_POLICY_MEMO]: { ...DEFAULT_STEP_POLICY, email: { ...DEFAULT_STEP_POLICY.email, maximumAttempts: 1 } },
    },
  });
