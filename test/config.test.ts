import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { loadConfig } from '../config';

// Issue 10, secrets: in production nothing runs on a default written in the repository.

const ROOT = path.join(__dirname, '..');
const secret = () => randomBytes(32).toString('hex');
/** A production environment that passes: random secrets, a real relay. */
const production = (overrides: Record<string, string | undefined> = {}) => ({
  NODE_ENV: 'production',
  TOKEN_SECRET: secret(),
  PAYMENT_WEBHOOK_SECRET: secret(),
  SMTP_HOST: 'smtp.relay.example',
  ...overrides,
});
/** The message loadConfig refuses `env` with. */
function refusal(env: Record<string, string | undefined>): string {
  try {
    loadConfig(env);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('loadConfig accepted the configuration');
}

describe('issue 10: secrets in production', () => {
  it('refuses to start without secrets, naming TOKEN_SECRET and PAYMENT_WEBHOOK_SECRET', () => {
    const message = refusal({ NODE_ENV: 'production', SMTP_HOST: 'smtp.relay.example' });
    expect(message).toMatch(/^Invalid configuration/);
    expect(message).toMatch(/TOKEN_SECRET: is not set/);
    expect(message).toMatch(/PAYMENT_WEBHOOK_SECRET: is not set/);
  });

  it('refuses a secret shorter than 32 bytes', () => {
    const message = refusal(production({ TOKEN_SECRET: 'x'.repeat(31) }));
    expect(message).toMatch(/TOKEN_SECRET: is shorter than 32 bytes/);
    expect(message).not.toMatch(/PAYMENT_WEBHOOK_SECRET/);
  });

  it('refuses the development defaults, those of docker-compose.yml included', () => {
    const dev = loadConfig({ NODE_ENV: 'development' });
    expect(refusal(production({ TOKEN_SECRET: dev.TOKEN_SECRET }))).toMatch(/TOKEN_SECRET: .*development default/);
    expect(refusal(production({ PAYMENT_WEBHOOK_SECRET: dev.PAYMENT_WEBHOOK_SECRET }))).toMatch(
      /PAYMENT_WEBHOOK_SECRET: .*development default/,
    );
    expect(refusal(production({ TOKEN_SECRET: 'change-me-in-production-please' }))).toMatch(/TOKEN_SECRET/);
    expect(refusal(production({ DATABASE_URL: 'postgres://postgres:postgres@db:5432/reseller' }))).toMatch(
      /DATABASE_URL: its password is a development default/,
    );
  });

  it('needs an SMTP password when an SMTP user is set, and a relay that is not the local mail catcher', () => {
    expect(refusal(production({ SMTP_USER: 'apikey' }))).toMatch(/SMTP_PASSWORD: is not set/);
    expect(refusal(production({ SMTP_USER: 'apikey', SMTP_PASSWORD: 'short' }))).toMatch(/SMTP_PASSWORD: is shorter/);
    for (const host of ['127.0.0.1', 'localhost', '::1', '[::1]', '127.0.0.53', 'mail.localhost'])
      expect(refusal(production({ SMTP_HOST: host }))).toMatch(/SMTP_HOST: .*real SMTP relay/);
    expect(refusal({ NODE_ENV: 'production', TOKEN_SECRET: secret(), PAYMENT_WEBHOOK_SECRET: secret() })).toMatch(
      /SMTP_HOST/,
    );
  });

  it('accepts random secrets and a real relay; development and tests keep their defaults', () => {
    const config = loadConfig(production({ SMTP_USER: 'apikey', SMTP_PASSWORD: secret() }));
    expect(config.NODE_ENV).toBe('production');
    expect(config.SMTP_HOST).toBe('smtp.relay.example');
    expect(loadConfig({ NODE_ENV: 'test' }).TOKEN_SECRET).toBe(loadConfig({}).TOKEN_SECRET);
    expect(loadConfig({ NODE_ENV: 'development' }).SMTP_HOST).toBe('127.0.0.1');
  });
});

/** Runs `entry` as production runs it, with no secrets; its exit code, stderr, stdout and time taken. */
function startInProduction(entry: string) {
  return new Promise<{ code: number | null; stderr: string; stdout: string; ms: number }>((resolve, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', entry], {
      cwd: ROOT,
      // Nothing inherited but the PATH: not the test run's database, Temporal or secrets.
      env: { PATH: process.env.PATH, NODE_ENV: 'production' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(killer);
      resolve({ code, stderr, stdout, ms: Date.now() - started });
    });
  });
}

describe('issue 10: the API and the worker started in production without secrets', () => {
  it.each(['api/main.ts', 'worker/main.ts'])('%s exits 1 within seconds, naming TOKEN_SECRET', async (entry) => {
    const { code, stderr, stdout, ms } = await startInProduction(entry);
    expect(code).toBe(1);
    expect(ms).toBeLessThan(10_000);
    expect(stderr).toMatch(/^Invalid configuration:\n {2}TOKEN_SECRET: is not set/);
    // Plainly: the variables, not a stack trace; and before listening or connecting to anything.
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(stdout).toBe('');
  });
});
