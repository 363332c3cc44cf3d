// The API as its own process (api/main.ts, with the flags scripts/start, the Dockerfile and docker-compose.yml give
// it), as production runs it: its event loop and CPU apart from the bench's client, and its memory readable alone.
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { procStatusMb } from './worker-process';

const ROOT = path.join(__dirname, '..');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export async function waitFor(url: string, child: ChildProcess, what: string): Promise<void> {
  for (let i = 0; i < 240; i++) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} did not answer ${url} within 60 s`);
}

export interface ApiProcess {
  pid: number;
  baseUrl: string;
  /** Resident memory now (VmRSS), in MiB. */
  rssMb(): Promise<number>;
  stop(): Promise<void>;
}

/** Starts api/main.ts with `env` on top of this process's environment; resolves once /healthz answers 200. */
export async function spawnApi(env: Record<string, string> = {}): Promise<ApiProcess> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  // node --import tsx: one process (the tsx CLI would run the server in a child, whose RSS and CPU we would miss).
  const child = spawn(process.execPath, ['--max-old-space-size=256', '--import', 'tsx', 'api/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      API_METRICS_PORT: '0',
      ...env,
      API_PORT: String(port),
      PUBLIC_BASE_URL: baseUrl,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('the API process did not start');
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  await waitFor(`${baseUrl}/healthz`, child, 'the API');
  return {
    pid,
    baseUrl,
    rssMb: () => procStatusMb(pid, 'VmRSS'),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
      process.removeListener('exit', killOnExit);
    },
  };
}
