export { invitationWorkflow } from './invitation';
export { resellerChangeWorkflow } from './reseller-change';
