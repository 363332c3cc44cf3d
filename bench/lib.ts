import { execFileSync } from 'node:child_process';
import { appendFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

export function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return n;
}

/** Nearest-rank percentile of milliseconds. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

export interface Summary {
  n: number;
  p50: number;
  p95: number;
  mean: number;
}

export function summarize(latencies: number[]): Summary {
  return {
    n: latencies.length,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    mean: latencies.reduce((a, b) => a + b, 0) / Math.max(1, latencies.length),
  };
}

/** Runs `count` operations with at most `concurrency` in flight; any failure fails the bench. */
export async function runConcurrent(
  count: number,
  concurrency: number,
  op: (i: number) => Promise<void>,
): Promise<{ latencies: number[]; wallMs: number }> {
  const latencies: number[] = [];
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const i = next++;
        const t = performance.now();
        await op(i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  return { latencies, wallMs: performance.now() - start };
}

export async function timed(op: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await op();
  return performance.now() - t;
}

export const ms = (v: number): string => (Number.isFinite(v) ? v.toFixed(v < 10 ? 2 : 1) : '-');
export const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
export const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}x`;

/** A plain-text table: first row is the header, numbers right-aligned. */
export function table(rows: (string | number)[][]): string {
  const cells = rows.map((r) => r.map(String));
  const widths = cells[0]!.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]) => r.map((v, c) => (c === 0 ? v.padEnd(widths[c]!) : v.padStart(widths[c]!))).join('  ');
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

const RESULTS = path.join(__dirname, 'results.jsonl');

/**
 * Appends one run's figures to bench/results.jsonl, with when and on which commit, so runs before and after a
 * change can be compared. Ratios are what to compare: absolute times drift on a shared machine.
 */
export async function recordResults(bench: string, figures: Record<string, number>): Promise<void> {
  let commit: string | null = null;
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    // Not a git checkout (a container image): the time alone identifies the run.
  }
  const rounded = Object.fromEntries(Object.entries(figures).map(([k, v]) => [k, Number(v.toFixed(3))]));
  await appendFile(RESULTS, `${JSON.stringify({ at: new Date().toISOString(), commit, bench, ...rounded })}\n`);
  console.log(`(appended to ${path.relative(process.cwd(), RESULTS)})`);
}

/** One measured figure next to its goal: `goal` reads "<= 50" or ">= 0.8"; null for a figure shown for context. */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  goal: string | null;
}

/** Whether the value meets its goal ("<= 50", ">= 0.8"); null when the figure has none. */
export function meets(value: number, goal: string | null): boolean | null {
  if (goal === null) return null;
  const m = /^(<=|>=|<|>)\s*(-?[\d.]+)$/.exec(goal.trim());
  if (!m) throw new Error(`unreadable goal "${goal}"`);
  const target = Number(m[2]);
  if (!Number.isFinite(value)) return false;
  return { '<=': value <= target, '>=': value >= target, '<': value < target, '>': value > target }[m[1]!]!;
}

/**
 * Prints each figure with its goal and whether it was met, and appends one line per figure to
 * bench/results.jsonl ({name, value, unit, goal, ok}, with when, which commit and which bench).
 */
export async function recordFigures(bench: string, figures: Figure[]): Promise<void> {
  let commit: string | null = null;
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    // Not a git checkout (a container image): the time alone identifies the run.
  }
  const at = new Date().toISOString();
  const rows = figures.map((f) => ({ ...f, value: Number(f.value.toFixed(3)), ok: meets(f.value, f.goal) }));
  console.log(
    `\n${table([
      ['figure', 'value', 'unit', 'goal', 'ok'],
      ...rows.map((f) => [f.name, String(f.value), f.unit, f.goal ?? '-', f.ok === null ? '-' : f.ok ? 'yes' : 'NO']),
    ])}`,
  );
  await appendFile(RESULTS, rows.map((f) => `${JSON.stringify({ ...f, at, commit, bench })}\n`).join(''));
  console.log(`(appended to ${path.relative(process.cwd(), RESULTS)})`);
}
