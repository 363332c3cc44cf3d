// The lifecycle kernel every lifecycle runs on: its status and the status search attribute, the state
// query with the open incident, one change at a time, refusals typed by the lifecycle's contract, and
// step() around every activity, which is where a step that failed for good waits for support (T4).
//
// Models: samples-typescript's ClusterManager (a class owning the handlers) and samples-java's
// manualActivityRetry (a failed activity waits for a signal to retry instead of failing the workflow).
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  ParentClosePolicy,
  type QueryDefinition,
  setHandler,
  startChild,
  upsertSearchAttributes,
  type Workflow,
  workflowInfo,
  patched,
} from '@temporalio/workflow';
import {
  RetryState,
  type UpdateDefinition,
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdReusePolicy,
} from '@temporalio/common';
import { activityProxies } from './activity-proxies';
import {
  CustomerIdKey,
  type Incident,
  incidentQuery,
  LifecycleFailure,
  LifecycleKey,
  type LifecycleName,
  LifecycleStatusKey,
  type LifecycleView,
  NeedsAttentionKey,
  ownerChangedSignal,
  ResellerIdKey,
  type RetryStepArgs,
  retryStepUpdate,
  type SkipStepArgs,
  type SupportActionResult,
  skipStepUpdate,
} from './definitions';

/** The patch under which a created run's first step became a local activity (issue 9). */
const FIRST_STEP_LOCAL = 'first-step-local';

/** Runs one activity call; named so operators and support see which step it is. */
export type Step = <T>(name: string, call: () => Promise<T>) => Promise<T>;

export interface StepOptions<T> {
  /** The value the lifecycle goes on with when support skips the step; a step without it cannot be skipped. */
  skip?: () => T;
  /** Applies support's corrected input (a corrected email address) before the step is retried. */
  /** While waiting for support: the step is no longer needed (the lifecycle ended); it is dropped as skipped. */
  moot?: () => boolean;
  correct?: (correction: NonNullable<RetryStepArgs['correction']>, actor: string) => Promise<void>;
}

type Decision = { action: 'retry'; args: RetryStepArgs } | { action: 'skip'; args: SkipStepArgs };

export interface LifecycleSpec<Status extends string, Failure extends string> {
  name: LifecycleName;
  status: Status;
  /** The contract's failure enum: activity failures of these types are refusals, passed to the caller. */
  failures: Record<string, Failure>;
  /** What the support actions are audited against. */
  entity: { type: string; id: string };
  /**
   * The status while the run's first step stores what it was started with. The API answers a create before
   * that step runs, so a change that arrives meanwhile waits for it instead of being refused.
   */
  opening?: Status;
}

export class Lifecycle<Status extends string, Failure extends string = string> {
  status: Status;
  incident: Incident | null = null;
  readonly db: ReturnType<typeof activityProxies>['db'];
  readonly email: ReturnType<typeof activityProxies>['email'];
  private readonly local: ReturnType<typeof activityProxies>['local'];
  private changing = false;
  private decision: Decision | null = null;
  /** The state the query shows, which the updates registered by transition() answer with. */
  private view: (() => LifecycleView) | null = null;
  private readonly refusalTypes: Set<string>;

  constructor(readonly spec: LifecycleSpec<Status, Failure>) {
    this.status = spec.status;
    this.refusalTypes = new Set(Object.values(spec.failures));
    ({ db: this.db, email: this.email, local: this.local } = activityProxies());

    setHandler(incidentQuery, () => this.incident);
    setHandler(ownerChangedSignal, ({ resellerId }) =>
      upsertSearchAttributes([{ key: ResellerIdKey, value: resellerId }]),
    );
    setHandler(retryStepUpdate, (args) => this.decide({ action: 'retry', args }), {
      validator: (_args) => this.assertIncident(),
    });
    setHandler(skipStepUpdate, (args) => this.decide({ action: 'skip', args }), {
      validator: (args) => {
        this.assertIncident();
        if (!this.incident?.skippable) {
          this.fail(
            `The step "${this.incident?.step}" cannot be skipped: retry it instead.`,
            LifecycleFailure.StepNotSkippable,
          );
        }
        if (!args.reason?.trim()) this.fail('A reason is required to skip a step.', LifecycleFailure.StepNotSkippable);
      },
    });
  }

  // --- Status and state -------------------------------------------------------------------------------

  setStatus(next: Status): void {
    this.status = next;
    upsertSearchAttributes([{ key: LifecycleStatusKey, value: next }]);
  }

  /** Registers the lifecycle's state query, whose state carries the open incident for operators. */
  query<S extends LifecycleView>(def: QueryDefinition<S>, state: () => S): void {
    this.view = state;
    setHandler(def, state);
  }

  /** Not a change: an update that answers once `ready` holds (the API's create returns what was stored). */
  answerWhen<Ret>(def: UpdateDefinition<Ret>, ready: () => boolean, answer: () => Ret): void {
    setHandler(def, async () => {
      await condition(ready);
      return answer();
    });
  }

  /** Refuses unless the lifecycle is `expected`: "The invitation is accepted, not pending." */
  assertStatus(expected: Status, type: Failure): void {
    if (this.status !== expected) this.refuse(`The ${this.spec.name} is ${this.status}, not ${expected}.`, type);
  }

  // --- Refusals and changes -------------------------------------------------------------------------

  /** A typed refusal: the API maps its type to an HTTP answer (api/http/refusals.ts). */
  refuse(message: string, type: Failure): never {
    return this.fail(message, type);
  }

  private fail(message: string, type: string): never {
    throw ApplicationFailure.create({ message, type, nonRetryable: true });
  }

  /** One change at a time: a second change while one runs is refused rather than interleaved. */
  assertFree(): void {
    if (this.changing)
      this.fail(`Another change to this ${this.spec.name} is in progress; try again.`, LifecycleFailure.Busy);
  }

  /**
   * Registers an update that changes the lifecycle: validated (one change at a time, then the lifecycle's
   * own rules), run under the lock. Inside it, a step that fails for good is refused to the caller
   * (StepFailed, nothing changed) instead of waiting for support: the caller is there to try again.
   */
  update<Ret, Args extends unknown[]>(
    def: UpdateDefinition<Ret, Args>,
    handler: (step: Step, ...args: Args) => Promise<Ret>,
    validator?: (...args: NoInfer<Args>) => void,
  ): void {
    setHandler(
      def,
      async (...args: Args) => {
        if (this.opening) {
          // Validated once the run has stored its row: the lifecycle's rules read the status it opens with.
          await condition(() => !this.opening);
          this.assertFree();
          validator?.(...args);
        }
        // Taken before the first await, so a second update delivered in the same activation is refused too.
        this.assertFree();
        this.changing = true;
        try {
          return await handler(this.stepInUpdate, ...args);
        } finally {
          this.changing = false;
        }
      },
      {
        validator: (...args: Args) => {
          if (this.opening) return;
          this.assertFree();
          validator?.(...args);
        },
      },
    );
  }

  /**
   * The commonest change, an update() whose change is one step that moves the lifecycle to `to`. It answers
   * with the state the lifecycle's query shows (register the query first).
   */
  transition<S extends LifecycleView, Args extends unknown[]>(
    def: UpdateDefinition<S, Args>,
    to: Status,
    change: { step: string; call: (...args: Args) => Promise<unknown>; validate: (...args: NoInfer<Args>) => void },
  ): void {
    const view = this.view;
    if (!view) throw new Error(`${this.spec.name}: register the state query before its transitions.`);
    this.update(
      def,
      async (step, ...args) => {
        await step(change.step, () => change.call(...args));
        this.setStatus(to);
        return view() as S;
      },
      change.validate,
    );
  }

  /** Runs a change under the lock; the main flow uses it so that no update interleaves with a transition. */
  async exclusive<T>(change: () => Promise<T>): Promise<T> {
    // Re-checked after each wake-up: an update may have taken the lock in the same activation.
    while (this.changing) await condition(() => !this.changing);
    this.changing = true;
    try {
      return await change();
    } finally {
      this.changing = false;
    }
  }

  /** Waits until no change runs, so that a decision taken now is not overtaken by one in flight. */
  settled(): Promise<void> {
    return condition(() => !this.changing);
  }

  /** Still storing what the run was started with (the spec's `opening` status). */
  get opening(): boolean {
    return this.spec.opening !== undefined && this.status === this.spec.opening;
  }

  get busy(): boolean {
    return this.changing;
  }

  /** Before the run returns or continues as new: every handler has finished. */
  finish(): Promise<void> {
    return condition(allHandlersFinished);
  }

  // --- Steps ---------------------------------------------------------------------------------------------

  /**
   * The first step of a run the API created: it stores (finds) the row the API stored as it started the run, and
   * the run leaves its `opening` status after it. A local activity in the run's first workflow task; runs started
   * before this version keep the activity their history records (patched).
   */
  store<T>(name: string, call: (activities: Lifecycle<Status, Failure>['db']) => Promise<T>): Promise<T> {
    if (!patched(FIRST_STEP_LOCAL)) return this.step(name, () => call(this.db));
    return this.step(name, async () => {
      try {
        return await call(this.local);
      } catch (err) {
        // A local activity's failure arrives unwrapped; as an activity's, so refusals and incidents read it alike.
        if (!(err instanceof ApplicationFailure)) throw err;
        throw new ActivityFailure(err.message, name, undefined, RetryState.NON_RETRYABLE_FAILURE, undefined, err);
      }
    });
  }

  /**
   * A step of the main flow. Retried on the bounded policy of its class; when it fails for good the
   * lifecycle does not fail: it records the incident, shows it (NeedsAttention, the state query) and waits
   * for support to retry it (optionally corrected) or skip it. The steps before it are not redone.
   */
  async step<T>(name: string, call: () => Promise<T>, opts: StepOptions<T> = {}): Promise<T> {
    for (;;) {
      try {
        const result = await call();
        this.closeIncident();
        return result;
      } catch (err) {
        const refusal = this.refusalOf(err);
        if (refusal) throw refusal;
        if (!(err instanceof ActivityFailure)) throw err;
        this.openIncident(name, err, opts.skip !== undefined);
      }
      // A skip or retry for a step that cannot take it was refused by the update's validator.
      await condition(() => this.decision !== null || (opts.moot?.() ?? false));
      if (this.decision === null && opts.skip) {
        this.closeIncident();
        return opts.skip();
      }
      const decision = this.decision as unknown as Decision;
      this.decision = null;
      try {
        await this.db.recordSupportAction({
          workflowId: workflowInfo().workflowId,
          // The owner is read through the customer when there is one: the search attribute names the first owner.
          customerId: workflowInfo().typedSearchAttributes.get(CustomerIdKey) ?? null,
          resellerId: workflowInfo().typedSearchAttributes.get(ResellerIdKey) ?? null,
          lifecycle: this.spec.name,
          entityType: this.spec.entity.type,
          entityId: this.spec.entity.id,
          step: name,
          action: decision.action,
          actor: decision.args.actor,
          reason: decision.args.reason ?? null,
          error: this.incident?.error ?? null,
          correction: decision.action === 'retry' ? (decision.args.correction ?? null) : null,
        });
      } catch (err) {
        // Nothing is done unaudited: support is told, and the step keeps waiting.
        if (!(err instanceof ActivityFailure)) throw err;
        const error = `The support action could not be audited: ${err.cause?.message ?? err.message}`;
        this.outcome = {
          step: name,
          action: decision.action === 'retry' ? 'retried' : 'skipped',
          outcome: 'failed_again',
          error,
        };
        continue;
      }
      if (decision.action === 'skip' && opts.skip) {
        this.closeIncident();
        this.outcome = { step: name, action: 'skipped', outcome: 'done', error: null };
        return opts.skip();
      }
      this.retrying = true;
      if (decision.action === 'retry' && decision.args.correction && opts.correct) {
        try {
          await opts.correct(decision.args.correction, decision.args.actor);
        } catch (err) {
          if (!(err instanceof ActivityFailure)) throw err;
          this.openIncident(name, err, opts.skip !== undefined);
        }
      }
    }
  }

  private readonly stepInUpdate: Step = async (name, call) => {
    try {
      return await call();
    } catch (err) {
      const refusal = this.refusalOf(err);
      if (refusal) throw refusal;
      if (err instanceof ActivityFailure) {
        this.fail(
          `The step "${name}" could not be completed now and nothing was changed; try again later. ` +
            `(${err.cause?.message ?? err.message})`,
          LifecycleFailure.StepFailed,
        );
      }
      throw err;
    }
  };

  /** An activity's typed refusal, rethrown so the caller sees its type and reason. */
  private refusalOf(err: unknown): ApplicationFailure | null {
    if (!(err instanceof ActivityFailure) || !(err.cause instanceof ApplicationFailure)) return null;
    const type = err.cause.type;
    if (!type || !this.refusalTypes.has(type)) return null;
    return ApplicationFailure.create({ message: err.cause.message, type, nonRetryable: true });
  }

  // --- Incidents (T4) ----------------------------------------------------------------------------------

  private retrying = false;
  private outcome: SupportActionResult | null = null;

  private openIncident(step: string, err: ActivityFailure, skippable: boolean): void {
    const cause = err.cause;
    const error = cause?.message ?? err.message;
    const errorType = cause instanceof ApplicationFailure ? (cause.type ?? null) : (cause?.name ?? null);
    if (this.retrying && this.incident) {
      this.incident = { ...this.incident, error, errorType, retries: this.incident.retries + 1 };
      this.outcome = { step, action: 'retried', outcome: 'failed_again', error };
    } else {
      this.incident = { step, error, errorType, since: new Date().toISOString(), retries: 0, skippable };
      upsertSearchAttributes([{ key: NeedsAttentionKey, value: true }]);
    }
    this.retrying = false;
  }

  private closeIncident(): void {
    if (!this.incident) return;
    if (this.retrying) this.outcome = { step: this.incident.step, action: 'retried', outcome: 'done', error: null };
    this.incident = null;
    this.retrying = false;
    upsertSearchAttributes([{ key: NeedsAttentionKey, value: false }]);
  }

  private assertIncident(): void {
    if (!this.incident || this.decision !== null || this.retrying) {
      this.fail(`No step of this ${this.spec.name} is waiting for support.`, LifecycleFailure.NoIncident);
    }
  }

  /** Hands support's decision to the waiting step, and answers once the step has been re-run or skipped. */
  private async decide(decision: Decision): Promise<SupportActionResult> {
    this.outcome = null;
    this.decision = decision;
    await condition(() => this.outcome !== null);
    return this.outcome as unknown as SupportActionResult;
  }
}

/** Who a lifecycle started by another belongs to, for its search attributes. */
export interface ChildTags {
  lifecycle: LifecycleName;
  status: string;
  resellerId: string;
  customerId: string;
}

/**
 * Starts another lifecycle's run under its business-key id, abandoned so that it outlives the run that starts it.
 * A run under that id that already ended (a renewed term) is never run again; a repeat finds the same run.
 */
export async function startLifecycle<W extends Workflow>(
  workflowType: string,
  workflowId: string,
  args: Parameters<W>,
  tags: ChildTags,
): Promise<void> {
  try {
    await startChild<Workflow>(workflowType, {
      workflowId,
      args,
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      memo: workflowInfo().memo,
      typedSearchAttributes: [
        { key: ResellerIdKey, value: tags.resellerId },
        { key: CustomerIdKey, value: tags.customerId },
        { key: LifecycleKey, value: tags.lifecycle },
        { key: LifecycleStatusKey, value: tags.status },
      ],
    });
  } catch (err) {
    // Started already (by the API, by another lifecycle, or by a replayed start): it is the same run.
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}
