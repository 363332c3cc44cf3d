import { createHash } from 'node:crypto';
import express, { Router } from 'express';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import { escapeHtml } from '../../activities/templates/layout';
import type { Sql } from '../../db';
import { findActivationLink } from '../../db/orders';
import { activateLicenseUpdate, orderWorkflowId } from '../../workflows/definitions';
import { HttpError } from '../errors';
import { runUpdate } from '../lifecycles';
import { page, publicPageHeaders } from '../pages';

// O4/O7: the customer activates the license from the emailed link; resellers cannot.

const Token = z.string().regex(/^[A-Za-z0-9_-]{20,100}$/);
const hashOf = (token: string) => createHash('sha256').update(token).digest();
const invalid = () =>
  page(
    'This link is no longer valid',
    '<h1>This link is no longer valid</h1><div role="alert"><p>The activation link has expired or was already used.</p></div><p>Please contact your reseller.</p>',
  );
const done = (serial: string) =>
  page(
    'License activated',
    `<h1>License activated</h1><div role="status"><p>License ${escapeHtml(serial)} is active.</p></div><p>Enter the serial number <strong>${escapeHtml(serial)}</strong> when PrintFactory asks for it.</p>`,
  );

export function licenseActivationPageRouter({ sql, temporal }: { sql: Sql; temporal: Client }): Router {
  const router = Router();
  router.use(publicPageHeaders);

  router.get('/activate', async (req, res) => {
    const token = Token.safeParse(req.query.token);
    const link = token.success ? await findActivationLink(sql, hashOf(token.data)) : null;
    if (link?.licenseStatus === 'active') return void res.send(done(link.serialNumber));
    if (!token.success || !link || link.usedAt || link.expiresAt.getTime() <= Date.now())
      return void res.status(410).send(invalid());
    res.send(
      page(
        'Activate your PrintFactory license',
        `<h1>Activate your PrintFactory license</h1>
         <p>${escapeHtml(link.organizationName)}: PrintFactory ${escapeHtml(link.plan)}${link.kind === 'trial' ? ' (trial)' : ''}, serial number <strong>${escapeHtml(link.serialNumber)}</strong>.</p>
         <form method="post" action="/licenses/activate">
           <input type="hidden" name="token" value="${escapeHtml(token.data)}">
           <button type="submit">Activate license</button>
         </form>`,
      ),
    );
  });

  router.post('/activate', express.urlencoded({ extended: false, limit: '2kb' }), async (req, res) => {
    const token = Token.safeParse(req.body?.token);
    const link = token.success ? await findActivationLink(sql, hashOf(token.data)) : null;
    if (!token.success || !link) return void res.status(410).send(invalid());
    if (link.licenseStatus === 'active') return void res.send(done(link.serialNumber));
    try {
      await runUpdate(temporal.workflow.getHandle(orderWorkflowId(link.kind, link.orderId)), activateLicenseUpdate, {
        tokenHash: hashOf(token.data).toString('hex'),
      });
    } catch (err) {
      if (err instanceof HttpError || (err as Error).name === 'WorkflowNotFoundError')
        return void res.status(410).send(invalid());
      throw err;
    }
    res.send(done(link.serialNumber));
  });
  return router;
}
