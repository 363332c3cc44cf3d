import { createHash, randomBytes } from 'node:crypto';
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import type { Config } from '../../config';
import type { Sql } from '../../db';
import {
  createContactSession,
  findContactBySession,
  findContactCredentials,
  findSignatureSettings,
  updateSignatureTemplate,
  type ContactPrincipal,
} from '../../db/subscriptions';
import { durationMs } from '../../workflows/duration';
import { HttpError, notFound, parse } from '../errors';
import { verifyPassword } from '../passwords';
import { ContactLoginBody, SignatureSettingsUpdate } from '../subscription-schemas';

// The customer contact's API (E2, T3): sign in with the email and password set through the link, then
// reach the product's settings and nothing else. Contact sessions are a credential of their own: the
// reseller API (/v1) knows only API keys and answers 401 to them.

declare module 'express-serve-static-core' {
  interface Request {
    contact?: ContactPrincipal;
  }
}

const sha256 = (value: string): Buffer => createHash('sha256').update(value).digest();

const contactOf = (req: Request): ContactPrincipal => {
  if (!req.contact) throw new HttpError(401, 'unauthenticated', 'Not signed in.');
  return req.contact;
};

export function contactRouter({ sql, config }: { sql: Sql; config: Config }): Router {
  const router = Router();
  router.use(express.json({ limit: '20kb' }));
  router.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });

  // E2: the username is the email. One answer for an unknown email and a wrong password.
  router.post('/login', async (req, res) => {
    const body = parse(ContactLoginBody, req.body);
    const candidates = (await findContactCredentials(sql, body.email)).filter(
      (c) => !body.subscriptionId || c.subscriptionId === body.subscriptionId,
    );
    let contactId: string | null = null;
    if (candidates.length === 0) await verifyPassword(null, body.password);
    // An email may be the contact of several subscriptions; the newest whose password matches signs in.
    for (const c of candidates) {
      if (await verifyPassword(c.passwordHash, body.password)) {
        contactId = c.contactId;
        break;
      }
    }
    if (!contactId) throw new HttpError(401, 'invalid_credentials', 'The email or password is not correct.');
    const token = `cs_${randomBytes(32).toString('base64url')}`;
    const expiresAt = new Date(Date.now() + durationMs(config.CONTACT_SESSION_TTL));
    await createContactSession(sql, { tokenHash: sha256(token), contactId, expiresAt });
    res.status(201).json({ token, expiresAt: expiresAt.toISOString() });
  });

  // T3: only a contact session opens /contact/v1; an API key is not one.
  const authenticateContact = async (req: Request, _res: Response, next: NextFunction) => {
    const match = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
    if (!match?.[1])
      return next(
        new HttpError(
          401,
          'unauthenticated',
          'Sign in at POST /contact/login and send "Authorization: Bearer <session>".',
        ),
      );
    const contact = await findContactBySession(sql, sha256(match[1]));
    if (!contact)
      return next(new HttpError(401, 'unauthenticated', 'The session is unknown or expired; sign in again.'));
    req.contact = contact;
    next();
  };
  router.use('/v1', authenticateContact);

  // E2: the product's settings, which the contact may see and change.
  router.get('/v1/signatures', async (req, res) => {
    const settings = await findSignatureSettings(sql, contactOf(req).subscriptionId);
    if (!settings) throw notFound('Subscription');
    res.json(settings);
  });

  router.put('/v1/signatures', async (req, res) => {
    const body = parse(SignatureSettingsUpdate, req.body);
    res.json(await updateSignatureTemplate(sql, contactOf(req), body.signatureTemplate));
  });

  // E2/T3: contacts never reach billing, whatever they ask for.
  router.all('/v1/billing{/*rest}', (_req, _res) => {
    throw new HttpError(
      403,
      'forbidden',
      'Billing is not available to customer contacts: your reseller handles subscriptions and payments (E2, T3).',
    );
  });

  return router;
}
