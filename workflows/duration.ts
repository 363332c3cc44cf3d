import ms, { type StringValue } from 'ms';

/** Durations come from configuration as strings ("72 hours", "3d"); workflows compute with milliseconds. */
export function durationMs(value: string): number {
  const n = ms(value as StringValue);
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) throw new TypeError(`not a duration: "${value}"`);
  return n;
}
