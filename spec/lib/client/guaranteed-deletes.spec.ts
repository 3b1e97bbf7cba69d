// GuaranteedDeletes on the virtual clock, with a scripted client: each retry waits for a connection
// (no timer), failures that say "not now" are spaced by the commandRetry backoff on the handler's
// clock without limit, and the retries end with the node, the session or the client, leaving no
// timer behind (docs/protocol.md#guaranteed-deletes).

import { VirtualClockHandler } from '../../../handlers/virtual-clock.js';
import {
  type BackgroundDelete,
  GuaranteedDeletes,
  type GuaranteedDeletesHost,
} from '../../../lib/client/guaranteed-deletes.js';
import {
  BadVersionError,
  ConnectionClosedError,
  ConnectionLossError,
  NoNodeError,
  NotEmptyError,
  NotReadOnlyError,
  OperationTimeoutError,
  SessionExpiredError,
  ThrottledOpError,
} from '../../../lib/errors.js';
import { RetryPolicy } from '../../../lib/retry.js';
import { rejectionOf } from '../../support.js';

/** A client as GuaranteedDeletes sees it: connected or not on command, its session id settable. */
class ScriptedHost implements GuaranteedDeletesHost {
  readonly handler = new VirtualClockHandler();
  /** Two tries and no jitter: the background lifts the limit, and the sleeps are exact. */
  readonly retry = new RetryPolicy({ maxTries: 2, delay: 100, maxDelay: 400, maxJitter: 0 }, this.handler);
  readonly connected = this.handler.eventObject();
  session = 0x11n;
  readonly lines: string[] = [];
  readonly failures: unknown[] = [];

  whenConnected(signal: AbortSignal): Promise<boolean> {
    return this.connected.wait(undefined, signal);
  }
  sessionId(): bigint {
    return this.session;
  }
  log(level: string, message: string): void {
    this.lines.push(`${level} ${message}`);
  }
  failed(error: unknown): void {
    this.failures.push(error);
  }
}

/**
 * A delete whose attempts meet `outcomes` in turn (an error thrown, or undefined: done), recording
 * when each ran; it belongs to session 0x11 unless `session` is given (undefined: to none).
 */
function scripted(
  clock: { now(): number },
  outcomes: unknown[],
  options: { session?: bigint | undefined } = {},
): BackgroundDelete & { at: number[] } {
  const at: number[] = [];
  return {
    what: '/lock/node',
    session: 'session' in options ? options.session : 0x11n,
    at,
    attempt: async () => {
      at.push(clock.now());
      const outcome = outcomes[at.length - 1];
      if (outcome !== undefined) throw outcome;
    },
  };
}

let host: ScriptedHost;
let deletes: GuaranteedDeletes;

beforeEach(() => {
  host = new ScriptedHost();
  deletes = new GuaranteedDeletes(host);
});

it('retries "not now" failures without limit, spaced by the policy\'s backoff on the handler\'s clock, until an attempt succeeds', async () => {
  host.connected.set();
  const work = scripted(host.handler, [
    new ConnectionLossError(),
    new host.handler.TimeoutError('no reply'),
    new NotReadOnlyError(),
    new ThrottledOpError(),
    new OperationTimeoutError(),
  ]);
  deletes.add(work);
  expect(deletes.pending).toBe(1);
  await host.handler.runUntilIdle();
  // 100, 200, then 400 (the policy's maxDelay) between attempts; five failures, far past maxTries 2.
  expect(work.at).toEqual([0, 100, 300, 700, 1100, 1500]);
  expect(deletes.pending).toBe(0);
  expect(host.failures).toEqual([]);
  expect(host.handler.pendingTimers).toBe(0);
});

it('waits for a connection before each attempt, holding no timer meanwhile', async () => {
  const work = scripted(host.handler, [new ConnectionLossError()]);
  deletes.add(work);
  await host.handler.runUntilIdle();
  expect(work.at).toEqual([]);
  expect(host.handler.pendingTimers).toBe(0);
  host.connected.set();
  await host.handler.advance(0);
  expect(work.at).toEqual([0]);
  host.connected.clear();
  await host.handler.advance(10_000);
  expect(work.at).toEqual([0]);
  expect(host.handler.pendingTimers).toBe(0);
  host.connected.set();
  await host.handler.advance(0);
  expect(work.at).toEqual([0, 10_000]);
  await host.handler.runUntilIdle();
  expect(deletes.pending).toBe(0);
});

it('counts NoNode as done', async () => {
  host.connected.set();
  const work = scripted(host.handler, [new ConnectionLossError(), new NoNodeError(undefined, '/lock/node')]);
  deletes.add(work);
  await host.handler.runUntilIdle();
  expect(work.at).toHaveLength(2);
  expect(deletes.pending).toBe(0);
  expect(host.failures).toEqual([]);
  expect(host.lines.at(-1)).toBe('debug /lock/node: background delete ended: deleted');
});

it('ends without another attempt once the session the node belongs to has ended', async () => {
  host.connected.set();
  const work = scripted(host.handler, [new ConnectionLossError()]);
  deletes.add(work);
  await host.handler.advance(0);
  host.connected.clear();
  host.session = 0x22n;
  await host.handler.advance(1000);
  host.connected.set();
  await host.handler.runUntilIdle();
  expect(work.at).toEqual([0]);
  expect(deletes.pending).toBe(0);
  expect(host.lines.at(-1)).toBe('debug /lock/node: background delete ended: session ended');
});

it('ends quietly when an attempt meets the expiry of its session, or a stopped client', async () => {
  host.connected.set();
  for (const error of [new SessionExpiredError(), new ConnectionClosedError('the client was stopped')])
    deletes.add(scripted(host.handler, [error]));
  await host.handler.runUntilIdle();
  expect(deletes.pending).toBe(0);
  expect(host.failures).toEqual([]);
});

it('takes the first session it sees for one issued before any session (0n)', async () => {
  host.session = 0n;
  const work = scripted(host.handler, [new ConnectionLossError()], { session: 0n });
  deletes.add(work);
  host.session = 0x33n;
  host.connected.set();
  await host.handler.advance(0);
  host.session = 0x44n;
  await host.handler.runUntilIdle();
  expect(work.at).toEqual([0]);
  expect(host.lines.at(-1)).toBe('debug /lock/node: background delete ended: session ended');
});

it('goes on across sessions when it belongs to none: an expiry is one more "not now"', async () => {
  host.connected.set();
  const work = scripted(host.handler, [new SessionExpiredError(), new ConnectionLossError()], {
    session: undefined,
  });
  deletes.add(work);
  await host.handler.advance(0);
  host.session = 0x22n;
  await host.handler.runUntilIdle();
  expect(work.at).toEqual([0, 100, 300]);
  expect(deletes.pending).toBe(0);
});

it('hands a failure no retry can change to failed(), and ends', async () => {
  host.connected.set();
  const notEmpty = new NotEmptyError(undefined, '/lock/node');
  const work = scripted(host.handler, [new ConnectionLossError(), notEmpty]);
  deletes.add(work);
  await host.handler.runUntilIdle();
  expect(work.at).toEqual([0, 100]);
  expect(host.failures).toEqual([notEmpty]);
  expect(deletes.pending).toBe(0);
});

it('cancelAll() ends a sleeping retry and a waiting one at once, leaving no timer', async () => {
  host.connected.set();
  const sleeping = scripted(host.handler, [new ConnectionLossError()]);
  deletes.add(sleeping);
  await host.handler.advance(0);
  expect(host.handler.pendingTimers).toBe(1);
  host.connected.clear();
  const waiting = scripted(host.handler, []);
  deletes.add(waiting);
  expect(deletes.pending).toBe(2);
  deletes.cancelAll();
  expect(deletes.pending).toBe(0);
  await host.handler.advance(0);
  expect(host.handler.pendingTimers).toBe(0);
  host.connected.set();
  await host.handler.runUntilIdle();
  expect(sleeping.at).toEqual([0]);
  expect(waiting.at).toEqual([]);
  expect(host.failures).toEqual([]);
});

it('carryOn() settles as the delete did, and carries on only after a "not now" failure or a caller who gave up', async () => {
  host.connected.set();
  const cases: Array<[unknown, AbortSignal | undefined, boolean]> = [
    [new ConnectionLossError(), undefined, true],
    [new host.handler.TimeoutError('timed out'), undefined, true],
    [new BadVersionError(), undefined, false],
    [new NoNodeError(), undefined, false],
    [new SessionExpiredError(), undefined, false],
    [new ConnectionClosedError('stopped'), undefined, false],
  ];
  const aborted = AbortSignal.abort(new Error('gave up'));
  cases.push([aborted.reason, aborted, true]);
  for (const [error, signal, carried] of cases) {
    const work = scripted(host.handler, []);
    expect(await rejectionOf(deletes.carryOn(Promise.reject(error), work, signal))).toBe(error);
    await host.handler.runUntilIdle();
    expect(work.at).toHaveLength(carried ? 1 : 0);
  }
  await expect(deletes.carryOn(Promise.resolve(), scripted(host.handler, []), undefined)).resolves.toBe(
    undefined,
  );
  expect(deletes.pending).toBe(0);
});
