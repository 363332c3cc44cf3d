// The order and its license (DOMAIN.md O1-O8): created → activation email → activated | deleted; once
// activated its billing starts by itself (B1, S1) and it stays to serve driver swaps (O6).
import type { OrderInput, OrderState } from './definitions';
import { LicenseLifecycle } from './license-activation';

export async function orderWorkflow(input: OrderInput): Promise<OrderState> {
  const order = new LicenseLifecycle(input, 'order');
  if (!input.continued) await order.place();
  // The license waits for the customer as long as it takes; the reseller may delete it until then.
  await order.serveOrder();
  await order.lc.finish();
  return order.state();
}
