import type { Client } from '@temporalio/client';
import type { Config } from '../../config';
import { type InvitationInput, invitationWorkflowId, registrationUpdate } from '../../workflows/definitions';
import { startLifecycle } from '../http/lifecycles';

/**
 * C1/C2: starts the customer's invitation (invitation:<customerId>) and waits until it has registered the
 * customer; a repeat finds the same run.
 */
export async function startInvitation(temporal: Client, config: Config, input: InvitationInput): Promise<void> {
  await startLifecycle(
    temporal,
    config,
    {
      workflowType: 'invitationWorkflow',
      workflowId: invitationWorkflowId(input.customerId),
      args: [input],
      lifecycle: 'invitation',
      resellerId: input.resellerId,
      customerId: input.customerId,
    },
    registrationUpdate,
  );
}
