// The fault injector: on a schedule relative to the soak's start, SIGKILL a worker every 20 s and start another,
// run two workers for a while and keep killing one of them, restart the Temporal dev server on its SQLite file,
// restart Postgres, stop the mail catcher for two minutes. It also keeps the wanted number of workers alive.
import { setTimeout as sleep } from 'node:timers/promises';
import type { MailWatcher } from './mail';
import type { SoakStack } from './stack';

export interface FaultPlan {
  killEveryMs: number;
  /** No kills after this (the drain phase runs undisturbed, so what is stuck is stuck). */
  faultsUntilMs: number;
  twoWorkers: { fromMs: number; untilMs: number };
  temporalRestartAtMs: number;
  postgresRestartAtMs: number;
  mailOutage: { atMs: number; forMs: number };
}

/** The schedule for a run of `minutes`: every fault inside the first 70 % of it. */
export function faultPlan(minutes: number): FaultPlan {
  const total = minutes * 60_000;
  return {
    killEveryMs: 20_000,
    faultsUntilMs: total * 0.7,
    twoWorkers: { fromMs: total * 0.45, untilMs: total * 0.6 },
    temporalRestartAtMs: total * 0.15,
    postgresRestartAtMs: total * 0.25,
    mailOutage: { atMs: total * 0.3, forMs: 120_000 },
  };
}

export interface FaultLog {
  /** When each worker was SIGKILLed (epoch ms). */
  kills: number[];
  events: { atS: number; what: string }[];
  /** Seconds from the Temporal server's return until the API's /healthz saw it. */
  apiReconnectS: number | null;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

export class FaultInjector {
  readonly log: FaultLog = { kills: [], events: [], apiReconnectS: null };
  private stopped = false;
  private wantedWorkers = 1;
  private running: Promise<void>[] = [];

  constructor(
    private readonly stack: SoakStack,
    private readonly mail: MailWatcher,
    private readonly plan: FaultPlan,
    private readonly t0: number,
  ) {}

  private note(what: string): void {
    const atS = Math.round((Date.now() - this.t0) / 1000);
    this.log.events.push({ atS, what });
    console.log(`  [fault +${atS}s] ${what}`);
  }

  private at(ms: number, action: () => Promise<void>): Promise<void> {
    return (async () => {
      const wait = this.t0 + ms - Date.now();
      if (wait > 0) await sleep(wait);
      if (this.stopped) return;
      await action().catch((err) => this.note(`ERROR ${(err as Error).message}`));
    })();
  }

  start(): void {
    const { plan, stack } = this;
    this.running.push(this.supervise());
    for (let t = plan.killEveryMs; t < plan.faultsUntilMs; t += plan.killEveryMs) {
      this.running.push(
        this.at(t, async () => {
          const victim = stack.workers[0];
          if (!victim) return;
          stack.killWorker(victim);
          this.log.kills.push(Date.now());
          this.note(`SIGKILL worker ${victim.id} (pid ${victim.process.pid}); ${stack.workers.length} left`);
        }),
      );
    }
    this.running.push(
      this.at(plan.twoWorkers.fromMs, async () => {
        this.wantedWorkers = 2;
        this.note('two workers from now on (the kills hit the older one)');
      }),
      this.at(plan.twoWorkers.untilMs, async () => {
        this.wantedWorkers = 1;
        this.note('back to one worker (the supervisor drains the other with SIGTERM)');
      }),
      this.at(plan.temporalRestartAtMs, async () => {
        this.note('Temporal dev server: SIGTERM');
        await stack.temporal.stop('SIGTERM');
        await sleep(3_000);
        await stack.startTemporal();
        const back = Date.now();
        this.note('Temporal dev server back on its SQLite file');
        for (let i = 0; i < 600; i++) {
          const ok = await fetch(`${stack.apiUrl}/healthz`)
            .then(async (r) => ((await r.json()) as { temporal?: string }).temporal === 'ok')
            .catch(() => false);
          if (ok) {
            this.log.apiReconnectS = (Date.now() - back) / 1000;
            this.note(`the API sees Temporal again after ${this.log.apiReconnectS.toFixed(1)} s`);
            return;
          }
          await sleep(100);
        }
      }),
      this.at(plan.postgresRestartAtMs, async () => {
        this.note('Postgres: pg_ctl restart -m fast');
        stack.restartPostgres();
        this.note('Postgres back');
      }),
      this.at(plan.mailOutage.atMs, async () => {
        this.note(`mail catcher stopped for ${plan.mailOutage.forMs / 1000} s`);
        await stack.maildev.stop('SIGTERM');
        await sleep(plan.mailOutage.forMs);
        await stack.startMaildev();
        this.mail.reread();
        this.note('mail catcher back');
      }),
    );
  }

  /** Keeps `wantedWorkers` alive: replaces the killed one at once, and any that died by itself. */
  private async supervise(): Promise<void> {
    const { stack } = this;
    while (!this.stopped) {
      for (const w of [...stack.workers]) {
        if (!alive(w.process.pid)) {
          stack.workers.splice(stack.workers.indexOf(w), 1);
          this.note(`worker ${w.id} died by itself`);
        }
      }
      if (stack.workers.length < this.wantedWorkers) {
        const w = await stack.startWorker();
        this.note(`worker ${w.id} started (pid ${w.process.pid})`);
        continue;
      }
      // The wanted number dropped while a worker was starting: drain the newest.
      if (stack.workers.length > this.wantedWorkers) {
        const extra = stack.workers.pop()!;
        await extra.process.stop(10_000);
        this.note(`worker ${extra.id} drained (SIGTERM): ${stack.workers.length} left`);
      }
      await sleep(250);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.running);
  }
}
