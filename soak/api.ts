// The portal's side of the soak: HTTP calls to the API, repeated through the outages the soak causes. A repeat is
// safe: creates carry the same Idempotency-Key, and the final check decides what an action whose answer was lost
// did. 503 (a server away) and connection errors are retried; a 500 is counted (a bug) and retried too.
import { setTimeout as sleep } from 'node:timers/promises';

export interface ApiAnswer {
  status: number;
  body: Record<string, unknown>;
}

export interface ApiStats {
  calls: number;
  retried: number;
  serverErrors: number;
  serverErrorSamples: string[];
}

const RETRY_STATUS = new Set([429, 502, 503, 504]);

export class SoakApi {
  readonly stats: ApiStats = { calls: 0, retried: 0, serverErrors: 0, serverErrorSamples: [] };

  constructor(
    readonly baseUrl: string,
    /** How long one call keeps trying through an outage. */
    private readonly retryForMs = 240_000,
  ) {}

  async call(
    method: string,
    path: string,
    opts: { key?: string; json?: unknown; form?: Record<string, string>; idempotencyKey?: string } = {},
  ): Promise<ApiAnswer> {
    const headers: Record<string, string> = {};
    if (opts.key) headers.authorization = `Bearer ${opts.key}`;
    if (opts.idempotencyKey) headers['idempotency-key'] = opts.idempotencyKey;
    let body: string | undefined;
    if (opts.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(opts.json);
    } else if (opts.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(opts.form).toString();
    }
    const deadline = Date.now() + this.retryForMs;
    for (let attempt = 0; ; attempt++) {
      this.stats.calls++;
      if (attempt > 0) this.stats.retried++;
      let status = 0;
      let text = '';
      try {
        const res = await fetch(`${this.baseUrl}${path}`, {
          method,
          headers,
          body,
          signal: AbortSignal.timeout(30_000),
        });
        status = res.status;
        text = await res.text();
      } catch (err) {
        text = String(err);
      }
      if (status >= 500 && status !== 503 && status !== 502 && status !== 504) {
        this.stats.serverErrors++;
        if (this.stats.serverErrorSamples.length < 5)
          this.stats.serverErrorSamples.push(`${method} ${path} → ${status} ${text.slice(0, 200)}`);
      }
      const retry = status === 0 || status >= 500 || RETRY_STATUS.has(status);
      if (!retry || Date.now() > deadline) {
        let parsed: Record<string, unknown> = {};
        try {
          parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
        } catch {
          parsed = { text: text.slice(0, 300) };
        }
        return { status, body: parsed };
      }
      await sleep(Math.min(5_000, 250 * 2 ** attempt));
    }
  }
}
