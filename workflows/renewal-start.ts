// R1/C5: once a customer's anniversary is set, however it was set (chosen at invitation, the first order, the
// first purchase authorization), its renewal run exists. The lifecycle that may have set it calls this.
import type { Activities } from '../activities';
import { renewalWorkflowId } from './definitions';
import { type Step, startLifecycle } from './kernel';
import type { renewalWorkflow } from './renewal';

/** What it needs of the calling lifecycle: its database activities and its step(). */
interface Caller {
  db: { renewalScheduleOf: Activities['renewalScheduleOf'] };
  step: Step;
}

/** Starts the renewal run of the customer's current term, if there is a term; a repeat finds the same run. */
export async function ensureRenewal(lc: Caller, customerId: string): Promise<void> {
  const schedule = await lc.step('read the renewal schedule', () => lc.db.renewalScheduleOf({ customerId }));
  if (!schedule) return;
  await startLifecycle<typeof renewalWorkflow>(
    'renewalWorkflow',
    renewalWorkflowId(schedule.customerId, schedule.anniversaryDate),
    [schedule],
    { lifecycle: 'renewal', status: 'scheduled', resellerId: schedule.resellerId, customerId: schedule.customerId },
  );
}
