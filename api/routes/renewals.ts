import { Router, type Request } from 'express';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import type { Config } from '../../config';
import type { Sql } from '../../db';
import { currentRenewalDate, findRenewalProfile, renewalHistory, type RenewalProfile } from '../../db/renewals';
import { commitThreeYearsUpdate, renewalStateQuery, renewUpdate } from '../../workflows/definitions';
import { actorOf, principalOf, requirePermission } from '../auth';
import { HttpError, notFound, parse } from '../errors';
import { runUpdate } from '../lifecycles';
import { ensureRenewal } from '../renewal-lifecycle';

/** R2, R5: how many licenses are renewed or committed. */
export const RenewalQuantityBody = z
  .object({
    quantity: z
      .number({ error: 'must be a number of licenses' })
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .max(100_000, 'must be at most 100000'),
  })
  .strict()
  .meta({ id: 'RenewalQuantity' });

export function renewalsRouter({ sql, temporal, config }: { sql: Sql; temporal: Client; config: Config }): Router {
  const router = Router();

  async function ownProfile(req: Request): Promise<RenewalProfile> {
    const id = z.uuid().safeParse(req.params.customerId);
    const profile = id.success ? await findRenewalProfile(sql, principalOf(req).resellerId, id.data) : null;
    if (!profile) throw notFound('Customer');
    return profile;
  }
  async function handleFor(profile: RenewalProfile) {
    const handle = await ensureRenewal(temporal, config, profile);
    if (!handle)
      throw new HttpError(
        409,
        'NoAnniversary',
        'The customer has no anniversary date yet: it is set by the first order or purchase authorization (C5).',
      );
    return handle;
  }
  async function view(profile: RenewalProfile) {
    const handle = await ensureRenewal(temporal, config, profile);
    return {
      customerId: profile.customerId,
      anniversaryDate: profile.anniversaryDate,
      currentTermEndsOn: currentRenewalDate(profile),
      extendedTermMonths: profile.extendedTermMonths,
      vipSelect:
        profile.vipSelectLevel === null
          ? null
          : { level: profile.vipSelectLevel, discountPercent: profile.vipSelectDiscountPercent },
      threeYearCommitment:
        profile.threeYearCommitmentQuantity === null ? null : { quantity: profile.threeYearCommitmentQuantity },
      renewal: handle ? await handle.query(renewalStateQuery) : null,
      history: (await renewalHistory(sql, profile.customerId)).map((r) => ({
        ...r,
        createdAt: r.createdAt.toISOString(),
      })),
    };
  }

  // R1-R5, D7: the customer's renewal status, VIP Select, commitment and renewal history.
  router.get('/:customerId', async (req, res) => {
    res.json(await view(await ownProfile(req)));
  });

  // R2/R3: a renewal order inside the window; outside it the workflow refuses (409).
  router.post('/:customerId/renew', requirePermission('order'), async (req, res) => {
    const profile = await ownProfile(req);
    const { quantity } = parse(RenewalQuantityBody, req.body);
    await runUpdate(await handleFor(profile), renewUpdate, { quantity, actor: actorOf(req) });
    res.json(await view((await findRenewalProfile(sql, profile.resellerId, profile.customerId))!));
  });

  // R5: a 3-year commitment, after VIP Select and not on an extended prepaid term.
  router.post('/:customerId/three-year-commitment', requirePermission('order'), async (req, res) => {
    const profile = await ownProfile(req);
    const { quantity } = parse(RenewalQuantityBody, req.body);
    await runUpdate(await handleFor(profile), commitThreeYearsUpdate, { quantity, actor: actorOf(req) });
    res.json(await view((await findRenewalProfile(sql, profile.resellerId, profile.customerId))!));
  });

  return router;
}
