import { z } from 'zod';
import type { Sql } from '../../db';
import type { Principal } from '../../db/api-keys';
import { type AuditEvent, auditTrail } from '../../db/orders';
import { type Api, defineRoute, json, reply } from './define-route';
import { IdParam, isoTime } from './schemas';

/** O6: who changed what and when. */
export const AuditTrail = z
  .object({
    data: z.array(
      z.object({
        id: z.string(),
        entityType: z.string(),
        entityId: z.string(),
        action: z.string(),
        actor: z.string(),
        before: z.unknown(),
        after: z.unknown(),
        at: isoTime,
      }),
    ),
  })
  .meta({ id: 'AuditTrail' });

export const auditJson = (events: AuditEvent[]): z.infer<typeof AuditTrail> => ({
  data: events.map((e) => ({ ...e, at: e.at.toISOString() })),
});

/**
 * O6: `GET <path>`, the audit trail of one of the caller's resources, named by `{id}`: who changed what and
 * when, oldest first.
 */
export function defineAuditRoute<Row extends { resellerId: string }>(
  api: Api,
  sql: Sql,
  spec: {
    path: string;
    summary: string;
    own: (principal: Principal, id: string) => Promise<Row>;
    trailOf: (row: Row) => { orderId: string } | { customerId: string };
  },
): void {
  defineRoute(api, {
    method: 'get',
    path: spec.path,
    summary: spec.summary,
    params: IdParam,
    responses: { 200: json('Who changed what and when, oldest first', AuditTrail) },
    handler: async ({ principal, params }) => {
      const row = await spec.own(principal, params.id);
      return reply(200, auditJson(await auditTrail(sql, row.resellerId, spec.trailOf(row))));
    },
  });
}
