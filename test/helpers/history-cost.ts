// What a lifecycle costs in Temporal: its history events (storage, replay time, the 50k-event limit) and its
// billable actions. Temporal Cloud's actions (docs.temporal.io/cloud/actions), as far as history shows them:
// a workflow started (client start, continue-as-new, child start); each activity attempt (started or retried);
// each timer started (a `condition` with a timeout too); each upsert of search attributes (attributes given at
// start are free) and each memo change; each signal (counted once, where it is sent from a workflow, else where it
// is received); each accepted update (update-with-start included); a child's start; each workflow task's local
// activities (markers) as one; each change of execution options. Queries, rejected updates and heartbeats are
// actions too but leave no event: they are not counted here.
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** The billable actions of one history, by kind. */
export interface Actions {
  starts: number;
  activities: number;
  timers: number;
  upserts: number;
  memos: number;
  signals: number;
  updates: number;
  children: number;
  localActivities: number;
  options: number;
}

export interface HistoryCost {
  events: number;
  actions: number;
  byKind: Actions;
  /** Not actions; shown because each is three events. */
  workflowTasks: number;
}

const NO_ACTIONS: Actions = {
  starts: 0,
  activities: 0,
  timers: 0,
  upserts: 0,
  memos: 0,
  signals: 0,
  updates: 0,
  children: 0,
  localActivities: 0,
  options: 0,
};

const LOCAL_ACTIVITY_MARKER = 'core_local_activity';

/** The events and actions of one run's history. */
export function historyCost(events: HistoryEvent[]): HistoryCost {
  const a = { ...NO_ACTIONS };
  // Local activities bill once per workflow task, however many markers it records.
  const localActivityTasks = new Set<string>();
  for (const e of events) {
    if (e.workflowExecutionStartedEventAttributes) a.starts++;
    // Each attempt is an action: the started event carries the attempt that ended it (retries do not add events).
    else if (e.activityTaskStartedEventAttributes)
      a.activities += Math.max(1, e.activityTaskStartedEventAttributes.attempt ?? 1);
    else if (e.timerStartedEventAttributes) a.timers++;
    else if (e.upsertWorkflowSearchAttributesEventAttributes) a.upserts++;
    else if (e.workflowPropertiesModifiedEventAttributes) a.memos++;
    else if (e.signalExternalWorkflowExecutionInitiatedEventAttributes) a.signals++;
    // A signal from another workflow was counted in the sender's history.
    else if (
      e.workflowExecutionSignaledEventAttributes &&
      !e.workflowExecutionSignaledEventAttributes.externalWorkflowExecution
    )
      a.signals++;
    else if (e.workflowExecutionUpdateAcceptedEventAttributes) a.updates++;
    // The child's own start is counted in the child's history.
    else if (e.startChildWorkflowExecutionInitiatedEventAttributes) a.children++;
    else if (e.markerRecordedEventAttributes?.markerName === LOCAL_ACTIVITY_MARKER)
      localActivityTasks.add(String(e.markerRecordedEventAttributes.workflowTaskCompletedEventId));
    else if (e.workflowExecutionOptionsUpdatedEventAttributes) a.options++;
  }
  a.localActivities = localActivityTasks.size;
  return {
    events: events.length,
    actions: Object.values(a).reduce((x, y) => x + y, 0),
    byKind: a,
    workflowTasks: events.filter((e) => e.workflowTaskCompletedEventAttributes).length,
  };
}

/** Several histories' costs added up (the runs of a chain, a lifecycle and the children it started). */
export function sumCosts(costs: HistoryCost[]): HistoryCost {
  const byKind = { ...NO_ACTIONS };
  for (const c of costs) for (const k of Object.keys(byKind) as (keyof Actions)[]) byKind[k] += c.byKind[k];
  return {
    events: costs.reduce((n, c) => n + c.events, 0),
    actions: costs.reduce((n, c) => n + c.actions, 0),
    byKind,
    workflowTasks: costs.reduce((n, c) => n + c.workflowTasks, 0),
  };
}

/** A run's history once the worker has nothing left to do for now: closed, or idle after its last workflow task. */
export async function settledHistory(client: Client, workflowId: string, runId?: string): Promise<HistoryEvent[]> {
  const handle = client.workflow.getHandle(workflowId, runId);
  const deadline = Date.now() + 15_000;
  let previous = -1;
  for (;;) {
    const events = (await handle.fetchHistory()).events ?? [];
    // The same length twice in a row, no workflow task pending and nothing on its way into the history.
    if (events.length === previous && !hasOpenWork(events)) return events;
    if (Date.now() > deadline) throw new Error(`${workflowId}: the history did not settle (${events.length} events)`);
    previous = events.length;
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** A workflow task, an activity or a child's start not yet closed in the history. */
function hasOpenWork(events: HistoryEvent[]): boolean {
  let tasks = 0;
  let activities = 0;
  let children = 0;
  for (const e of events) {
    if (e.workflowTaskScheduledEventAttributes) tasks++;
    if (
      e.workflowTaskCompletedEventAttributes ||
      e.workflowTaskFailedEventAttributes ||
      e.workflowTaskTimedOutEventAttributes
    )
      tasks--;
    if (e.activityTaskScheduledEventAttributes) activities++;
    if (
      e.activityTaskCompletedEventAttributes ||
      e.activityTaskFailedEventAttributes ||
      e.activityTaskTimedOutEventAttributes ||
      e.activityTaskCanceledEventAttributes
    )
      activities--;
    if (e.startChildWorkflowExecutionInitiatedEventAttributes) children++;
    if (e.childWorkflowExecutionStartedEventAttributes || e.startChildWorkflowExecutionFailedEventAttributes)
      children--;
  }
  return tasks > 0 || activities > 0 || children > 0;
}

export interface RunCost extends HistoryCost {
  workflowId: string;
  runId: string;
  /** The children this run started. */
  children: { workflowId: string; runId: string }[];
}

/** Each run of a workflow id from `firstRunId`, following continue-as-new, with its cost. */
export async function runCosts(client: Client, workflowId: string, firstRunId: string): Promise<RunCost[]> {
  const runs: RunCost[] = [];
  let runId: string | null | undefined = firstRunId;
  while (runId) {
    const events = await settledHistory(client, workflowId, runId);
    const children = events.flatMap((e) => {
      const child = e.childWorkflowExecutionStartedEventAttributes?.workflowExecution;
      return child?.workflowId && child.runId ? [{ workflowId: child.workflowId, runId: child.runId }] : [];
    });
    runs.push({ workflowId, runId, children, ...historyCost(events) });
    runId = events[events.length - 1]?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
  }
  return runs;
}
