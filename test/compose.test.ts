import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

// Issue 10, compose: the stack docker-compose.yml describes is secure by default. Docker is not run here; the
// file is read as compose reads it (YAML with merge keys), its ${VAR} interpolation checked as text.

const text = readFileSync(path.join(__dirname, '..', 'docker-compose.yml'), 'utf8');
interface Service {
  environment?: Record<string, string>;
  ports?: (string | { host_ip?: string })[];
  profiles?: string[];
  depends_on?: Record<string, unknown>;
}
const compose = parse(text, { merge: true }) as { services: Record<string, Service> };
const services = Object.entries(compose.services);

/** `${NAME:?message}`: compose refuses to start while NAME is unset or empty. */
const required = (name: string) => new RegExp(`\\$\\{${name}:\\?[^}]+\\}`);
/** What `${NAME:-default}` resolves to when NAME is unset. */
const defaultOf = (value: string | undefined) => /^\$\{\w+:-([^}]*)\}$/.exec(value ?? '')?.[1];

describe('issue 10: docker-compose.yml is secure by default', () => {
  it('publishes every port on 127.0.0.1 only (API, Temporal UI and gRPC, mail catcher, Prometheus)', () => {
    const published = services.flatMap(([name, s]) => (s.ports ?? []).map((p) => ({ name, p })));
    expect(published.map((x) => x.name).sort()).toEqual(['api', 'mail', 'prometheus', 'temporal', 'temporal-ui']);
    for (const { name, p } of published) {
      const hostIp = typeof p === 'string' ? p.split(':')[0] : p.host_ip;
      expect({ name, hostIp }).toEqual({ name, hostIp: '127.0.0.1' });
    }
  });

  it('requires every secret (compose\'s "VAR:?" form) and gives none a default', () => {
    for (const app of ['api', 'worker', 'migrate']) {
      const env = compose.services[app]?.environment ?? {};
      expect(env.NODE_ENV).toBe('production');
      for (const name of ['TOKEN_SECRET', 'PAYMENT_WEBHOOK_SECRET', 'SMTP_HOST', 'SMTP_USER', 'SMTP_PASSWORD'])
        expect({ app, name, value: env[name] }).toEqual({ app, name, value: expect.stringMatching(required(name)) });
      expect(env.DATABASE_URL).toMatch(required('POSTGRES_PASSWORD'));
    }
    expect(compose.services.db?.environment?.POSTGRES_PASSWORD).toMatch(required('POSTGRES_PASSWORD'));
    expect(compose.services.postgresql?.environment?.POSTGRES_PASSWORD).toMatch(required('TEMPORAL_POSTGRES_PASSWORD'));
    expect(compose.services.temporal?.environment?.POSTGRES_PWD).toMatch(required('TEMPORAL_POSTGRES_PASSWORD'));
    // Nowhere a secret with a default to fall back on (an empty one, for the optional catcher, is no secret).
    const defaults = [...text.matchAll(/\$\{(\w*(?:SECRET|PASSWORD|PASS|PWD)\w*):-([^}]*)\}/g)];
    expect(defaults.filter((m) => m[2] !== '').map((m) => m[0])).toEqual([]);
    // No literal password either.
    expect(text).not.toMatch(/(PASSWORD|PWD|SECRET): *["']?[\w-]+["']? *$/m);
  });

  it('turns the Temporal UI write actions off unless the operator turns them on', () => {
    const ui = compose.services['temporal-ui']?.environment ?? {};
    const value = ui.TEMPORAL_DISABLE_WRITE_ACTIONS;
    expect(value === 'true' || defaultOf(value) === 'true').toBe(true);
  });

  it("issue 11: Prometheus scrapes the API's and the worker's metrics ports, which are not published", () => {
    const prometheus = compose.services.prometheus as Service & { image?: string; volumes?: string[] };
    expect(prometheus.image).toMatch(/^prom\/prometheus:v\d+\.\d+\.\d+$/);
    expect(prometheus.volumes).toContain('./deploy/prometheus.yml:/etc/prometheus/prometheus.yml:ro');
    const scrape = parse(readFileSync(path.join(__dirname, '..', 'deploy', 'prometheus.yml'), 'utf8')) as {
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    };
    const targets = Object.fromEntries(
      scrape.scrape_configs.map((c) => [c.job_name, c.static_configs.flatMap((s) => s.targets)]),
    );
    const env = compose.services.api?.environment ?? {};
    expect(targets).toEqual({ api: [`api:${env.API_METRICS_PORT}`], worker: [`worker:${env.WORKER_METRICS_PORT}`] });
    expect(compose.services.worker?.environment).toEqual(env);
    // Listening where Prometheus reaches them, yet on no host port (the API publishes its own port only).
    expect(env.METRICS_HOST).toBe('0.0.0.0');
    expect(compose.services.api?.ports).toEqual(['127.0.0.1:3000:3000']);
    expect(compose.services.worker?.ports).toBeUndefined();
  });

  it('starts the mail catcher only on request, and nothing depends on it', () => {
    expect(compose.services.mail?.profiles).toEqual(['mail-catcher']);
    for (const [name, s] of services)
      expect({ name, dependsOnMail: 'mail' in (s.depends_on ?? {}) }).toEqual({
        name,
        dependsOnMail: false,
      });
  });
});
