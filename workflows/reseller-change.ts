// The reseller change (DOMAIN.md X1-X4): code sent → redeemed (the customer moves) | expired after 72 h | locked.
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import {
  CustomerIdKey,
  LifecycleStatusKey,
  redeemCodeUpdate,
  ResellerChangeFailure,
  resellerChangeStateQuery,
  type ResellerChangeInput,
  type ResellerChangeResult,
  type ResellerChangeStatus,
} from './definitions';
import { ChangeLock } from './change-lock';
import { db, email } from './activity-proxies';
import { durationMs } from './duration';

export async function resellerChangeWorkflow(input: ResellerChangeInput): Promise<ResellerChangeResult> {
  const { requestId } = input;
  let status: ResellerChangeStatus = 'issuing';
  let customerId: string | null = null;
  let failedAttempts = 0;
  // One redemption at a time: the second of two simultaneous ones sees the first's outcome.
  const lock = new ChangeLock();
  const expiresAt = Date.now() + durationMs(input.codeTtl);

  const setStatus = (next: ResellerChangeStatus) => {
    status = next;
    upsertSearchAttributes([{ key: LifecycleStatusKey, value: next }]);
  };

  setHandler(resellerChangeStateQuery, () => ({
    requestId,
    status,
    expiresAt: new Date(expiresAt).toISOString(),
    failedAttempts,
  }));
  setHandler(
    redeemCodeUpdate,
    ({ codeHash, actor }) =>
      lock.run(async (): Promise<ResellerChangeResult> => {
        // The admins may hold the code before the activity that sent it has reported back.
        await condition(() => status !== 'issuing');
        const result = await db.redeemResellerChangeCode({ requestId, codeHash, actor });
        if (result.outcome === 'moved') {
          customerId = result.customerId;
          upsertSearchAttributes([{ key: CustomerIdKey, value: result.customerId }]);
          setStatus('redeemed');
          return { requestId, status, customerId };
        }
        if (result.outcome === 'wrong-code') {
          failedAttempts++;
          if (result.attemptsLeft === 0) {
            await db.lockResellerChange({ requestId });
            setStatus('locked');
            throw ApplicationFailure.nonRetryable(
              'Too many wrong codes: this request is locked. Send a new code.',
              ResellerChangeFailure.Locked,
            );
          }
          throw ApplicationFailure.nonRetryable(
            `The code is not valid for this request (${result.attemptsLeft} attempts left).`,
            ResellerChangeFailure.CodeInvalid,
          );
        }
        throw ApplicationFailure.nonRetryable(
          `The code can no longer be used: the request is ${result.status}.`,
          ResellerChangeFailure.NotPending,
        );
      }),
    {
      validator: (_args) => {
        if ((status !== 'pending' && status !== 'issuing') || Date.now() >= expiresAt) {
          throw new Error(
            `The code can no longer be used: the request is ${status === 'pending' ? 'expired' : status}.`,
          );
        }
        lock.assertFree('reseller change');
      },
    },
  );

  await db.issueResellerChangeCode({ requestId, expiresAt: new Date(expiresAt).toISOString() });
  setStatus('pending');

  // X2: the customer's decision raced against the 72 hours; a redemption in flight at the deadline finishes first.
  await condition(() => status !== 'pending', Math.max(expiresAt - Date.now(), 1));
  await condition(() => !lock.busy);
  // Read through a function: TypeScript cannot see that handlers changed `status` meanwhile.
  const current = (): ResellerChangeStatus => status;
  if (current() === 'pending') {
    setStatus('expired');
    await email.expireResellerChange({ requestId });
  } else if (current() === 'redeemed') {
    await email.sendTransferCompletedEmails({ requestId });
  }
  await condition(allHandlersFinished);
  return { requestId, status, customerId };
}
