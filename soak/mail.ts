// What the mail catcher caught, read by one poller for every lifecycle of the soak (a thousand actors polling
// MailDev each would be the load). MailDev appends to its list; `skip` reads only what is new. After a restart it
// reloads its folder in another order, so the poller reads it all again, keyed by MailDev's id (the file name).
import { setTimeout as sleep } from 'node:timers/promises';
import { IDEMPOTENCY_HEADER } from '../activities/mailer';

export interface SoakEmail {
  id: string;
  to: string[];
  subject: string;
  text: string;
  /** The X-Idempotency-Key header: the hash of the engine's idempotency key (activities/mailer.ts). */
  key: string | null;
}

interface MailDevEmail {
  id: string;
  subject: string;
  to: { address: string }[];
  text?: string;
  headers?: Record<string, string | string[]>;
}

export class MailWatcher {
  private readonly byId = new Map<string, SoakEmail>();
  private readonly byAddress = new Map<string, SoakEmail[]>();
  private skip = 0;
  private stopped = false;
  private loop: Promise<void> | null = null;

  constructor(private readonly mailUrl: string) {}

  start(): void {
    this.loop = (async () => {
      while (!this.stopped) {
        await this.poll().catch(() => undefined); // the catcher is down: its outage is one of the faults
        await sleep(1_000);
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  /** The catcher restarted: read everything again (ids already seen are kept once). */
  reread(): void {
    this.skip = 0;
  }

  async poll(): Promise<void> {
    const res = await fetch(`${this.mailUrl}/email?skip=${this.skip}`);
    if (!res.ok) return;
    const mails = (await res.json()) as MailDevEmail[];
    this.skip += mails.length;
    for (const m of mails) {
      if (this.byId.has(m.id)) continue;
      const header = m.headers?.[IDEMPOTENCY_HEADER.toLowerCase()];
      const mail: SoakEmail = {
        id: m.id,
        to: m.to.map((t) => t.address.toLowerCase()),
        subject: m.subject,
        text: m.text ?? '',
        key: (Array.isArray(header) ? header[0] : header) ?? null,
      };
      this.byId.set(m.id, mail);
      for (const address of mail.to) {
        const list = this.byAddress.get(address) ?? [];
        list.push(mail);
        this.byAddress.set(address, list);
      }
    }
  }

  all(): SoakEmail[] {
    return [...this.byId.values()];
  }

  to(address: string): SoakEmail[] {
    return this.byAddress.get(address.toLowerCase()) ?? [];
  }

  /** The newest email to `address` that `match` accepts, once one has arrived; null after `timeoutMs`. */
  async waitFor(address: string, match: (m: SoakEmail) => boolean, timeoutMs: number): Promise<SoakEmail | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.to(address).filter(match);
      if (found.length) return found[found.length - 1]!;
      if (Date.now() > deadline || this.stopped) return null;
      await sleep(500);
    }
  }
}

/** The single-use link's token in an email's text. */
export function tokenIn(text: string, path: string): string | null {
  const m = new RegExp(`${path.replace(/\//g, '\\/')}\\?token=([A-Za-z0-9_-]+)`).exec(text);
  return m?.[1] ?? null;
}
