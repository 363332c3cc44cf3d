// Where the machine's CPU goes during a bench phase, per process kind, from /proc (Linux): the Temporal server,
// the worker, the API, Postgres, the mail catcher, and this process (the bench's own client; the API too when it
// runs in-process).
import { readdirSync, readFileSync } from 'node:fs';

export type ProcessKind = 'temporal' | 'worker' | 'api' | 'postgres' | 'mail catcher' | 'bench client' | 'other';
export const PROCESS_KINDS: ProcessKind[] = [
  'temporal',
  'worker',
  'api',
  'postgres',
  'mail catcher',
  'bench client',
  'other',
];

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ, 100 on Linux). */
const HZ = 100;

function kindOf(pid: number, cmdline: string): ProcessKind {
  if (pid === process.pid) return 'bench client';
  if (/api[\\/]main\.ts/.test(cmdline)) return 'api';
  if (/\btemporal\b.*server start-dev/.test(cmdline)) return 'temporal';
  if (/worker[\\/]main\.ts/.test(cmdline)) return 'worker';
  if (/^postgres[: ]|[\\/]postgres\b/.test(cmdline)) return 'postgres';
  if (/maildev/.test(cmdline)) return 'mail catcher';
  return 'other';
}

/** CPU seconds (user + system) each process has used so far, keyed by pid. */
export function cpuSnapshot(): Map<number, { kind: ProcessKind; seconds: number }> {
  const snapshot = new Map<number, { kind: ProcessKind; seconds: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Fields after the command (which may hold spaces), from field 3 on: utime is 14th, stime 15th.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const seconds = (Number(fields[11]) + Number(fields[12])) / HZ;
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      snapshot.set(pid, { kind: kindOf(pid, cmdline), seconds });
    } catch {
      // gone meanwhile
    }
  }
  return snapshot;
}

/** CPU milliseconds per kind between two snapshots (a process born in between counts from zero). */
export function cpuMsBetween(
  before: ReturnType<typeof cpuSnapshot>,
  after: ReturnType<typeof cpuSnapshot>,
): Record<ProcessKind, number> {
  const out = Object.fromEntries(PROCESS_KINDS.map((k) => [k, 0])) as Record<ProcessKind, number>;
  for (const [pid, now] of after) out[now.kind] += (now.seconds - (before.get(pid)?.seconds ?? 0)) * 1000;
  return out;
}
