import { performance } from 'node:perf_hooks';

/**
 * The phases of a create, answered in a `Server-Timing` header (claim, store, start, commit), so an operator or a
 * benchmark sees where a slow create spent its time without a profiler.
 */
export class ServerTiming {
  private last = performance.now();
  private readonly phases: string[] = [];

  /** Ends the phase running since the previous lap (or since construction). */
  lap(name: string): void {
    const now = performance.now();
    this.phases.push(`${name};dur=${(now - this.last).toFixed(2)}`);
    this.last = now;
  }

  get header(): string {
    return this.phases.join(', ');
  }
}
