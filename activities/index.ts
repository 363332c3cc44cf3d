import { createBillingActivities } from './billing';
import { createCustomerActivities } from './customers';
import type { ActivityDeps } from './mailer';
import { createOrderActivities } from './orders';
import { createPurchaseAuthorizationActivities } from './purchase-authorizations';
import { createRenewalActivities } from './renewals';
import { createResellerChangeActivities } from './reseller-change';
import { createSubscriptionActivities } from './subscriptions';
import { createSupportActivities } from './support';
import { createThreeYearCommitmentActivities } from './three-year-commitments';
import { createUserActivities } from './users';
import { createWebhookActivities } from './webhooks';

export { type ActivityDeps, createMailer, type Mailer } from './mailer';

/** Every activity of the engine, built from its dependencies; workflows import only the type. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createCustomerActivities(deps),
    ...createResellerChangeActivities(deps),
    ...createOrderActivities(deps),
    ...createSubscriptionActivities(deps),
    ...createPurchaseAuthorizationActivities(deps),
    ...createRenewalActivities(deps),
    ...createBillingActivities(deps),
    ...createSupportActivities(deps),
    ...createUserActivities(deps),
    ...createWebhookActivities(deps),
    ...createThreeYearCommitmentActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
