// Which Temporal errors are an outage (503 temporal_unavailable, Retry-After) rather than a bug (500): the server
// unreachable, too slow, or shedding load once the client's retries are spent.
import { isTemporalUnavailable } from '../api/temporal';

/** A gRPC error as @temporalio/client surfaces it (code, details, metadata), wrapped as a start wraps it. */
const grpc = (code: number) =>
  Object.assign(new Error(`grpc ${code}`), { code, details: 'from the server', metadata: {} });
const wrapped = (cause: Error) => Object.assign(new Error('Failed to start Workflow'), { cause });

describe('Temporal errors that mean "try again later"', () => {
  it.each([
    [14, 'UNAVAILABLE'],
    [4, 'DEADLINE_EXCEEDED'],
    [8, 'RESOURCE_EXHAUSTED (rate limited or overloaded)'],
    [1, 'CANCELLED (the channel dropped the call as the server went away: the soak, issue 11)'],
  ])('gRPC %i %s, even wrapped, is an outage', (code) => {
    expect(isTemporalUnavailable(grpc(code))).toBe(true);
    expect(isTemporalUnavailable(wrapped(grpc(code)))).toBe(true);
  });

  it.each([
    [3, 'INVALID_ARGUMENT'],
    [5, 'NOT_FOUND'],
    [13, 'INTERNAL'],
  ])('gRPC %i %s is not', (code) => {
    expect(isTemporalUnavailable(wrapped(grpc(code)))).toBe(false);
  });

  it('a plain error is not', () => expect(isTemporalUnavailable(new Error('boom'))).toBe(false));
});
