import type { Sql } from '../db';
import { recordSupportAction, type SupportAction } from '../db/audit';

/** T4: what support staff did to a lifecycle's failed step, in the audit trail. */
export function createSupportActivities({ sql }: { sql: Sql }) {
  return {
    async recordSupportAction(action: SupportAction): Promise<void> {
      await recordSupportAction(sql, action);
    },
  };
}
