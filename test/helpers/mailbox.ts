import type { Config } from '../../config';
import { sha256Hex } from '../../lib/hash';

export interface CaughtEmail {
  id: string;
  subject: string;
  to: { address: string; name?: string }[];
  text: string;
  html: string;
  date: string;
}

/** Reads what arrived at the local mail catcher (MailDev) through its HTTP API. */
export class Mailbox {
  constructor(private readonly baseUrl: string) {}

  static fromConfig(config: Config): Mailbox {
    return new Mailbox(config.MAIL_CATCHER_URL);
  }

  async all(): Promise<CaughtEmail[]> {
    const res = await fetch(`${this.baseUrl}/email`);
    if (!res.ok) throw new Error(`mail catcher answered ${res.status}`);
    return (await res.json()) as CaughtEmail[];
  }

  async to(address: string): Promise<CaughtEmail[]> {
    const wanted = address.toLowerCase();
    return (await this.all()).filter((m) => m.to.some((t) => t.address.toLowerCase() === wanted));
  }

  /** Waits until at least `count` emails have arrived for `address`, and returns them in order. */
  async waitFor(address: string, count = 1, timeoutMs = 15_000): Promise<CaughtEmail[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const mails = await this.to(address);
      if (mails.length >= count) return mails.sort((a, b) => a.date.localeCompare(b.date));
      if (Date.now() > deadline) throw new Error(`expected ${count} email(s) to ${address}, got ${mails.length}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** The single-use link in an email's text. */
export function linkIn(mail: CaughtEmail): string {
  const match = mail.text.match(/https?:\/\/\S+token=[A-Za-z0-9_-]+/);
  if (!match) throw new Error(`no link in email "${mail.subject}"`);
  return match[0];
}

/** The token a single-use link carries. */
export const tokenOf = (link: string): string => new URL(link).searchParams.get('token') as string;

/** The hash of a link's token, as the page that receives it computes it (and the workflow stores it). */
export const tokenHashOf = (link: string): string => sha256Hex(tokenOf(link));
