// One change at a time for a lifecycle whose updates await activities, and refusals that reach the
// caller with the rule's type (ApplicationFailure.type) instead of an opaque activity failure.
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';

/** An activity's typed refusal, rethrown so the update's caller sees its type and reason. */
export function refusalOf(err: unknown): unknown {
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) {
    return ApplicationFailure.create({
      message: err.cause.message,
      type: err.cause.type ?? undefined,
      nonRetryable: true,
    });
  }
  return err;
}

export class ChangeLock {
  busy = false;

  /** Validators call this: a second change while one runs is refused rather than interleaved. */
  assertFree(what: string): void {
    if (this.busy) throw new Error(`Another change to this ${what} is in progress; try again.`);
  }

  async run<T>(change: () => Promise<T>): Promise<T> {
    this.busy = true;
    try {
      return await change();
    } catch (err) {
      throw refusalOf(err);
    } finally {
      this.busy = false;
    }
  }
}
