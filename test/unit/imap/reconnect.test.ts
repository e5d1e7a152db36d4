import { describe, expect, it } from 'vitest';
import { makeError } from '../../../src/errors.js';
import { backoffMs, reconnectable, reconnectPolicy } from '../../../src/imap/reconnect.js';

describe('backoffMs', () => {
  const cut = makeError('CONNECTION_LOST', 'cut');
  it('doubles from the base with +-25% jitter', () => {
    expect(backoffMs(cut, 1, 1000, () => 0)).toBe(750);
    expect(backoffMs(cut, 1, 1000, () => 1)).toBe(1250);
    expect(backoffMs(cut, 3, 1000, () => 0.5)).toBe(4000);
  });

  it("takes the server's suggested backoff, capped at two minutes", () => {
    const throttled = (ms: number) =>
      makeError('SERVER_THROTTLED', 'slow down', { details: { retryAfterMs: ms } });
    expect(backoffMs(throttled(28_000), 1, 1000)).toBe(28_000);
    expect(backoffMs(throttled(10_000_000), 1, 1000)).toBe(120_000);
  });
});

describe('reconnectPolicy', () => {
  it('retries only connection faults, and only as often as configured', async () => {
    const policy = reconnectPolicy({ reconnectAttempts: 2, reconnectDelay: 0 }, {});
    const cut = makeError('CONNECTION_LOST', 'cut');
    expect(await policy.again(cut, 1)).toBe(true);
    expect(await policy.again(cut, 2)).toBe(true);
    expect(await policy.again(cut, 3)).toBe(false);
    expect(await policy.again(makeError('AUTH_FAILED', 'no'), 1)).toBe(false);
    expect(await policy.again(new Error('plain'), 1)).toBe(false);
    expect(reconnectable(makeError('SOCKET_TIMEOUT', 'stalled'))).toBe(true);
    expect(reconnectable(makeError('QUERY_INVALID', 'bad'))).toBe(false);
  });

  it('ends a wait at once with ABORTED when the signal fires', async () => {
    const controller = new AbortController();
    const policy = reconnectPolicy(
      { reconnectAttempts: 3, reconnectDelay: 60_000 },
      { signal: controller.signal },
    );
    const waiting = policy.again(makeError('CONNECTION_LOST', 'cut'), 1);
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('gives up with an error that says how many attempts were made over how long', async () => {
    const policy = reconnectPolicy({ reconnectAttempts: 3, reconnectDelay: 0 }, {});
    const refused = makeError('CONNECT_REFUSED', 'Connection to 127.0.0.1:1 was refused.');
    for (let attempt = 1; await policy.again(refused, attempt); attempt++);
    const given = policy.givenUp(refused) as ReturnType<typeof makeError>;
    expect(given.code).toBe('CONNECT_REFUSED');
    expect(given.message).toMatch(
      /^Connection to 127\.0\.0\.1:1 was refused\. Gave up after 4 attempts over \d+\.\d s \(reconnectAttempts 3\)\.$/,
    );
    expect(given.details).toMatchObject({ attempts: 4, elapsedMs: expect.any(Number) });
  });

  it('gives up with the error as it was when no new session was tried', () => {
    const policy = reconnectPolicy({ reconnectAttempts: 3, reconnectDelay: 0 }, {});
    const wrong = makeError('AUTH_FAILED', 'no');
    expect(policy.givenUp(wrong)).toBe(wrong);
  });
});
