// What orders and trials share: placing the order, the activation email, and the activation and
// deletion updates (DOMAIN.md O4, O5, O7). Each lifecycle file adds its own waiting.
import { condition, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { db, email } from './activity-proxies';
import { ChangeLock } from './change-lock';
import {
  activateLicenseUpdate,
  deleteOrderUpdate,
  LifecycleStatusKey,
  orderPlacedUpdate,
  orderStateQuery,
  type OrderInput,
  type OrderState,
  type OrderStatus,
} from './definitions';

export class LicenseLifecycle {
  status: OrderStatus = 'placing';
  serialNumber: string | null = null;
  trialEndsAt: number | null = null;
  /** One change at a time: every update awaits an activity. */
  readonly lock = new ChangeLock();

  constructor(readonly input: OrderInput) {
    setHandler(orderStateQuery, () => this.state());
    setHandler(orderPlacedUpdate, async () => {
      await condition(() => this.serialNumber !== null);
      return this.state();
    });
    setHandler(
      activateLicenseUpdate,
      ({ tokenHash }) =>
        this.exclusive(async () => {
          await db.activateLicense({ orderId: input.orderId, tokenHash });
          this.setStatus('active');
        }),
      { validator: (_a) => this.assertChangeable(['pending_activation']) },
    );
    setHandler(
      deleteOrderUpdate,
      ({ actor }) =>
        this.exclusive(async () => {
          await db.deleteOrder({ orderId: input.orderId, actor });
          this.setStatus('deleted');
        }),
      {
        validator: (_a) =>
          this.assertChangeable(
            ['pending_activation'],
            'The license has been activated, so the order can no longer be deleted (O5).',
          ),
      },
    );
  }

  state(): OrderState {
    return {
      orderId: this.input.orderId,
      kind: this.input.kind,
      status: this.status,
      serialNumber: this.serialNumber,
      trialEndsAt: this.trialEndsAt === null ? null : new Date(this.trialEndsAt).toISOString(),
    };
  }

  setStatus(next: OrderStatus): void {
    this.status = next;
    upsertSearchAttributes([{ key: LifecycleStatusKey, value: next }]);
  }

  assertChangeable(allowed: OrderStatus[], reason?: string): void {
    if (!allowed.includes(this.status))
      throw new Error(reason ?? `The ${this.input.kind} is ${this.status.replace('_', ' ')}.`);
    this.lock.assertFree(this.input.kind);
  }

  async exclusive(change: () => Promise<void>): Promise<OrderState> {
    await this.lock.run(change);
    return this.state();
  }

  /** O1-O4: store the order with its license, then email the activation instructions. */
  async place(): Promise<void> {
    const placed = await db.placeOrder({
      input: this.input,
      trialEndsAt: this.trialEndsAt === null ? null : new Date(this.trialEndsAt).toISOString(),
    });
    this.serialNumber = placed.serialNumber;
    this.setStatus('pending_activation');
    await email.sendActivationEmail({ orderId: this.input.orderId, key: `${workflowInfo().workflowId}/activation` });
  }

  /** Waits until no update is running, so a decision taken now is not overtaken by one in flight. */
  settled(): Promise<void> {
    return condition(() => !this.lock.busy);
  }
}
