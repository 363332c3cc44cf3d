import {
  ContinueAsNew,
  isCancellation,
  metricMeter,
  TemporalFailure,
  type WorkflowInterceptorsFactory,
  workflowInfo,
} from '@temporalio/workflow';
import { LifecycleKey } from './contracts/common';

// Issue 11: how many lifecycles start and how their runs end, by lifecycle and outcome, for operators' dashboards
// and alerts (a rise in failed reseller changes). Counted around every workflow's execution, as an interceptor the
// bundle registers (worker/bundle.ts) rather than a line in each lifecycle. The workflow's metricMeter emits
// through the worker's runtime to its Prometheus endpoint, and emits nothing while replaying, so a run replayed
// after a cache eviction or a restart is not counted twice; nor does it add anything to the history.

/** `lifecycle_runs_total{lifecycle, outcome, workflowType, taskQueue, namespace}` on the worker's /metrics. */
export const LIFECYCLE_RUNS_METRIC = 'lifecycle_runs_total';

export type RunOutcome = 'started' | 'completed' | 'failed' | 'cancelled' | 'continued_as_new';

/** The lifecycle's name from its search attribute (`invitation`, `order`, ...); the workflow type without one. */
function lifecycleOf(): string {
  const info = workflowInfo();
  return info.typedSearchAttributes.get(LifecycleKey) ?? info.workflowType;
}

function count(outcome: RunOutcome): void {
  metricMeter
    .createCounter(LIFECYCLE_RUNS_METRIC, 'runs', 'Lifecycle runs started, and how they ended')
    .add(1, { lifecycle: lifecycleOf(), outcome });
}

/** What a run's end counts as; null for an error that fails the workflow task (retried) rather than the run. */
function outcomeOf(err: unknown): RunOutcome | null {
  if (err instanceof ContinueAsNew) return 'continued_as_new';
  if (isCancellation(err)) return 'cancelled';
  if (err instanceof TemporalFailure) return 'failed';
  return null;
}

export const interceptors: WorkflowInterceptorsFactory = () => ({
  inbound: [
    {
      async execute(input, next) {
        // A run continued from another is the same lifecycle going on, counted where the last one ended. (A first
        // workflow task that fails, a bug, is retried from the start and counts the start again.)
        if (!workflowInfo().continuedFromExecutionRunId) count('started');
        try {
          const result = await next(input);
          count('completed');
          return result;
        } catch (err) {
          const outcome = outcomeOf(err);
          if (outcome) count(outcome);
          throw err;
        }
      },
    },
  ],
});
