// The reseller change (DOMAIN.md X1-X4): code sent → redeemed (the customer moves) | expired after 72 h | locked.
// Temporal cost, "reseller change redeemed" (X1 X2: requested through the API, the emailed code redeemed in time),
// counted by hand:
//   started 1; 9 workflow tasks 27; 6 activities (store the code, email the admins, tell the requester, redeem,
//   announce, find the customer's lifecycles) 18; 3 upserts (pending; CustomerId and redeemed, one after the other) 3;
//   the 72 h timer started+cancelled 2; redeem update 2; ownerChanged signal to the (ended) invitation initiated+failed
//   2; completed 1 = 56 events; actions: start 1 + activities 6 + upserts 3 + timer 1 + update 1 + signal 1 = 13.
//   One upsert for CustomerId and the status, and no signal to an ended run, would make it 50 events, 11 actions.
//
// Budget = the count + 3 events, + 1 action: room for one workflow task more (a step's answer arriving on its own
// rather than folded into a task), not for another step: a new step changes the count here first.
import { condition, upsertSearchAttributes } from '@temporalio/workflow';
import {
  CustomerIdKey,
  redeemCodeUpdate,
  ResellerChangeFailure,
  type ResellerChangeInput,
  type ResellerChangeResult,
  type ResellerChangeState,
  type ResellerChangeStatus,
  resellerChangeStateQuery,
} from './definitions';
import { durationMs } from './duration';
import { Lifecycle } from './kernel';
import { customerLifecycleIds, tellNewOwner } from './owner-change';

/** The counts by hand above (history events, billable actions), and the budgets a test holds the paths to. */
export const HISTORY_BUDGET = {
  redeemed: { minimum: { events: 56, actions: 13 }, budget: { events: 59, actions: 14 } },
};

export async function resellerChangeWorkflow(input: ResellerChangeInput): Promise<ResellerChangeResult> {
  const { requestId } = input;
  const lc = new Lifecycle({
    name: 'reseller-change',
    status: 'issuing' as ResellerChangeStatus,
    failures: ResellerChangeFailure,
    entity: { type: 'reseller_change', id: requestId },
  });
  let customerId: string | null = null;
  let failedAttempts = 0;
  const expiresAt = Date.now() + durationMs(input.codeTtl);

  const state = (): ResellerChangeState => ({
    requestId,
    status: lc.status,
    expiresAt: new Date(expiresAt).toISOString(),
    failedAttempts,
    customerId,
    incident: lc.incident,
  });
  const result = (): ResellerChangeResult => ({ requestId, status: lc.status, customerId });

  const assertRedeemable = () => {
    if (lc.status === 'issuing') {
      lc.refuse('The code is still being sent; try again in a moment.', ResellerChangeFailure.NotPending);
    }
    if (lc.status !== 'pending' || Date.now() >= expiresAt) {
      const now = lc.status === 'pending' ? 'expired' : lc.status;
      lc.refuse(`The code can no longer be used: the request is ${now}.`, ResellerChangeFailure.NotPending);
    }
  };

  lc.query(resellerChangeStateQuery, state);
  // X2: one redemption at a time (the kernel's lock): the second of two simultaneous ones sees the first's outcome.
  lc.update(
    redeemCodeUpdate,
    async (step, { codeHash, actor }) => {
      // Two redemptions validated in the same instant both pass the validator: the second sees the first's outcome.
      assertRedeemable();
      const outcome = await step('redeem the code', () =>
        lc.db.redeemResellerChangeCode({ requestId, codeHash, actor }),
      );
      if (outcome.outcome === 'moved') {
        customerId = outcome.customerId;
        upsertSearchAttributes([{ key: CustomerIdKey, value: outcome.customerId }]);
        lc.setStatus('redeemed');
        return result();
      }
      if (outcome.outcome === 'wrong-code') {
        failedAttempts++;
        if (outcome.attemptsLeft === 0) {
          await step('lock the request', () => lc.db.lockResellerChange({ requestId }));
          lc.setStatus('locked');
          lc.refuse('Too many wrong codes: this request is locked. Send a new code.', ResellerChangeFailure.Locked);
        }
        lc.refuse(
          `The code is not valid for this request (${outcome.attemptsLeft} attempts left).`,
          ResellerChangeFailure.CodeInvalid,
        );
      }
      return lc.refuse(
        `The code can no longer be used: the request is ${outcome.outcome === 'not-pending' ? outcome.status : 'gone'}.`,
        ResellerChangeFailure.NotPending,
      );
    },
    ({ codeHash }) => {
      assertRedeemable();
      if (!/^[0-9a-f]{64}$/.test(codeHash)) {
        lc.refuse('The code is not valid for this request.', ResellerChangeFailure.CodeInvalid);
      }
    },
  );

  // X1: the code is stored before anyone holds it, then emailed; the requester hears the same either way.
  await lc.step('match the customer and store the code', () =>
    lc.db.issueResellerChangeCode({ requestId, expiresAt: new Date(expiresAt).toISOString() }),
  );
  lc.setStatus('pending');
  const pending = () => lc.status !== 'pending';
  await lc.step('email the code to the admins', () => lc.email.sendResellerChangeCodeEmails({ requestId }), {
    skip: () => ({ sent: 0 }),
    moot: pending,
  });
  await lc.step('tell the requester', () => lc.email.sendResellerChangeReceivedEmail({ requestId }), {
    skip: () => undefined,
  });

  // X2: the customer's decision raced against the 72 hours; a redemption in flight at the deadline finishes first.
  await condition(() => lc.status !== 'pending', Math.max(expiresAt - Date.now(), 1));
  await lc.settled();
  if (lc.status === 'pending') {
    await lc.step('expire the request', () => lc.db.expireResellerChange({ requestId }));
    lc.setStatus('expired');
    // X3: the requester may send a new code.
    await lc.step('tell the requester the code expired', () => lc.email.sendResellerChangeExpiredEmail({ requestId }), {
      skip: () => undefined,
    });
  } else if (lc.status === 'redeemed' && customerId) {
    await lc.step('announce the completed change', () => lc.email.sendTransferCompletedEmails({ requestId }), {
      skip: () => undefined,
    });
    const keys = await lc.step("find the customer's lifecycles", () =>
      lc.db.customerLifecycleKeys({ customerId: customerId as string }),
    );
    await tellNewOwner(customerLifecycleIds(customerId, keys), input.newResellerId);
  }
  await lc.finish();
  return result();
}
