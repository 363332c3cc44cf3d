import { z } from 'zod';
import { pingDatabase } from '../../db/health';
import { type Api, defineRoute, json, reply } from '../http/define-route';
import type { AppDeps } from '../http/deps';

const Health = z
  .object({
    status: z.enum(['ok', 'degraded']),
    postgres: z.string().meta({ description: '"ok", or "down: <reason>"' }),
    temporal: z.string().meta({ description: '"ok", or "down: <reason>"' }),
  })
  .meta({ id: 'Health' });

/** A probe's answer within two seconds: "ok", or why not. */
async function check(probe: () => Promise<unknown>): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), 2000);
  });
  try {
    await Promise.race([probe(), timeout]);
    return 'ok';
  } catch (err) {
    return `down: ${(err as Error).message}`;
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
    responses: { 200: json('Healthy', Health), 503: json('A dependency is down', Health) },
    handler: async () => {
      const [postgres, temporalStatus] = await Promise.all([
        check(() => pingDatabase(sql)),
        check(() => temporal.connection.workflowService.getSystemInfo({})),
      ]);
      const ok = postgres === 'ok' && temporalStatus === 'ok';
      const body = { status: ok ? ('ok' as const) : ('degraded' as const), postgres, temporal: temporalStatus };
      return ok ? reply(200, body) : reply(503, body);
    },
  });
}
