// The soak's verdict on each lifecycle, from what the database and the Temporal server hold at the end: reached the
// outcome it was driven to, lost (the API took it but no run or no row is left), failed (the run failed or was
// refused on the way), or stuck (still short of its outcome; visible when the run says NeedsAttention).
import type { SoakRows } from '../db/soak-checks';
import type { Driven, Kind } from './lifecycles';

export type Verdict = 'reached' | 'lost' | 'failed' | 'stuck';

/** What the Temporal server says of a run: its execution status name, and whether it waits for support. */
export interface RunView {
  status:
    | 'RUNNING'
    | 'COMPLETED'
    | 'CONTINUED_AS_NEW'
    | 'FAILED'
    | 'CANCELLED'
    | 'TERMINATED'
    | 'TIMED_OUT'
    | 'NOT_FOUND';
  needsAttention: boolean;
}

export interface Terms {
  /** A trial's configured length: an extended one ends later than this after it was created. */
  trialLengthMs: number;
}

/** Whether the rows show the outcome `d` was driven to. */
export function reached(d: Driven, rows: SoakRows, terms: Terms): boolean {
  const id = d.id!;
  const order = rows.orders.get(id);
  const is: Record<Kind, () => boolean> = {
    'invitation.accepted': () => rows.customers.get(id)?.invitationStatus === 'accepted',
    'invitation.pending': () => rows.customers.get(id)?.invitationStatus === 'pending',
    'trial.extended': () =>
      order?.kind === 'trial' &&
      !!order.trialEndsAt &&
      order.trialEndsAt.getTime() - order.createdAt.getTime() > terms.trialLengthMs + 1_000,
    'trial.converted': () => order?.kind === 'order',
    'order.activated': () => order?.status === 'active',
    // O5: deleted before activation; the row goes, the customer stays.
    'order.deleted': () => order === undefined,
    'billing.suspended': () => rows.billing.get(id)?.suspendAtCycleEnd === true,
    'billing.stopped': () => rows.billing.get(id)?.entitlement === 'stopped',
    'pa.paid_late': () => {
      const pa = rows.purchaseAuthorizations.get(id);
      return pa?.status === 'paid' && pa.overdueAt !== null;
    },
    'pa.never_paid': () => rows.purchaseAuthorizations.get(id)?.status === 'deactivated',
    'reseller_change.redeemed': () =>
      rows.resellerChanges.get(id)?.status === 'redeemed' &&
      rows.customers.get(rows.resellerChanges.get(id)?.customerId ?? '')?.resellerId === d.resellerId,
    'reseller_change.expired': () => rows.resellerChanges.get(id)?.status === 'expired',
  };
  return is[d.kind]();
}

/** Whether the lifecycle's own row is there (a deleted order's is gone by design). */
function rowExists(d: Driven, rows: SoakRows): boolean {
  const id = d.id!;
  if (d.kind.startsWith('invitation.')) return rows.customers.has(id);
  if (d.kind === 'order.deleted') return true;
  if (d.kind.startsWith('trial.') || d.kind.startsWith('order.') || d.kind.startsWith('billing.'))
    return rows.orders.has(id);
  if (d.kind.startsWith('pa.')) return rows.purchaseAuthorizations.has(id);
  return rows.resellerChanges.has(id);
}

const WAITED = /^(no |timed out)/;
const FAILED_RUN = new Set<RunView['status']>(['FAILED', 'CANCELLED', 'TERMINATED', 'TIMED_OUT']);

export function verdictOf(d: Driven, rows: SoakRows, run: RunView, terms: Terms): Verdict {
  // The API refused the create for good: the engine failed the portal.
  if (d.id === null) return 'failed';
  if (FAILED_RUN.has(run.status)) return 'failed';
  if (reached(d, rows, terms)) return 'reached';
  // Refused on the way (an answer the driver did not expect), rather than left waiting (an email that never came,
  // a state never reached, where a billing run may not have started yet).
  if (d.driverError && !WAITED.test(d.driverError)) return 'failed';
  if (!rowExists(d, rows) || (run.status === 'NOT_FOUND' && !d.driverError)) return 'lost';
  return 'stuck';
}
