export { invitationWorkflow } from './invitation';
export { resellerChangeWorkflow } from './reseller-change';
export { subscriptionWorkflow } from './subscription';
export { orderWorkflow } from './order';
export { trialWorkflow } from './trial';
export { billingWorkflow } from './billing';
export { purchaseAuthorizationWorkflow } from './purchase-authorization';
export { renewalWorkflow } from './renewal';
