// Records the history of every lifecycle path into test/histories/*.json, for test/replay.workflow.test.ts:
// `npm run histories:record` (jest, on the time-skipping server with the real activities, as the tests run).
// Each path is driven as in test/helpers/cost-paths.ts; every run it made (continued-as-new runs and the
// lifecycles it started included) is written as { workflowId, workflowType, history }, over that path's old files.
// Re-record only when a change is meant to break replay of runs in flight, and never for a change that could
// meet one in production: patch those (see README, "Changing a workflow safely").
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import { purchaseAuthorizationTerms } from '../../config/terms';
import { ensureLifecycle } from '../../api/http/lifecycles';
import { inviteResellerUser } from '../../db/reseller-users';
import { storeContactPassword, storeSubscription } from '../../db/subscriptions';
import { requestThreeYearCommitment } from '../../db/three-year-commitments';
import { createWebhookEndpoint } from '../../db/webhooks';
import { recordAudit } from '../../db/audit';
import { webhookDeliveryTerms } from '../../config/terms';
import { webhookDeliveryWorkflow } from '../../workflows';
import { durationMs } from '../../workflows/duration';
import {
  completeContactSetupUpdate,
  type PurchaseAuthorizationInput,
  acceptThreeYearCommitmentUpdate,
  placeOrderUpdate,
  threeYearCommitmentWorkflowId,
  webhookDeliveriesPendingSignal,
  webhookDeliveryStateQuery,
  webhookEndpointWorkflowId,
  purchaseAuthorizationWorkflowId,
  reinviteContactUpdate,
  requestReturnUpdate,
  type SubscriptionInput,
  subscriptionWorkflowId,
  type UserInvitationInput,
  userInvitationWorkflowId,
} from '../../workflows/definitions';
import { COST_PATHS, type CostRig, customerOf, rigOf, settled, startAsApi } from '../helpers/cost-paths';
import { linkIn, tokenHashOf } from '../helpers/mailbox';
import { newReseller, uniqueEmail } from '../helpers/fixtures';
import { timeSkippingSuite } from '../helpers/temporal';

const DIR = __dirname;
const suite = timeSkippingSuite();
const rig = (): CostRig => rigOf(suite);

interface Run {
  workflowId: string;
  runId: string;
}

/** The lifecycles no cost path drives, each along its usual path. */
const MORE_PATHS: { id: string; rules: string; run: (rig: CostRig) => Promise<Run[]> }[] = [
  {
    id: 'user_invited',
    rules: 'T2 T3',
    // As POST /v1/users makes it: the pending user stored, then the run that emails its set-up link.
    run: async (r) => {
      const reseller = await newReseller(r.sql);
      const userId = randomUUID();
      const invited = await inviteResellerUser(r.sql, {
        id: userId,
        resellerId: reseller.resellerId,
        email: uniqueEmail('user'),
        name: 'Invited User',
        permissions: ['order'],
        actor: `user:${reseller.userId}`,
      });
      if (invited === 'email_taken') throw new Error('the invited email is taken');
      const input: UserInvitationInput = {
        userId,
        resellerId: reseller.resellerId,
        linkExpiresAt: new Date((await r.now()) + durationMs(r.config.USER_SETUP_LINK_TTL)).toISOString(),
      };
      const handle = await ensureLifecycle(
        r.client,
        { ...r.config, TEMPORAL_TASK_QUEUE: r.taskQueue },
        {
          workflowType: 'userInvitationWorkflow',
          workflowId: userInvitationWorkflowId(userId),
          args: [input],
          lifecycle: 'user-invitation',
          resellerId: reseller.resellerId,
        },
      );
      await handle.result();
      return [{ workflowId: handle.workflowId, runId: (await handle.describe()).runId }];
    },
  },
  {
    id: 'pa_returned',
    rules: 'P1 P4',
    // Ordered, a return requested within the window, processed PA_RETURN_PROCESSING later (the p4 patch's path).
    run: async (r) => {
      const c = await customerOf(r);
      const actor = { actor: `user:${c.reseller.userId}` };
      const input: PurchaseAuthorizationInput = {
        paId: randomUUID(),
        resellerId: c.reseller.resellerId,
        customerId: c.customerId,
        createdBy: c.reseller.userId,
        product: 'Creative Cloud All Apps',
        quantity: 5,
        extendedTermMonths: null,
        terms: purchaseAuthorizationTerms(r.config),
      };
      const handle = await startAsApi(r, {
        workflowType: 'purchaseAuthorizationWorkflow',
        workflowId: purchaseAuthorizationWorkflowId(input.paId),
        args: [input],
        lifecycle: 'purchase-authorization',
        resellerId: c.reseller.resellerId,
        customerId: c.customerId,
      });
      await settled(r, handle.workflowId);
      await handle.executeUpdate(placeOrderUpdate, { args: [actor] });
      await settled(r, handle.workflowId);
      await handle.executeUpdate(requestReturnUpdate, { args: [actor] });
      await r.sleep(durationMs(input.terms.returnProcessing ?? '2 days') + 60_000);
      await handle.result();
      return [{ workflowId: handle.workflowId, runId: (await handle.describe()).runId }];
    },
  },
  {
    id: 'subscription_reinvited',
    rules: 'E1 E2',
    // Stored with a contact; the link expires; the contact is invited again and sets up the account.
    run: async (r) => {
      const reseller = await newReseller(r.sql);
      const subscriptionId = randomUUID();
      const input: SubscriptionInput = {
        subscriptionId,
        resellerId: reseller.resellerId,
        createdBy: reseller.userId,
        customerId: null,
        product: 'signatures-microsoft-365',
        companyName: `Recorded ${subscriptionId.slice(0, 6)}`,
        users: 25,
        contact: { name: 'Ingrid Berg', email: uniqueEmail('signatures') },
        contactLinkTtl: r.config.SUBSCRIPTION_CONTACT_LINK_TTL,
      };
      await storeSubscription(r.sql, input);
      const handle = await startAsApi(r, {
        workflowType: 'subscriptionWorkflow',
        workflowId: subscriptionWorkflowId(subscriptionId),
        args: [input],
        lifecycle: 'subscription',
        resellerId: reseller.resellerId,
      });
      const email = input.contact!.email;
      await r.mailbox.waitFor(email, 1);
      await r.sleep(durationMs(input.contactLinkTtl) + 60_000);
      await settled(r, handle.workflowId);
      await handle.executeUpdate(reinviteContactUpdate, { args: [{ actor: `user:${reseller.userId}` }] });
      const mails = await r.mailbox.waitFor(email, 2);
      await storeContactPassword(r.sql, { subscriptionId, email, passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$recorded' });
      await handle.executeUpdate(completeContactSetupUpdate, {
        args: [{ tokenHash: tokenHashOf(linkIn(mails[1]!)), name: 'Ingrid Berg', phone: null }],
      });
      await settled(r, handle.workflowId);
      return [{ workflowId: handle.workflowId, runId: (await handle.describe()).runId }];
    },
  },
];

/** Paths of the lifecycles added later, recorded on their own (`npm run histories:record -- -t <id>`). */
MORE_PATHS.push(
  {
    id: 'three_year_commitment_committed',
    rules: 'R4 R5',
    // Requested (as the API stores it), accepted, three yearly payments, expired after three years.
    run: async (r) => {
      const c = await customerOf(r);
      await r.sql`UPDATE customers SET vip_select_level = 1 WHERE id = ${c.customerId}`;
      const commitmentId = randomUUID();
      const acceptBy = new Date((await r.now()) + durationMs(r.config.THREE_YEAR_COMMITMENT_ACCEPT_WITHIN));
      await r.sql.begin((tx) =>
        requestThreeYearCommitment(tx, {
          id: commitmentId,
          resellerId: c.reseller.resellerId,
          customerId: c.customerId,
          product: 'Creative Cloud All Apps',
          currency: 'EUR',
          quantity: 12,
          acceptBy,
          actor: `user:${c.reseller.userId}`,
        }),
      );
      const handle = await startAsApi(r, {
        workflowType: 'threeYearCommitmentWorkflow',
        workflowId: threeYearCommitmentWorkflowId(commitmentId),
        args: [
          { commitmentId, customerId: c.customerId, resellerId: c.reseller.resellerId, acceptBy: acceptBy.toISOString() },
        ],
        lifecycle: 'three-year-commitment',
        resellerId: c.reseller.resellerId,
        customerId: c.customerId,
      });
      await settled(r, handle.workflowId);
      await handle.executeUpdate(acceptThreeYearCommitmentUpdate, { args: [{ actor: `customer:${c.email}` }] });
      for (let i = 0; i < 3; i++) await r.sleep(durationMs('366 days'));
      await handle.result();
      return [{ workflowId: handle.workflowId, runId: (await handle.describe()).runId }];
    },
  },
  {
    id: 'webhook_delivered',
    rules: 'issue 12',
    // An endpoint that refuses the first attempt and takes the next: two changes delivered in order, then idle.
    run: async (r) => {
      const { createServer } = await import('node:http');
      let calls = 0;
      const server = createServer((req, res) => {
        req.resume();
        req.on('end', () => res.writeHead(calls++ === 0 ? 503 : 204).end());
      });
      await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
      const port = (server.address() as { port: number }).port;
      const reseller = await newReseller(r.sql);
      const endpointId = randomUUID();
      await createWebhookEndpoint(r.sql, {
        id: endpointId,
        resellerId: reseller.resellerId,
        url: `http://127.0.0.1:${port}/hooks`,
        secret: `whsec_${randomUUID()}`,
        eventTypes: [],
        description: null,
        actor: 'test',
      });
      for (const n of [1, 2])
        await recordAudit(r.sql, {
          resellerId: reseller.resellerId,
          entityType: 'customer',
          entityId: randomUUID(),
          action: 'invitation.accepted',
          actor: 'test',
          after: { n },
        });
      const workflowId = webhookEndpointWorkflowId(endpointId);
      await r.client.workflow.signalWithStart(webhookDeliveryWorkflow, {
        workflowId,
        taskQueue: r.taskQueue,
        args: [{ endpointId, terms: webhookDeliveryTerms(r.config) }],
        signal: webhookDeliveriesPendingSignal,
        signalArgs: [],
      });
      const handle = r.client.workflow.getHandle(workflowId);
      for (let i = 0; (await handle.query(webhookDeliveryStateQuery)).delivered < 2; i++) {
        if (i > 100) throw new Error('the deliveries did not arrive');
        await r.sleep(60_000);
      }
      await settled(r, workflowId);
      server.close();
      return [{ workflowId, runId: (await handle.describe()).runId }];
    },
  },
);

const ALL_PATHS = [
  ...COST_PATHS.map((p) => ({
    id: p.id,
    rules: p.rules,
    run: async (r: CostRig): Promise<Run[]> => {
      const cost = await p.run(r);
      return [...cost.runs, ...cost.children];
    },
  })),
  ...MORE_PATHS,
];

describe('recording the history of every lifecycle path', () => {
  it.each(ALL_PATHS)('$id ($rules)', async (lifecyclePath) => {
    const runs = await lifecyclePath.run(rig());
    expect(runs.length).toBeGreaterThan(0);
    for (const [i, run] of runs.entries()) {
      const handle = suite.env().client.workflow.getHandle(run.workflowId, run.runId);
      const history = await handle.fetchHistory();
      const workflowType = history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name;
      const lifecycle = run.workflowId.split(':')[0];
      const file = `${lifecyclePath.id}.${String(i + 1).padStart(2, '0')}.${lifecycle}.json`;
      // protobufjs's own JSON (enum names, 64-bit integers and bytes as strings): it reads back exactly.
      const { History } = temporal.api.history.v1;
      const recorded = History.toObject(History.fromObject(history), { longs: String, enums: String, bytes: String });
      const json = { workflowId: run.workflowId, workflowType, history: recorded };
      await writeFile(path.join(DIR, file), `${JSON.stringify(json, null, 1)}\n`);
    }
  });
});
