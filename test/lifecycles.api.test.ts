import { randomUUID } from 'node:crypto';
import { customerBody, resellerForSuite } from './helpers/fixtures';
import { signedIn, stackForSuite } from './helpers/stack';

// Starting a lifecycle is one update-with-start: a repeat while it runs finds the running one, and a
// repeat after it ended answers from the database instead of starting it again.

const stack = stackForSuite();
const reseller = resellerForSuite(stack);

const as = () => signedIn(stack.app, reseller.apiKey);

describe('lifecycles started by the API', () => {
  it('C2: an Idempotency-Key repeated after the invitation ended (deleted) answers 410 and starts nothing', async () => {
    const key = randomUUID();
    const body = customerBody();
    const created = await as().post('/v1/customers').set('Idempotency-Key', key).send(body);
    expect(created.status).toBe(201);
    expect((await as().delete(`/v1/customers/${created.body.id}`)).status).toBe(204);
    const handle = stack.temporal.workflow.getHandle(`invitation:${created.body.id}`);
    await handle.result().catch(() => undefined);

    const repeated = await as().post('/v1/customers').set('Idempotency-Key', key).send(body);
    expect(repeated.status).toBe(410);
    expect(repeated.body.error.code).toBe('gone');
    expect((await handle.describe()).status.name).not.toBe('RUNNING');
  });

  it('C2: a repeat while the invitation runs answers with the same customer, replayed', async () => {
    const key = randomUUID();
    const body = customerBody();
    const first = await as().post('/v1/customers').set('Idempotency-Key', key).send(body);
    const again = await as().post('/v1/customers').set('Idempotency-Key', key).send(body);
    expect([first.status, again.status]).toEqual([201, 201]);
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers['idempotent-replayed']).toBe('true');
  });
});
