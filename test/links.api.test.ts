// Issue 10, secure by default: the links mailed to contacts are random (T3, O7), cannot be reused, stop working when
// the address they went to is corrected (C3), and every link page says plainly why a link no longer works.
import { createHmac, randomUUID } from 'node:crypto';
import request from 'supertest';
import { createCustomerActivities } from '../activities/customers';
import { createMailer } from '../activities/mailer';
import { acceptInvitation as dbAcceptInvitation } from '../db/customers';
import { findEmailLog } from '../db/email-log';
import { activateLicense as dbActivateLicense } from '../db/orders';
import { sha256 } from '../lib/hash';
import { customerBody, customerDetails, newReseller, resellerForSuite, uniqueEmail } from './helpers/fixtures';
import { type CaughtEmail, linkIn, tokenOf } from './helpers/mailbox';
import { signedIn, stackForSuite } from './helpers/stack';

const stack = stackForSuite();
const reseller = resellerForSuite(stack);
const api = () => signedIn(stack.app, reseller.apiKey);

const tokenIn = (mail: CaughtEmail | undefined) => tokenOf(linkIn(mail as CaughtEmail));
const openInvitation = (token: string) => request(stack.app).get(`/invitations/accept?token=${token}`);
const acceptInvitation = (token: string) =>
  request(stack.app).post('/invitations/accept').type('form').send({ token, agree: 'yes' });
const storedToken = async (token: string) =>
  (
    await stack.sql<{ emailKey: string | null; revokedReason: string | null; usedAt: Date | null }[]>`
      SELECT email_key, revoked_reason, used_at FROM access_tokens WHERE token_hash = ${sha256(token)}`
  )[0];

describe('emailed links: random, single use, revoked by a correction, and pages that say why', () => {
  it('C3 T3: after the reseller corrects the contact email, the link mailed to the wrong address says it was replaced; the new link works', async () => {
    const b = customerBody();
    const typo = b.contact.email;
    const created = await api().post('/v1/customers').send(b);
    expect(created.status).toBe(201);
    const oldToken = tokenIn((await stack.mailbox.waitFor(typo, 1))[0]);
    expect((await openInvitation(oldToken)).status).toBe(200);

    const corrected = uniqueEmail('corrected');
    const reminded = await api()
      .post(`/v1/customers/${created.body.id}/invitation/reminders`)
      .send({ email: corrected });
    expect(reminded.status).toBe(200);
    const newToken = tokenIn((await stack.mailbox.waitFor(corrected, 1))[0]);
    expect(newToken).not.toBe(oldToken);

    const opened = await openInvitation(oldToken);
    expect(opened.status).toBe(410);
    expect(opened.text).toContain('This link was replaced by a newer one');
    expect(opened.text).toContain('has been corrected');
    expect(opened.text).not.toContain('Accept invitation');
    const posted = await acceptInvitation(oldToken);
    expect(posted.status).toBe(410);
    expect(posted.text).toContain('replaced by a newer one');
    expect(await storedToken(oldToken)).toMatchObject({ revokedReason: 'contact_email_changed', usedAt: null });
    const [customer] = await stack.sql`SELECT invitation_status FROM customers WHERE id = ${created.body.id}`;
    expect(customer?.invitationStatus).toBe('pending');

    expect((await openInvitation(newToken)).status).toBe(200);
    const accepted = await acceptInvitation(newToken);
    expect(accepted.status).toBe(200);
    expect(accepted.text).toContain('invitation accepted');
  });

  it('T3: a used link says it was used, an expired link says it expired, an unknown one is a 404', async () => {
    const email = uniqueEmail('signatures');
    const created = await api()
      .post('/v1/subscriptions')
      .send({
        product: 'signatures-microsoft-365',
        companyName: `Fjord Mail ${randomUUID().slice(0, 6)} AS`,
        users: 5,
        customerCanEditSignatures: true,
        contact: { name: 'Ingrid Berg', email },
      });
    expect(created.status).toBe(201);
    const token = tokenIn((await stack.mailbox.waitFor(email, 1))[0]);
    const password = 'Lantern-Quiver-Oatmeal-93';
    const setup = () =>
      request(stack.app)
        .post('/subscription-contact/setup')
        .type('form')
        .send({ token, name: 'Ingrid Berg', phone: '', password, passwordConfirm: password });
    expect((await setup()).status).toBe(200);

    const used = await request(stack.app).get(`/subscription-contact/setup?token=${token}`);
    expect(used.status).toBe(410);
    expect(used.text).toContain('This link was already used');
    expect(used.text).toContain('sign in with your email address');
    const usedAgain = await setup();
    expect(usedAgain.status).toBe(410);
    expect(usedAgain.text).toContain('This link was already used');

    // An invitation link past its expiry.
    const b = customerBody();
    await api().post('/v1/customers').send(b);
    const invitation = tokenIn((await stack.mailbox.waitFor(b.contact.email, 1))[0]);
    await stack.sql`UPDATE access_tokens SET expires_at = now() - interval '1 minute' WHERE token_hash = ${sha256(invitation)}`;
    const expired = await openInvitation(invitation);
    expect(expired.status).toBe(410);
    expect(expired.text).toContain('This link has expired');
    expect(expired.text).not.toContain('already used');
    expect((await acceptInvitation(invitation)).text).toContain('This link has expired');

    const unknown = await openInvitation('A'.repeat(43));
    expect(unknown.status).toBe(404);
    expect(unknown.text).toContain('This link is not valid');
    expect((await request(stack.app).get('/licenses/activate?token=short')).status).toBe(404);
  });

  it('O7: activation links are random: two orders get different tokens, neither an HMAC of TOKEN_SECRET over its key', async () => {
    const c = customerBody();
    const customerId = (await api().post('/v1/customers').send(c)).body.id as string;
    const order = {
      kind: 'order',
      customerId,
      priceList: 'EUR',
      drivers: ['hp-latex-800'],
      subscriptionType: 'saas-annual',
      plan: 'production',
    };
    const serials: string[] = [];
    for (let i = 0; i < 2; i++) {
      const placed = await api().post('/v1/orders').send(order);
      expect(placed.status).toBe(201);
      serials.push(placed.body.serialNumber);
    }
    const mails = await stack.mailbox.waitFor(c.contact.email, 3);
    const tokens = serials.map((serial) => tokenIn(mails.find((m) => m.text.includes(serial))));
    expect(tokens[0]).not.toBe(tokens[1]);
    for (const token of tokens) {
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/); // 256 bits
      const stored = await storedToken(token);
      expect(stored?.emailKey).toBeTruthy();
      // What the token used to be, which a reseller knowing the secret could compute for its own orders.
      const derived = createHmac('sha256', stack.config.TOKEN_SECRET).update(stored!.emailKey!).digest('base64url');
      expect(token).not.toBe(derived);
      expect((await request(stack.app).get(`/licenses/activate?token=${derived}`)).status).toBe(404);
    }
  });

  it('T3: an email activity retried after a crash between send and record sends once more; only the newest link works, the older says replaced', async () => {
    const mailer = createMailer(stack.config);
    const activities = createCustomerActivities({ sql: stack.sql, mailer, config: stack.config });
    const other = await newReseller(stack.sql);
    const customerId = randomUUID();
    const customer = customerDetails();
    await activities.registerCustomer({
      customerId,
      resellerId: other.resellerId,
      invitedBy: other.userId,
      customer,
      reminderSchedule: [],
    });
    const key = `test/${customerId}/invitation/1`;
    const send = () => activities.sendInvitationEmail({ customerId, kind: 'invitation', key });

    // Sent and recorded: a repeat sends nothing, and the link stays the one that was sent.
    expect(await send()).toBe('sent');
    expect(await send()).toBe('already-sent');
    const first = tokenIn((await stack.mailbox.waitFor(customer.contact.email, 1))[0]);
    expect(await storedToken(first)).toMatchObject({ emailKey: key, revokedReason: null });

    // A crash after the send but before its record: the retry cannot know the email went out, so it sends a new
    // link, and the first one (which it cannot mail again) stops working and says why.
    await stack.sql`UPDATE email_log SET status = 'sending' WHERE idempotency_key = ${key}`;
    expect(await send()).toBe('sent');
    const mails = await stack.mailbox.waitFor(customer.contact.email, 2);
    const second = tokenIn(mails[1]);
    expect(second).not.toBe(first);
    expect(await findEmailLog(stack.sql, key)).toMatchObject({ status: 'sent', attempts: 3 });
    const live = await stack.sql`SELECT 1 FROM access_tokens WHERE email_key = ${key} AND revoked_at IS NULL`;
    expect(live).toHaveLength(1);

    const old = await openInvitation(first);
    expect(old.status).toBe(410);
    expect(old.text).toContain('This link was replaced by a newer one');
    expect(old.text).toContain('most recent email');
    expect((await openInvitation(second)).status).toBe(200);
    mailer.close();
  });

  it('C2 O4 T3: a link step retried after its first attempt committed (its worker killed before reporting) succeeds again, once', async () => {
    const c = customerBody();
    const customerId = (await api().post('/v1/customers').send(c)).body.id as string;
    const placed = await api()
      .post('/v1/orders')
      .send({
        kind: 'order',
        customerId,
        priceList: 'EUR',
        drivers: ['hp-latex-800'],
        subscriptionType: 'perpetual',
        plan: 'production',
      });
    expect(placed.status).toBe(201);
    const mails = await stack.mailbox.waitFor(c.contact.email, 2);
    const invitation = tokenIn(mails.find((m) => m.text.includes('/invitations/accept')));
    const activation = tokenIn(mails.find((m) => m.text.includes(placed.body.serialNumber)));

    expect((await acceptInvitation(invitation)).status).toBe(200);
    const activated = await request(stack.app).post('/licenses/activate').type('form').send({ token: activation });
    expect(activated.status).toBe(200);

    // What the step's retry runs (the soak's killed worker): the committed change answers as it did the first time,
    // rather than "link no longer valid", which would refuse a change that took effect.
    expect(await dbAcceptInvitation(stack.sql, { customerId, tokenHash: sha256(invitation) })).toEqual({
      outcome: 'accepted',
    });
    expect(await dbActivateLicense(stack.sql, { orderId: placed.body.id, tokenHash: sha256(activation) })).toBe(
      'activated',
    );
    // Nothing happened twice: one audited activation, one acceptance.
    const audited = await stack.sql`
      SELECT action FROM audit_events WHERE entity_id IN (${customerId}, ${placed.body.id})
        AND action IN ('invitation.accepted', 'license.activated') ORDER BY action`;
    expect(audited.map((r) => r.action)).toEqual(['invitation.accepted', 'license.activated']);
    // The retry's answer is for that link only: another order's spent link is not "activated" for this one.
    expect(await dbActivateLicense(stack.sql, { orderId: randomUUID(), tokenHash: sha256(activation) })).toBe(
      'link_invalid',
    );
  });
});
