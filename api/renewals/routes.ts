import type { z } from 'zod';
import { currentRenewalDate, findRenewalProfile, type RenewalProfile, renewalHistory } from '../../db/renewals';
import { renewalStateQuery, renewUpdate } from '../../workflows/definitions';
import { type Api, json } from '../http/define-route';
import type { AppDeps } from '../http/deps';
import { HttpError } from '../http/errors';
import { ownedBy } from '../http/owned';
import { actionRoutes, getOwnedRoute } from '../http/route-kinds';
import { ensureRenewal } from './lifecycle';
import { Renewal, RenewalQuantityBody } from './schemas';

export function renewalRoutes(api: Api, { sql, temporal, config }: AppDeps): void {
  const ownProfile = ownedBy('Customer', (resellerId, id) => findRenewalProfile(sql, resellerId, id));

  async function handleFor(profile: RenewalProfile) {
    const handle = await ensureRenewal(temporal, config, profile);
    if (!handle)
      throw new HttpError(
        409,
        'no_anniversary',
        'The customer has no anniversary date yet: it is set by the first order or purchase authorization (C5).',
      );
    return handle;
  }
  async function view(profile: RenewalProfile): Promise<z.infer<typeof Renewal>> {
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
  getOwnedRoute(api, {
    path: '/v1/renewals/{customerId}',
    summary:
      "The customer's renewal: anniversary (C5), current term (C6), notices and window (R1, R2), history (R3), " +
      'VIP Select (R4), 3-year commitment (R5)',
    response: json("The renewal profile, the current term's live state and the renewal history", Renewal),
    own: ownProfile,
    view,
  });

  actionRoutes(api, {
    path: '/v1/renewals/{customerId}',
    body: RenewalQuantityBody,
    response: json('The renewal after the change', Renewal),
    errors: [409, 422, 503],
    own: ownProfile,
    actions: [
      ['renew', renewUpdate, 'A renewal order inside the window, early, on time or late; refused outside it (R2, R3)'],
    ],
    handleOf: handleFor,
    view: async (profile, _state, { principal }) => view(await ownProfile(principal, profile.customerId)),
  });
}
