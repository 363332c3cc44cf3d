import express, { Router } from 'express';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import { escapeHtml } from '../../activities/templates/layout';
import { codeHash } from '../../activities/reseller-change';
import type { Sql } from '../../db';
import { findResellerChangeByCode } from '../../db/reseller-changes';
import { redeemCodeUpdate, resellerChangeWorkflowId } from '../../workflows/definitions';
import { HttpError } from '../errors';
import { runUpdate } from '../lifecycles';
import { page, publicPageHeaders } from '../pages';

// X2: a customer admin confirms the reseller change from the link in the code email.

const Params = z.object({ request: z.uuid(), code: z.string().min(6).max(20) });

const unusable = (why: string) =>
  page(
    'This code cannot be used',
    `<h1>This code cannot be used</h1><div role="alert"><p>${escapeHtml(why)}</p></div><p>If you still want to change reseller, ask the new reseller to send a new code.</p>`,
  );

export function resellerChangePageRouter({ sql, temporal }: { sql: Sql; temporal: Client }): Router {
  const router = Router();
  router.use(publicPageHeaders);

  router.get('/redeem', async (req, res) => {
    const p = Params.safeParse(req.query);
    const r = p.success ? await findResellerChangeByCode(sql, p.data.request, codeHash(p.data.code)) : null;
    if (!p.success || !r) return void res.status(404).send(unusable('This link is not valid.'));
    if (r.status === 'redeemed')
      return void res.send(
        page(
          'Already done',
          `<h1>Reseller change already completed</h1><div role="status"><p>${escapeHtml(r.organizationName)} is now served by ${escapeHtml(r.newResellerName)}.</p></div>`,
        ),
      );
    if (r.status !== 'pending' || r.expiresAt.getTime() <= Date.now())
      return void res.status(410).send(unusable(`The code is ${r.status === 'pending' ? 'expired' : r.status}.`));
    res.send(
      page(
        `Move ${r.organizationName} to ${r.newResellerName}?`,
        `<h1>Move ${escapeHtml(r.organizationName)} to ${escapeHtml(r.newResellerName)}?</h1>
         <p>${escapeHtml(r.newResellerName)} will become the reseller for ${escapeHtml(r.organizationName)}. Your licenses and subscriptions move with you and keep working.</p>
         <form method="post" action="/reseller-change/redeem">
           <input type="hidden" name="request" value="${escapeHtml(p.data.request)}">
           <input type="hidden" name="code" value="${escapeHtml(p.data.code)}">
           <button type="submit">Confirm the reseller change</button>
         </form>
         <p class="muted">The code works once, until ${escapeHtml(r.expiresAt.toUTCString())}.</p>`,
      ),
    );
  });

  router.post('/redeem', express.urlencoded({ extended: false, limit: '2kb' }), async (req, res) => {
    const p = Params.safeParse(req.body);
    const r = p.success ? await findResellerChangeByCode(sql, p.data.request, codeHash(p.data.code)) : null;
    if (!p.success || !r) return void res.status(404).send(unusable('This link is not valid.'));
    try {
      await runUpdate(temporal.workflow.getHandle(resellerChangeWorkflowId(p.data.request)), redeemCodeUpdate, {
        codeHash: codeHash(p.data.code),
        actor: 'customer-admin',
      });
    } catch (err) {
      if (err instanceof HttpError) return void res.status(409).send(unusable(err.message));
      throw err;
    }
    res.send(
      page(
        'Reseller change completed',
        `<h1>Reseller change completed</h1><div role="status"><p>${escapeHtml(r.organizationName)} is now served by ${escapeHtml(r.newResellerName)}.</p></div>`,
      ),
    );
  });
  return router;
}
