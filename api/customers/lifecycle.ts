import { type InvitationInput, invitationWorkflowId } from '../../workflows/definitions';
import type { LifecycleStart } from '../http/lifecycles';

/** C1/C2: the customer's invitation run (invitation:<customerId>), started once the customer is stored. */
export const invitationStart = (input: InvitationInput): LifecycleStart => ({
  workflowType: 'invitationWorkflow',
  workflowId: invitationWorkflowId(input.customerId),
  args: [input],
  lifecycle: 'invitation',
  resellerId: input.resellerId,
  customerId: input.customerId,
});
