// The order and its license (DOMAIN.md O1-O8): created → activation email → activated | deleted; once
// activated its billing starts by itself (B1, S1) and it stays to serve driver swaps (O6).
// Temporal cost, "order activated" (O1 O4 O7: placed through the API, activated by the customer through the emailed
// link; its own history, the renewal and billing runs it starts are their own), counted by hand:
//   started 1; 8 workflow tasks 24; the store step as a local activity in the first task (the API stored the
//   order as it started the run) 3 (its marker, its patch marker, the TemporalChangeVersion upsert); 4 activities
//   (read the renewal schedule, activation email, activate, read the billing terms) 12; 2 status upserts
//   (pending_activation, active) 2; renewal and billing children initiated+started 4; activate update 2 = 48 events;
//   actions: start 1 + local activity 1 + activities 4 + upserts 3 + update 1 + child starts 2 = 12.
//   The two reads (renewal schedule, billing terms) could come back with the writes before them: 39 events, 9 actions.
//
// Budget = the count + 3 events, + 1 action: room for one workflow task more (a step's answer arriving on its own
// rather than folded into a task), not for another step: a new step changes the count here first.
import type { OrderInput, OrderState } from './definitions';
import { LicenseLifecycle } from './license-activation';

/** The counts by hand above (history events, billable actions), and the budgets a test holds the paths to. */
export const HISTORY_BUDGET = {
  activated: { minimum: { events: 48, actions: 12 }, budget: { events: 51, actions: 13 } },
};

export async function orderWorkflow(input: OrderInput): Promise<OrderState> {
  const order = new LicenseLifecycle(input, 'order');
  if (!input.continued) await order.place();
  // The license waits for the customer as long as it takes; the reseller may delete it until then.
  await order.serveOrder();
  await order.lc.finish();
  return order.state();
}
