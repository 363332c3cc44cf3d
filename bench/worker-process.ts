// The worker as its own process (worker/main.ts, as scripts/start and production run it), so a bench can read
// the memory of the worker alone from /proc: the API, the client and the bench's bookkeeping stay outside it.
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = path.join(__dirname, '..');

export interface WorkerProcess {
  pid: number;
  /** Resident memory now (VmRSS), in MiB. */
  rssMb(): Promise<number>;
  /** The highest resident memory since the process started (VmHWM), in MiB. */
  peakRssMb(): Promise<number>;
  /** SIGTERM (the worker drains its tasks), SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

/** One field of /proc/<pid>/status in MiB (the kernel writes it in kB). */
export async function procStatusMb(pid: number, field: 'VmRSS' | 'VmHWM'): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
  if (!m) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(m[1]) / 1024;
}

/**
 * Starts worker/main.ts with `env` on top of this process's environment and resolves once it polls its task queue
 * (its "worker started" log line). Node loads tsx in-process (`--import tsx`), so `pid` is the worker itself, not a
 * launcher (npx and the tsx command each add a process of their own). Its output goes to `logFile`.
 */
export async function spawnWorker(
  env: Record<string, string>,
  { logFile = path.join(ROOT, '.local', 'bench-worker.log'), startTimeoutMs = 60_000 } = {},
): Promise<WorkerProcess> {
  await mkdir(path.dirname(logFile), { recursive: true });
  const log = createWriteStream(logFile);
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'worker', 'main.ts')], {
    cwd: ROOT,
    // info, whatever the bench's own LOG_LEVEL: readiness is read from the log.
    // Metrics on a free port: a stack started by scripts/start may hold the default one.
    env: { ...process.env, WORKER_METRICS_PORT: '0', ...env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('the worker process did not start');
  // A bench that dies must not leave its worker polling.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      process.removeListener('exit', killOnExit);
      resolve(code);
    }),
  );
  child.stderr?.pipe(log, { end: false });

  const tail: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the worker did not start within ${startTimeoutMs} ms; see ${logFile}`));
    }, startTimeoutMs);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      log.write(`${line}\n`);
      tail.push(line);
      if (tail.length > 20) tail.shift();
      if (line.includes('"msg":"worker started"')) {
        clearTimeout(timer);
        resolve();
      }
    });
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the worker exited (${code}) before it started; see ${logFile}\n${tail.join('\n')}`));
    });
  });

  return {
    pid,
    rssMb: () => procStatusMb(pid, 'VmRSS'),
    peakRssMb: () => procStatusMb(pid, 'VmHWM'),
    async stop(graceMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      log.end();
      return code;
    },
  };
}
