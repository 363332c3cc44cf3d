import { randomBytes } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { z } from 'zod';
import type { Sql } from '../../db';
import {
  type ContactPrincipal,
  createContactSession,
  findContactBySession,
  findContactCredentials,
  findSignatureSettings,
  updateSignatureTemplate,
} from '../../db/subscriptions';
import { sha256 } from '../../lib/hash';
import { SUBSCRIPTION_PRODUCTS } from '../../workflows/definitions';
import { durationMs } from '../../workflows/duration';
import { type Api, defineRoute, json, reply } from '../http/define-route';
import type { AppDeps } from '../http/deps';
import { HttpError, notFound } from '../http/errors';
import { email, isoTime, requestBody } from '../http/schemas';
import { verifyPassword } from '../passwords';

// The customer contact's API (E2, T3): sign in with the email and password set through the link, then
// reach the product's settings and nothing else. Contact sessions are a credential of their own: the
// reseller API (/v1) knows only API keys and answers 401 to them.

declare module 'express-serve-static-core' {
  interface Request {
    contact?: ContactPrincipal;
  }
}

export const ContactLoginBody = requestBody('ContactLogin', {
  email,
  password: z.string().min(1, 'is required').max(1000, 'must be at most 1000 characters'),
  subscriptionId: z.uuid().optional(),
});

export const ContactSession = z.object({ token: z.string(), expiresAt: isoTime }).meta({ id: 'ContactSession' });

export const SignatureSettings = z
  .object({
    subscriptionId: z.uuid(),
    product: z.enum(SUBSCRIPTION_PRODUCTS),
    companyName: z.string(),
    signatureTemplate: z.string(),
  })
  .meta({ id: 'SignatureSettings' });

export const SignatureSettingsUpdate = requestBody('SignatureSettingsUpdate', {
  signatureTemplate: z.string().max(10_000, 'must be at most 10000 characters'),
});

const contactOf = (req: Request): ContactPrincipal => {
  if (!req.contact) throw new HttpError(401, 'unauthenticated', 'Not signed in.');
  return req.contact;
};

/** T3: only a contact session opens /contact/v1; an API key is not one. */
export function authenticateContact(sql: Sql): RequestHandler {
  return async (req: Request, _res: Response, next: NextFunction) => {
    const match = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
    if (!match?.[1]) {
      const how = 'Sign in at POST /contact/login and send "Authorization: Bearer <session>".';
      return next(new HttpError(401, 'unauthenticated', how));
    }
    const contact = await findContactBySession(sql, sha256(match[1]));
    if (!contact)
      return next(new HttpError(401, 'unauthenticated', 'The session is unknown or expired; sign in again.'));
    req.contact = contact;
    next();
  };
}

export function contactRoutes(api: Api, { sql, config }: AppDeps): void {
  // E2: the username is the email. One answer for an unknown email and a wrong password.
  defineRoute(api, {
    method: 'post',
    path: '/contact/login',
    summary: 'A customer contact signs in with the email and the password set through the link (E2)',
    auth: 'public',
    body: ContactLoginBody,
    responses: { 201: json('A session for /contact/v1', ContactSession) },
    errors: [[401, 'The email or password is not correct'], 429],
    handler: async ({ body }) => {
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
      return reply(201, { token, expiresAt: expiresAt.toISOString() });
    },
  });

  // E2: the product's settings, which the contact may see and change.
  defineRoute(api, {
    method: 'get',
    path: '/contact/v1/signatures',
    summary: 'The signature settings the contact may see (E2)',
    auth: 'contactSession',
    responses: { 200: json('The settings', SignatureSettings) },
    handler: async ({ req }) => {
      const settings = await findSignatureSettings(sql, contactOf(req).subscriptionId);
      if (!settings) throw notFound('Subscription');
      return reply(200, settings);
    },
  });

  defineRoute(api, {
    method: 'put',
    path: '/contact/v1/signatures',
    summary: 'Change the signature settings (E2)',
    auth: 'contactSession',
    body: SignatureSettingsUpdate,
    responses: { 200: json('The settings', SignatureSettings) },
    handler: async ({ req, body }) =>
      reply(200, await updateSignatureTemplate(sql, contactOf(req), body.signatureTemplate)),
  });

  // E2/T3: contacts never reach billing, whatever they ask for.
  defineRoute(api, {
    method: ['get', 'post', 'put', 'patch', 'delete'],
    path: '/contact/v1/billing',
    expressPath: '/contact/v1/billing{/*rest}',
    summary: 'Refused: contacts never reach billing (E2, T3)',
    auth: 'contactSession',
    responses: {},
    errors: [[403, 'Contacts have no billing access']],
    handler: async () => {
      throw new HttpError(
        403,
        'forbidden',
        'Billing is not available to customer contacts: your reseller handles subscriptions and payments (E2, T3).',
      );
    },
  });
}
