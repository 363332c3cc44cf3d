import { z } from 'zod';
import { pingDatabase } from '../../db/health';
import { type Api, defineRoute, json, reply } from '../http/define-route';
import type { AppDeps } from '../http/deps';
import { OUTAGE_RETRY_AFTER_SECONDS } from '../http/errors';

const Dependency = z.enum(['ok', 'down']);
const Health = z
  .object({
    status: z.enum(['ok', 'degraded']),
    postgres: Dependency,
    temporal: Dependency,
  })
  .meta({ id: 'Health' });

/**
 * A probe's answer within two seconds: "ok" or "down". The reason goes to the log only: error texts name
 * hosts, ports and users, which are not the public's to read.
 */
async function check(probe: () => Promise<unknown>, onDown: (err: unknown) => void): Promise<'ok' | 'down'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error('no answer within 2 s')), 2000);
  });
  try {
    await Promise.race([probe(), timeout]);
    return 'ok';
  } catch (err) {
    onDown(err);
    return 'down';
  } finally {
    clearTimeout(timer);
  }
}

export function healthRoutes(api: Api, { sql, temporal }: AppDeps): void {
  defineRoute(api, {
    method: 'get',
    path: '/healthz',
    summary: 'Whether Postgres and Temporal answer',
    auth: 'public',
    responses: {
      200: json('Healthy', Health),
      503: json('A dependency is down: which one', Health, { 'Retry-After': 'Seconds to wait before asking again' }),
    },
    handler: async ({ req }) => {
      const [postgres, temporalStatus] = await Promise.all([
        check(
          () => pingDatabase(sql),
          (err) => req.log.warn({ err }, 'health: postgres down'),
        ),
        check(
          () => temporal.connection.workflowService.getSystemInfo({}),
          (err) => req.log.warn({ err }, 'health: temporal down'),
        ),
      ]);
      const ok = postgres === 'ok' && temporalStatus === 'ok';
      const body = { status: ok ? ('ok' as const) : ('degraded' as const), postgres, temporal: temporalStatus };
      return ok ? reply(200, body) : reply(503, body, { 'Retry-After': String(OUTAGE_RETRY_AFTER_SECONDS) });
    },
  });
}
