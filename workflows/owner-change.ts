// X2: after a reseller change, the customer's running lifecycles are told their new owner, so their ResellerId
// search attribute follows it (their activities already read the owner from the database at each step).
import { getExternalWorkflowHandle, isCancellation } from '@temporalio/workflow';
import {
  billingWorkflowId,
  type CustomerLifecycleKeys,
  invitationWorkflowId,
  orderWorkflowId,
  ownerChangedSignal,
  purchaseAuthorizationWorkflowId,
  renewalWorkflowId,
  subscriptionWorkflowId,
} from './definitions';

/** The workflow ids of a customer's lifecycles, from their business keys. */
export function customerLifecycleIds(customerId: string, keys: CustomerLifecycleKeys): string[] {
  return [
    invitationWorkflowId(customerId),
    ...keys.orders.map((o) => orderWorkflowId(o.kind, o.id)),
    ...keys.purchaseAuthorizations.map(purchaseAuthorizationWorkflowId),
    ...keys.billing.map(billingWorkflowId),
    ...keys.subscriptions.map(subscriptionWorkflowId),
    ...(keys.renewalDate ? [renewalWorkflowId(customerId, keys.renewalDate)] : []),
  ];
}

/** Signals each run its new owner; a run that has ended has nothing left to show, so its refusal is ignored. */
export async function tellNewOwner(workflowIds: string[], resellerId: string): Promise<void> {
  await Promise.all(
    workflowIds.map((id) =>
      getExternalWorkflowHandle(id)
        .signal(ownerChangedSignal, { resellerId })
        .catch((err: unknown) => {
          if (isCancellation(err)) throw err;
        }),
    ),
  );
}
