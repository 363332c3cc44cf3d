// R1/C5: once a customer's anniversary is set, however it was set (chosen at invitation, the first order, the
// first purchase authorization), its renewal run exists. The lifecycle that may have set it calls this.
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy } from '@temporalio/common';
import { ParentClosePolicy, startChild, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  CustomerIdKey,
  LifecycleKey,
  LifecycleStatusKey,
  type RenewalInput,
  ResellerIdKey,
  renewalWorkflowId,
} from './definitions';

type Step = <T>(name: string, call: () => Promise<T>) => Promise<T>;
type Db = { renewalScheduleOf: Activities['renewalScheduleOf'] };

/** Starts the renewal run of the customer's current term, if there is a term; a repeat finds the same run. */
export async function ensureRenewal(db: Db, step: Step, customerId: string): Promise<void> {
  const schedule = await step('read the renewal schedule', () => db.renewalScheduleOf({ customerId }));
  if (schedule) await startRenewal(schedule);
}

/** Starts a renewal run under its business-key id; abandoned, so it outlives the lifecycle that started it. */
export async function startRenewal(input: RenewalInput): Promise<void> {
  try {
    await startChild('renewalWorkflow', {
      workflowId: renewalWorkflowId(input.customerId, input.anniversaryDate),
      args: [input],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      // A term's run that already ended (renewed, expired) is never run again.
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      memo: workflowInfo().memo,
      typedSearchAttributes: [
        { key: ResellerIdKey, value: input.resellerId },
        { key: CustomerIdKey, value: input.customerId },
        { key: LifecycleKey, value: 'renewal' },
        { key: LifecycleStatusKey, value: 'scheduled' },
      ],
    });
  } catch (err) {
    // Started already, by the API or by another lifecycle: it is the same run.
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}
