// The order and its license (DOMAIN.md O1-O8): created → activation email → activated | deleted.
import { allHandlersFinished, condition } from '@temporalio/workflow';
import type { OrderInput, OrderState } from './definitions';
import { LicenseLifecycle } from './license-activation';

export async function orderWorkflow(input: OrderInput): Promise<OrderState> {
  const order = new LicenseLifecycle(input);
  await order.place();
  // The license waits for the customer as long as it takes; the reseller may delete it until then.
  await condition(() => order.status === 'active' || order.status === 'deleted');
  await condition(allHandlersFinished);
  return order.state();
}
