// The soak's own servers, as processes it can kill and start again: the Temporal dev server on its SQLite file,
// MailDev persisting to a folder (so a restart keeps what it caught), the API, and one or two workers.
// Postgres is started by scripts/soak (scripts/lib.sh) and only restarted here, with pg_ctl.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawnWorker, type WorkerProcess } from '../bench/worker-process';

const ROOT = path.join(__dirname, '..');

export interface SoakPorts {
  temporal: number;
  ui: number;
  smtp: number;
  mail: number;
  api: number;
}

const SEARCH_ATTRIBUTES = ['ResellerId', 'CustomerId', 'Lifecycle', 'LifecycleStatus']
  .flatMap((name) => ['--search-attribute', `${name}=Keyword`])
  .concat(['--search-attribute', 'NeedsAttention=Bool']);

/** Whether something accepts TCP connections on 127.0.0.1:port. */
export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what} did not come up within ${timeoutMs / 1000} s`);
    await sleep(200);
  }
}

const httpOk = (url: string) => async () => (await fetch(url)).ok;

/** A long-running child process whose output goes to a log file; `stop` signals it and waits for its exit. */
class Child {
  private proc: ChildProcess | null = null;
  constructor(
    readonly name: string,
    private readonly logFile: string,
    private readonly command: () => { cmd: string; args: string[]; env?: NodeJS.ProcessEnv },
  ) {}

  start(): void {
    const { cmd, args, env } = this.command();
    const log = createWriteStream(this.logFile, { flags: 'a' });
    const proc = spawn(cmd, args, { cwd: ROOT, env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout?.pipe(log);
    proc.stderr?.pipe(log);
    this.proc = proc;
    const killOnExit = () => proc.kill('SIGKILL');
    process.once('exit', killOnExit);
    proc.once('exit', () => process.removeListener('exit', killOnExit));
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 15_000): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
}

export interface SoakWorker {
  id: number;
  process: WorkerProcess;
}

export class SoakStack {
  readonly temporal: Child;
  readonly maildev: Child;
  readonly api: Child;
  readonly workers: SoakWorker[] = [];
  private nextWorkerId = 1;
  readonly logDir: string;

  constructor(
    readonly ports: SoakPorts,
    /** Settings for the API and the workers (DATABASE_URL, durations, ...), on top of this process's env. */
    readonly env: Record<string, string>,
    readonly dataDir: string,
  ) {
    this.logDir = path.join(dataDir, 'logs');
    mkdirSync(this.logDir, { recursive: true });
    mkdirSync(path.join(dataDir, 'mail'), { recursive: true });
    this.temporal = new Child('temporal', path.join(this.logDir, 'temporal.log'), () => ({
      cmd: path.join(ROOT, '.cache', 'bin', 'temporal'),
      args: [
        'server',
        'start-dev',
        '--ip',
        '127.0.0.1',
        '--port',
        String(ports.temporal),
        '--ui-port',
        String(ports.ui),
        '--db-filename',
        path.join(dataDir, 'temporal.db'),
        '--sqlite-pragma',
        'journal_mode=wal',
        '--sqlite-pragma',
        'synchronous=normal',
        '--log-level',
        'warn',
        ...SEARCH_ATTRIBUTES,
      ],
    }));
    this.maildev = new Child('maildev', path.join(this.logDir, 'maildev.log'), () => ({
      cmd: path.join(ROOT, 'node_modules', '.bin', 'maildev'),
      args: [
        '--smtp',
        String(ports.smtp),
        '--web',
        String(ports.mail),
        '--ip',
        '127.0.0.1',
        '--web-ip',
        '127.0.0.1',
        '--silent',
        // Persisted and reloaded at start: what it caught before a restart is still counted.
        '--mail-directory',
        path.join(dataDir, 'mail'),
      ],
    }));
    this.api = new Child('api', path.join(this.logDir, 'api.log'), () => ({
      cmd: process.execPath,
      args: ['--import', 'tsx', path.join(ROOT, 'api', 'main.ts')],
      env: { ...process.env, ...this.env },
    }));
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${this.ports.api}`;
  }
  get mailUrl(): string {
    return `http://127.0.0.1:${this.ports.mail}`;
  }

  async startTemporal(): Promise<void> {
    this.temporal.start();
    await until('Temporal', () => portOpen(this.ports.temporal));
  }
  async startMaildev(): Promise<void> {
    this.maildev.start();
    await until('MailDev', httpOk(`${this.mailUrl}/email?skip=1000000`));
  }
  async startApi(): Promise<void> {
    this.api.start();
    await until('the API', () => portOpen(this.ports.api));
  }

  /** A new worker process; retried while the Temporal server is away (the worker exits when it cannot connect). */
  async startWorker(): Promise<SoakWorker> {
    const id = this.nextWorkerId++;
    for (let attempt = 1; ; attempt++) {
      try {
        const process = await spawnWorker(this.env, { logFile: path.join(this.logDir, `worker-${id}.log`) });
        const w = { id, process };
        this.workers.push(w);
        return w;
      } catch (err) {
        if (attempt >= 30) throw err;
        await sleep(1_000);
      }
    }
  }

  /** SIGKILL: the worker's in-flight tasks are lost with it, as with a crashed host. */
  killWorker(w: SoakWorker): void {
    this.workers.splice(this.workers.indexOf(w), 1);
    try {
      process.kill(w.process.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }

  /** pg_ctl restart of the cluster scripts/soak started (as its owner when we are root). */
  restartPostgres(): void {
    const { SOAK_PGDATA: data, SOAK_PG_BINDIR: bin, SOAK_PG_LOG: log } = process.env;
    if (!data || !bin || !log) throw new Error('SOAK_PGDATA, SOAK_PG_BINDIR and SOAK_PG_LOG are set by scripts/soak');
    // -l: without a log file the server would write to our pipe, and spawnSync would wait for it to exit.
    const pgCtl = [path.join(bin, 'pg_ctl'), '-D', data, '-l', log, '-m', 'fast', '-w', 'restart'];
    const asRoot = process.getuid?.() === 0;
    const [cmd, ...args] = asRoot ? ['runuser', '-u', 'postgres', '--', ...pgCtl] : pgCtl;
    const r = spawnSync(cmd!, args, { cwd: '/', encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`pg_ctl restart failed: ${r.stderr || r.stdout}`);
  }

  async stop(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.process.stop(5_000)));
    await this.api.stop();
    await this.maildev.stop();
    await this.temporal.stop();
  }
}
