// protectedCreate against a scripted client on the virtual clock: what it sends after each kind of
// failure, which node it adopts, what it hands to the background, and that the call's timeout
// bounds it all (docs/protocol.md#protected-creates). The real-server behaviours, through the
// FaultProxy, are in spec/client/protected-create.spec.ts.

import { VirtualClockHandler } from '../../../handlers/virtual-clock.js';
import type { BackgroundDelete } from '../../../lib/client/guaranteed-deletes.js';
import type { CallOptions } from '../../../lib/client/options.js';
import {
  type ProtectedCreateClient,
  type ProtectedCreateRequest,
  protectedCreate,
} from '../../../lib/client/protected-create.js';
import { protectionIdOf } from '../../../lib/client/protected-names.js';
import {
  ConnectionLossError,
  NoAuthError,
  NodeExistsError,
  NoNodeError,
  ThrottledOpError,
} from '../../../lib/errors.js';
import { RetryPolicy } from '../../../lib/retry.js';
import type { Stat } from '../../../protocol/records.js';
import { drive, stat } from '../fake-server.js';

const PARENT = '/p';

/** One parent's children and their owners (0n: persistent), the calls made, and failures to inject. */
class ScriptedClient implements ProtectedCreateClient {
  readonly handler = new VirtualClockHandler();
  /** Five tries, 100 ms doubling, no jitter. */
  readonly policy = new RetryPolicy({ maxTries: 5, delay: 100, maxJitter: 0 }, this.handler);
  session = 0x11n;
  readonly children = new Map<string, bigint>();
  readonly calls: string[] = [];
  /** The next creates' fates, in turn: 'lost' applies it and loses the reply; an error refuses it. */
  readonly creates: Array<'lost' | Error> = [];
  /** Errors the next syncs fail with, in turn. */
  readonly syncs: Error[] = [];
  /** How many of the next listings miss every child (a server behind the leader). */
  lagging = 0;
  readonly background: BackgroundDelete[] = [];
  readonly deleter = { add: (work: BackgroundDelete) => void this.background.push(work) };

  get clientId(): { sessionId: bigint; password: Buffer } {
    return { sessionId: this.session, password: Buffer.alloc(16) };
  }

  retry<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return this.policy.run(fn, signal);
  }

  async sync(path: string, _call?: CallOptions): Promise<string> {
    this.calls.push(`sync ${path}`);
    const failure = this.syncs.shift();
    if (failure !== undefined) throw failure;
    return path;
  }

  getChildren(path: string): Promise<string[]>;
  getChildren(
    path: string,
    watch: undefined,
    options: CallOptions & { includeData: true },
  ): Promise<[string[], Stat]>;
  async getChildren(path: string): Promise<string[] | [string[], Stat]> {
    this.calls.push(`getChildren ${path}`);
    if (this.lagging > 0) {
      this.lagging--;
      return [];
    }
    return [...this.children.keys()];
  }

  async exists(path: string): Promise<Stat | null> {
    this.calls.push(`exists ${path}`);
    const owner = this.children.get(path.slice(PARENT.length + 1));
    return owner === undefined ? null : stat({ ephemeralOwner: owner });
  }

  async delete(path: string): Promise<void> {
    this.calls.push(`delete ${path}`);
    if (!this.children.delete(path.slice(PARENT.length + 1))) throw new NoNodeError(undefined, path);
  }

  /** A ProtectedCreateRequest for `name` under /p whose create follows `creates`. */
  request(name: string, ephemeral: boolean, includeData = false): ProtectedCreateRequest {
    return {
      parent: PARENT,
      name,
      ephemeral,
      includeData,
      create: async (path: string, _call: CallOptions) => {
        this.calls.push(`create ${path}`);
        const fate = this.creates.shift();
        if (fate instanceof Error) throw fate;
        const child = path.slice(PARENT.length + 1);
        if (this.children.has(child)) throw new NodeExistsError(undefined, path);
        this.children.set(child, ephemeral ? this.session : 0n);
        if (fate === 'lost') throw new ConnectionLossError();
        return includeData ? [path, stat({ ephemeralOwner: ephemeral ? this.session : 0n })] : path;
      },
    };
  }

  /** Runs the call to its end on the virtual clock. */
  run(request: ProtectedCreateRequest, options: CallOptions = {}): Promise<string | [string, Stat]> {
    return drive(this.handler, protectedCreate(this, this.deleter, request, options));
  }

  /** The operations of the calls made, in order. */
  get ops(): string[] {
    return this.calls.map((call) => call.split(' ')[0]!);
  }
}

let zk: ScriptedClient;

beforeEach(() => {
  zk = new ScriptedClient();
});

const nameOf = (path: string): string => path.slice(PARENT.length + 1);

/**
 * Runs `request` with its first create applied and its reply lost, and session 0x11 replaced by
 * 0x22 before the retry lists the parent; the path it resolves with.
 */
async function lostThenExpired(request: ProtectedCreateRequest): Promise<string> {
  zk.creates.push('lost');
  const promise = zk.run(request);
  await zk.handler.advance(0);
  zk.session = 0x22n;
  return (await promise) as string;
}
const rejection = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => {
      throw new Error('resolved, but a rejection was expected');
    },
    (error: unknown) => error,
  );

it('sends one create and nothing else when the reply comes', async () => {
  const path = (await zk.run(zk.request('lock-', true))) as string;
  expect(nameOf(path)).toMatch(/^_c_[0-9a-f-]{36}-lock-$/);
  expect(zk.calls).toEqual([`create ${path}`]);
});

it('after a lost reply lists the parent (after a sync) and returns the node its prefix names, making no second one', async () => {
  zk.creates.push('lost');
  const path = (await zk.run(zk.request('lock-', true))) as string;
  expect([...zk.children.keys()]).toEqual([nameOf(path)]);
  expect(zk.calls).toEqual([`create ${path}`, 'sync /p', 'getChildren /p', `exists ${path}`]);
  expect(zk.background).toEqual([]);
});

it('reads the Stat of the node it finds under includeData; a persistent node found needs no read without it', async () => {
  zk.creates.push('lost');
  const [path, found] = (await zk.run(zk.request('x', true, true))) as [string, Stat];
  expect(found.ephemeralOwner).toBe(0x11n);
  expect(zk.calls.at(-1)).toBe(`exists ${path}`);

  zk.calls.length = 0;
  zk.creates.push('lost');
  const persistent = (await zk.run(zk.request('y', false))) as string;
  expect(zk.calls).toEqual([`create ${persistent}`, 'sync /p', 'getChildren /p']);
});

it('does not list the parent after a failure that says the create was not applied', async () => {
  zk.creates.push(new ThrottledOpError());
  const path = (await zk.run(zk.request('n', true))) as string;
  expect(zk.calls).toEqual([`create ${path}`, `create ${path}`]);
});

it("adopts an ephemeral node only when the current session owns it: an ended session's node is deleted in the background, and the create made again under a fresh id (CURATOR-498)", async () => {
  // The old session's node still shows when the retry lists the parent.
  const path = await lostThenExpired(zk.request('lock-', true));
  const [old] = [...zk.children.keys()].filter((child) => child !== nameOf(path));
  expect(zk.children.get(old!)).toBe(0x11n);
  expect(zk.children.get(nameOf(path))).toBe(0x22n);
  expect(protectionIdOf(nameOf(path))).not.toBe(protectionIdOf(old!));
  expect(zk.background.map(({ what, session }) => ({ what, session }))).toEqual([
    { what: `${PARENT}/${old}`, session: 0x22n },
  ]);
  await zk.background[0]!.attempt();
  expect([...zk.children.keys()]).toEqual([nameOf(path)]);
});

it('adopts a persistent node whatever the session that made it', async () => {
  const path = await lostThenExpired(zk.request('config', false));
  expect([...zk.children.keys()]).toEqual([nameOf(path)]);
  expect(zk.background).toEqual([]);
});

it('takes NodeExists under its own name as the sign an earlier attempt made the node, and finds it', async () => {
  zk.creates.push('lost');
  zk.lagging = 1; // the first listing misses the node, so the create is made again
  const path = (await zk.run(zk.request('leader', true))) as string;
  expect(zk.ops).toEqual([
    'create',
    'sync',
    'getChildren',
    'create', // NodeExists
    'sync',
    'getChildren',
    'exists',
  ]);
  expect([...zk.children.keys()]).toEqual([nameOf(path)]);
});

it('when every attempt fails: rejects with the last error, and hands what the last create may have made to the background (CURATOR-45)', async () => {
  zk.creates.push('lost');
  for (let i = 0; i < 4; i++) zk.syncs.push(new ConnectionLossError());
  expect(await rejection(zk.run(zk.request('lock-', true)))).toBeInstanceOf(ConnectionLossError);
  expect(zk.calls.filter((call) => call.startsWith('sync'))).toHaveLength(4);
  const [orphan] = [...zk.children.keys()];
  expect(zk.background.map(({ what, session }) => ({ what, session }))).toEqual([
    // An ephemeral node goes with the session of the create that may have made it.
    { what: `${PARENT}/${orphan!.slice(0, 40)}*`, session: 0x11n },
  ]);
  await zk.background[0]!.attempt();
  expect(zk.children.size).toBe(0);
});

it('hands a persistent orphan to the background for good: no session ends it', async () => {
  zk.creates.push('lost');
  for (let i = 0; i < 4; i++) zk.syncs.push(new ConnectionLossError());
  await rejection(zk.run(zk.request('config', false)));
  expect(zk.background.map(({ session }) => session)).toEqual([undefined]);
});

it('hands nothing to the background when the failure says the create was not applied', async () => {
  zk.creates.push(new NoAuthError(undefined, '/p'));
  expect(await rejection(zk.run(zk.request('n', true)))).toBeInstanceOf(NoAuthError);
  expect(zk.calls).toHaveLength(1);
  expect(zk.background).toEqual([]);
});

it("gives up at the call's timeout, retries and sleeps included, on the handler's clock", async () => {
  zk.creates.push('lost');
  for (let i = 0; i < 4; i++) zk.syncs.push(new ConnectionLossError());
  const started = zk.handler.now();
  const error = await rejection(zk.run(zk.request('lock-', true), { timeout: 250 }));
  expect(error).toBeInstanceOf(zk.handler.TimeoutError);
  expect(zk.handler.now() - started).toBe(250);
  // Tried at 0 (lost) and 100 (its listing failed); the next try, at 300, is past the timeout.
  expect(zk.ops).toEqual(['create', 'sync']);
  expect(zk.background).toHaveLength(1);
});

it("treats a reply that timed out (the client's requestTimeout) as a lost one: the node is found", async () => {
  const request = zk.request('lock-', true);
  const promise = zk.run({
    ...request,
    create: async (path, call) => {
      await request.create(path, call);
      throw new zk.handler.TimeoutError('no reply within 1000 ms');
    },
  });
  const path = (await promise) as string;
  expect(zk.ops).toEqual(['create', 'sync', 'getChildren', 'exists']);
  expect([...zk.children.keys()]).toEqual([nameOf(path)]);
});
