// The one audit writer: who changed what and when (O6, T2, T4). Every change a lifecycle makes writes its
// event in the same transaction as the change.
import type { Sql, Tx } from './index';

export type AuditEntity =
  | 'customer'
  | 'order'
  | 'subscription'
  | 'purchase_authorization'
  | 'billing_subscription'
  | 'reseller_change'
  | 'renewal'
  | 'invoice'
  | 'lifecycle'
  | 'reseller_user'
  | 'api_key'
  | 'webhook_endpoint';

export interface AuditEvent {
  resellerId: string;
  entityType: AuditEntity;
  entityId: string;
  action: string;
  actor: string;
  before?: unknown;
  after?: unknown;
}

export async function recordAudit(tx: Sql | Tx, e: AuditEvent): Promise<void> {
  const json = (v: unknown) => (v === undefined || v === null ? null : tx.json(v as never));
  await tx`INSERT INTO audit_events (reseller_id, entity_type, entity_id, action, actor, before, after)
           VALUES (${e.resellerId}, ${e.entityType}, ${e.entityId}, ${e.action}, ${e.actor},
                   ${json(e.before)}, ${json(e.after)})`;
}

/** What happened to an entity: the action, who did it, and its state before and after. */
export type AuditChange = Omit<AuditEvent, 'resellerId' | 'entityType' | 'entityId'>;

/** The change of one field, as an event records it: `fieldChange('users', 5, 8)`. */
export const fieldChange = (field: string, before: unknown, after: unknown): Pick<AuditEvent, 'before' | 'after'> => ({
  before: { [field]: before },
  after: { [field]: after },
});

/** The audit writer of one kind of entity: its events filed under the reseller that owns the entity now. */
function auditOf(entityType: AuditEntity) {
  return (tx: Sql | Tx, resellerId: string, entityId: string, change: AuditChange): Promise<void> =>
    recordAudit(tx, { resellerId, entityType, entityId, ...change });
}

export const auditCustomer = auditOf('customer');
export const auditOrder = auditOf('order');
export const auditPurchaseAuthorization = auditOf('purchase_authorization');
export const auditSubscription = auditOf('subscription');
export const auditResellerUser = auditOf('reseller_user');

/** T4: a support user retried or skipped a failed step; audited against the lifecycle's entity. */
export interface SupportAction {
  workflowId: string;
  customerId: string | null;
  resellerId: string | null;
  lifecycle: string;
  entityType: string;
  entityId: string;
  step: string;
  action: 'retry' | 'skip';
  actor: string;
  reason: string | null;
  error: string | null;
  correction: unknown;
}

export async function recordSupportAction(sql: Sql, a: SupportAction): Promise<void> {
  // The customer's current owner (one owner per customer), else the reseller the lifecycle was started for.
  const customerId = a.customerId ?? (a.entityType === 'customer' ? a.entityId : null);
  const [owner] = customerId
    ? await sql<{ resellerId: string }[]>`SELECT reseller_id FROM customers WHERE id = ${customerId}`
    : [];
  // A lifecycle started with no tenant at all (a test starting one by hand) is audited as the operator's.
  const resellerId = owner?.resellerId ?? a.resellerId ?? '00000000-0000-0000-0000-000000000000';
  await recordAudit(sql, {
    resellerId,
    entityType: a.entityType as AuditEntity,
    entityId: a.entityId,
    action: `support.${a.action}`,
    actor: a.actor,
    before: { step: a.step, error: a.error },
    after: { workflowId: a.workflowId, lifecycle: a.lifecycle, reason: a.reason, correction: a.correction },
  });
}
