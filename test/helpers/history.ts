import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';

export interface RunHistory {
  runId: string;
  events: number;
  workflowTasks: number;
  activities: number;
  timers: number;
  updates: number;
  continuedAsNew: boolean;
}

/** Every run of a workflow id from its first, following continue-as-new, with what each run's history holds. */
export async function runChain(client: Client, workflowId: string, firstRunId: string): Promise<RunHistory[]> {
  const runs: RunHistory[] = [];
  let runId: string | null | undefined = firstRunId;
  while (runId) {
    const history: temporal.api.history.v1.IHistory = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    const events: temporal.api.history.v1.IHistoryEvent[] = history.events ?? [];
    const last = events[events.length - 1];
    const next: string | null | undefined = last?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
    runs.push({
      runId,
      events: events.length,
      workflowTasks: events.filter((e) => e.workflowTaskCompletedEventAttributes).length,
      activities: events.filter((e) => e.activityTaskScheduledEventAttributes).length,
      timers: events.filter((e) => e.timerStartedEventAttributes).length,
      updates: events.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes).length,
      continuedAsNew: Boolean(next),
    });
    runId = next;
  }
  return runs;
}
