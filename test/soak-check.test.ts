// The chaos soak's verdicts (soak/check.ts): what counts as reached, lost, failed and stuck. The soak itself runs
// with `npm run soak`, not here; these are the definitions its exit code rests on.
import type { SoakRows } from '../db/soak-checks';
import { type RunView, verdictOf } from '../soak/check';
import type { Driven } from '../soak/lifecycles';

const terms = { trialLengthMs: 30 * 60_000 };
const running: RunView = { status: 'RUNNING', needsAttention: false };

function rows(partial: Partial<SoakRows> = {}): SoakRows {
  return {
    customers: new Map(),
    orders: new Map(),
    billing: new Map(),
    purchaseAuthorizations: new Map(),
    resellerChanges: new Map(),
    ...partial,
  };
}

describe('soak verdicts', () => {
  it('issue 11: a PA paid late is reached only when paid after it went overdue', () => {
    const d: Driven = { kind: 'pa.paid_late', id: 'pa1', workflowId: 'purchase-authorization:pa1' };
    const paid = (overdueAt: Date | null) =>
      rows({ purchaseAuthorizations: new Map([['pa1', { status: 'paid', overdueAt }]]) });
    expect(verdictOf(d, paid(new Date()), running, terms)).toBe('reached');
    expect(verdictOf(d, paid(null), running, terms)).toBe('stuck');
  });

  it('issue 11: a run the server does not know, or a row that is gone, is lost; a failed run is failed', () => {
    const d: Driven = { kind: 'invitation.accepted', id: 'c1', workflowId: 'invitation:c1' };
    const accepted = rows({ customers: new Map([['c1', { invitationStatus: 'accepted', resellerId: 'r1' }]]) });
    expect(verdictOf(d, rows(), running, terms)).toBe('lost');
    expect(
      verdictOf(
        d,
        rows({ customers: new Map([['c1', { invitationStatus: 'pending', resellerId: 'r1' }]]) }),
        { status: 'NOT_FOUND', needsAttention: false },
        terms,
      ),
    ).toBe('lost');
    expect(verdictOf(d, accepted, { status: 'TERMINATED', needsAttention: false }, terms)).toBe('failed');
    // A create the API refused for good never got an id.
    expect(verdictOf({ ...d, id: null, workflowId: null, driverError: 'create: 400' }, rows(), running, terms)).toBe(
      'failed',
    );
  });

  it('issue 11: short of its outcome is stuck when left waiting, failed when an answer refused the driver', () => {
    const d: Driven = { kind: 'order.activated', id: 'o1', workflowId: 'order:o1' };
    const pending = rows({
      orders: new Map([
        ['o1', { kind: 'order', status: 'pending_activation', trialEndsAt: null, createdAt: new Date() }],
      ]),
    });
    expect(verdictOf({ ...d, driverError: 'no activation email arrived' }, pending, running, terms)).toBe('stuck');
    expect(verdictOf({ ...d, driverError: 'activate: 409 {}' }, pending, running, terms)).toBe('failed');
  });

  it('O5: a deleted order is reached when its row is gone', () => {
    const d: Driven = { kind: 'order.deleted', id: 'o2', workflowId: 'order:o2' };
    expect(verdictOf(d, rows(), { status: 'COMPLETED', needsAttention: false }, terms)).toBe('reached');
  });
});
