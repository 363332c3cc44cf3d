// What orders and trials share, on the lifecycle kernel: placing the order, the activation email, the
// activation, deletion and driver-swap updates (DOMAIN.md O4-O7), and what follows an order's activation:
// its billing (a SaaS order's billing run, a perpetual order's one invoice) and its driver changes' invoices.
import { condition, makeContinueAsNewFunc, workflowInfo } from '@temporalio/workflow';
import { iso } from '../lib/dates';
import type { billingWorkflow } from './billing';
import {
  activateLicenseUpdate,
  type BillingInput,
  billingWorkflowId,
  configureOrderUpdate,
  deleteOrderUpdate,
  type OrderCarry,
  OrderFailure,
  type OrderFailureType,
  type OrderInput,
  type OrderKind,
  type OrderState,
  type OrderStatus,
  orderPlacedUpdate,
  orderStateQuery,
} from './definitions';
import { Lifecycle, startLifecycle } from './kernel';
import type { orderWorkflow } from './order';
import { ensureRenewal } from './renewal-start';

export class LicenseLifecycle {
  readonly lc: Lifecycle<OrderStatus, OrderFailureType>;
  serialNumber: string | null = null;
  trialEndsAt: number | null = null;
  /** 'order' once a trial is converted. */
  kind: OrderKind;
  convertedAt: number | null = null;
  /** O6: driver changes whose invoicing the main flow still owes (adjustment ids). */
  readonly pendingAdjustments: string[] = [];
  private readonly orderId: string;

  constructor(
    readonly input: OrderInput,
    name: 'order' | 'trial',
  ) {
    this.orderId = input.orderId;
    this.kind = input.kind;
    const lc = new Lifecycle({
      name,
      status: 'placing' as OrderStatus,
      opening: 'placing',
      failures: OrderFailure,
      entity: { type: 'order', id: input.orderId },
    });
    this.lc = lc;
    const { orderId } = input;
    if (input.continued) {
      lc.status = input.continued.status;
      this.serialNumber = input.continued.serialNumber;
      this.convertedAt = input.continued.convertedAt === null ? null : Date.parse(input.continued.convertedAt);
      this.kind = 'order';
      this.pendingAdjustments.push(...input.continued.pendingAdjustments);
    }

    lc.query(orderStateQuery, () => this.state());
    // Not a change: answers once the order and its license are stored.
    lc.answerWhen(
      orderPlacedUpdate,
      () => this.serialNumber !== null,
      () => this.state(),
    );
    // O4/O7: the customer's emailed link; after a trial's conversion too, until activated.
    lc.transition(activateLicenseUpdate, 'active', {
      step: 'activate the license',
      call: ({ tokenHash }) => lc.db.activateLicense({ orderId, tokenHash }),
      validate: () => this.assertPending('The license is already activated.'),
    });
    // O5: deletable until the license is activated, whether or not a trial was converted.
    lc.transition(deleteOrderUpdate, 'deleted', {
      step: 'delete the order',
      call: ({ actor }) => lc.db.deleteOrder({ orderId, actor }),
      validate: () => this.assertPending('The license has been activated, so the order can no longer be deleted (O5).'),
    });
    // O6 "configure": the drivers change now; the adjustment is invoiced once (activities/billing.ts).
    lc.update(
      configureOrderUpdate,
      async (step, { drivers, actor }) => {
        const made = await step('swap the drivers', () =>
          lc.db.configureOrder({ orderId, drivers, actor, at: new Date().toISOString() }),
        );
        if (made.adjustmentId !== null) this.pendingAdjustments.push(made.adjustmentId);
        return { ...this.state(), adjustment: { amountMinor: made.adjustmentMinor, currency: made.currency } };
      },
      ({ drivers, actor }) => {
        if (lc.status !== 'pending_activation' && lc.status !== 'active')
          lc.refuse(`The ${this.kind} is ${lc.status}; its drivers can no longer change.`, OrderFailure.NotChangeable);
        if (!Array.isArray(drivers) || drivers.length === 0 || new Set(drivers).size !== drivers.length)
          lc.refuse('drivers: choose at least one printer or cutter, each once.', OrderFailure.Invalid);
        if (!/^user:[0-9a-f-]{36}$/i.test(actor))
          lc.refuse('A driver swap is made by a reseller user (actor "user:<id>").', OrderFailure.Invalid);
      },
    );
  }

  get status(): OrderStatus {
    return this.lc.status;
  }

  state(): OrderState {
    return {
      orderId: this.orderId,
      kind: this.kind,
      status: this.lc.status,
      serialNumber: this.serialNumber,
      trialEndsAt: iso(this.trialEndsAt),
      convertedAt: iso(this.convertedAt),
      incident: this.lc.incident,
    };
  }

  /** Only a license not yet activated may be activated or deleted. */
  private assertPending(whenActive: string): void {
    if (this.lc.status === 'active') this.lc.refuse(whenActive, OrderFailure.AlreadyActivated);
    if (this.lc.status !== 'pending_activation')
      this.lc.refuse(`The ${this.kind} is ${this.lc.status.replace('_', ' ')}.`, OrderFailure.NotChangeable);
  }

  private key(name: string): string {
    return `${workflowInfo().workflowId}/${name}`;
  }

  /** O1-O4: store the order with its license (the lifecycle needs it), then email the activation instructions. */
  async place(): Promise<void> {
    const placed = await this.lc.store('store the order and its license', (a) =>
      a.placeOrder({
        input: this.input,
        trialEndsAt: this.trialEndsAt === null ? null : new Date(this.trialEndsAt).toISOString(),
      }),
    );
    this.serialNumber = placed.serialNumber;
    this.lc.setStatus('pending_activation');
    if (this.input.kind === 'order') await this.ensureRenewal();
    await this.lc.step(
      'send the activation email',
      () => this.lc.email.sendActivationEmail({ orderId: this.orderId, key: this.key('activation') }),
      // Activated or deleted meanwhile: the email is no longer needed.
      { skip: () => 'skipped' as const, moot: () => this.lc.status !== 'pending_activation' },
    );
  }

  /** C5/R1: the customer's anniversary may just have been set (a trigger sets it): its renewal run starts once. */
  async ensureRenewal(): Promise<void> {
    await ensureRenewal(this.lc, this.input.customerId);
  }

  /**
   * An order (or a converted trial) from here on: waits for the activation (or the deletion); once active its
   * billing starts by itself, and it stays to serve driver swaps and invoice them. Returns when deleted.
   */
  async serveOrder(): Promise<void> {
    if (!this.input.continued) {
      await condition(() => this.lc.status === 'active' || this.lc.status === 'deleted');
      if (this.lc.status === 'deleted') return;
      await this.startBilling();
    }
    for (;;) {
      await condition(() => this.pendingAdjustments.length > 0 || workflowInfo().continueAsNewSuggested);
      const adjustmentId = this.pendingAdjustments[0];
      if (adjustmentId !== undefined) {
        await this.invoice('invoice the driver change', `adjustment/${adjustmentId}`, () =>
          this.lc.db.invoiceDriverChange({ orderId: this.orderId, adjustmentId }),
        );
        this.pendingAdjustments.shift();
        continue;
      }
      // Every driver swap grows the history: the next run carries only what it needs, as an order.
      await this.lc.exclusive(async () => {
        await this.lc.finish();
        const carry: OrderCarry = {
          status: this.lc.status,
          serialNumber: this.serialNumber as string,
          convertedAt: this.state().convertedAt,
          pendingAdjustments: [...this.pendingAdjustments],
        };
        await makeContinueAsNewFunc<typeof orderWorkflow>({ workflowType: 'orderWorkflow' })({
          ...this.input,
          kind: 'order',
          continued: carry,
        });
      });
    }
  }

  /**
   * B1/S1: an activated order starts its billing by itself: a SaaS order its billing run (a child that outlives
   * this run), a perpetual order its one invoice. Repeats find the same run or invoice.
   */
  private async startBilling(): Promise<void> {
    const terms = await this.lc.step('read the billing terms', () =>
      this.lc.db.billingTermsOf({ orderId: this.orderId }),
    );
    if (!terms) {
      await this.invoice('invoice the perpetual order', 'invoice/perpetual', () =>
        this.lc.db.invoicePerpetualOrder({ orderId: this.orderId }),
      );
      return;
    }
    const input: BillingInput = {
      orderId: this.orderId,
      resellerId: terms.resellerId,
      customerId: terms.customerId,
      cycle: terms.cycle,
      cycleMonths: terms.cycleMonths,
      paymentTerms: terms.paymentTerms,
      startedBy: 'system',
    };
    // The billing runs as long as the subscription, whatever becomes of this run; started already through the API
    // for an order activated before, or by a replayed start, it is the same run.
    await startLifecycle<typeof billingWorkflow>('billingWorkflow', billingWorkflowId(this.orderId), [input], {
      lifecycle: 'billing',
      status: 'started',
      resellerId: terms.resellerId,
      customerId: terms.customerId,
    });
  }

  /** Issues an invoice under the lock (no driver swap interleaves), then emails it to the reseller. */
  private async invoice(
    name: string,
    emailKey: string,
    issue: () => Promise<{ invoiceId: string } | null>,
  ): Promise<void> {
    const issued = await this.lc.exclusive(() => this.lc.step(name, issue));
    if (!issued) return;
    await this.lc.step(
      'email the invoice',
      () => this.lc.email.sendInvoiceEmail({ invoiceId: issued.invoiceId, key: this.key(emailKey) }),
      { skip: () => undefined },
    );
  }
}
