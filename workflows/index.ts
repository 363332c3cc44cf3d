export { invitationWorkflow } from './invitation';
