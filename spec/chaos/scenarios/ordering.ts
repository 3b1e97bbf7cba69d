// Invariant 4, "ordering": per client, replies and watch events reach the application in zxid
// order. ZooKeeper answers one connection's requests in order and sends the notification of a
// change before any reply at or past that change's zxid, its writer's own reply included
// (docs/protocol.md#ordering); a server that has not seen the client's last zxid refuses it
// (docs/protocol.md#handshake), so this holds across reconnects and new sessions too. zookit must
// not reorder what the wire delivered (it holds a batch's frames to keep a reply's caller ahead of
// a later event's callback).
//
// Four clients (two per handler, behind proxies) each hold a persistent recursive watch on a log
// node and loop: create sequential children in the current bucket of the log (a new bucket every
// few hundred), list the bucket with a one-shot child watch, read known children, read the log,
// sync. Each client writes down, in the order its code sees them: every reply, with its header's
// zxid (RequestTraceContext.zxid, through reply-zxids.ts); every NodeCreated of the recursive
// watch; every NodeChildrenChanged, with the zxid of the reply that set the watch.
//
// Notifications carry no zxid on 3.8 (docs/observability.md#reply-zxids), but nothing is ever
// deleted under the log, so at the end every change's zxid can be read back: a NodeCreated
// reports the czxid of its node; a child event reports the first child of its bucket created after
// the listing that set the watch (the smallest czxid above that reply's zxid). Then each client's
// sequence must be sorted by (zxid, event before reply): a reply never goes below an earlier one,
// an event never comes after a reply at or past its change, nor after an event of a later change.
// Planted fault (`plant: 'deferred-events'`): the first client hands its watch events to its code
// on a timer of a few ms, as code that "lets the current work finish first" would.

import { ClientState, EventType, NoNodeError, type WatchedEvent } from '../../../index.js';
import type {
  ChaosClient,
  ChaosContext,
  ChaosScenario,
  ChaosViolation,
  ScenarioVerdict,
} from '../../../testing/chaos/scenario.js';
import type { SeededRandom } from '../../../testing/chaos/seeded-random.js';
import { ReplyZxids, type TracedOutcome } from './reply-zxids.js';
import { openClient, pause, removeRoot, scenarioRoot } from './support.js';

/** Options of the scenario. */
export interface OrderingOptions {
  /** A deliberately broken delivery, for the planted-fault test. */
  plant?: 'deferred-events';
  /** Clients, alternating sequential and worker handlers (default 4). */
  clients?: number;
}

/** Something a client's code saw, in the order it saw them. */
type Delivery =
  | { readonly kind: 'reply'; readonly op: string; readonly zxid: bigint; readonly atMs: number }
  | { readonly kind: 'created'; readonly path: string; readonly atMs: number }
  | { readonly kind: 'children'; readonly path: string; readonly since: bigint; readonly atMs: number };

const NAME = 'ordering';
/** Children per bucket: keeps every listing small however long the run. */
const BUCKET_SIZE = 300;
/** Violations reported per client in full; the rest are counted. */
const REPORTED_PER_CLIENT = 5;

/** The scenario; `plant` delays one client's watch events. */
export function orderingScenario(options: OrderingOptions = {}): ChaosScenario {
  return new Ordering(options);
}

class Ordering implements ChaosScenario {
  readonly name = NAME;
  readonly invariants = [NAME] as const;
  #root = '';
  #log = '';
  #admin: ChaosClient | undefined;
  #zxids: ReplyZxids | undefined;
  readonly #clients: OrderedClient[] = [];
  #loops: Promise<void>[] = [];
  #creates = 0;

  constructor(private readonly options: OrderingOptions) {}

  /** The bucket creates go to now. */
  bucket(): string {
    return `${this.#log}/b${String(Math.floor(this.#creates / BUCKET_SIZE)).padStart(5, '0')}`;
  }

  /** Counts a create attempt (which moves the bucket on). */
  created(): void {
    this.#creates++;
  }

  async start(context: ChaosContext): Promise<void> {
    this.#root = scenarioRoot(NAME, context);
    this.#log = `${this.#root}/log`;
    this.#admin = await openClient(context, `${NAME}-admin`, 'sequential', false);
    const admin = this.#admin.zk;
    await admin.retry(() => admin.ensurePath(this.#log));
    this.#zxids = new ReplyZxids();
    const count = this.options.clients ?? 4;
    for (let i = 0; i < count; i++) {
      const handler = i % 2 === 0 ? 'sequential' : 'worker';
      const client = await openClient(
        context,
        `${NAME}-${handler === 'sequential' ? 's' : 'w'}${i + 1}`,
        handler,
      );
      const ordered = new OrderedClient(client, this, this.#zxids, context, {
        log: this.#log,
        random: context.random.fork(client.name),
        deferEvents: i === 0 && this.options.plant === 'deferred-events',
      });
      this.#clients.push(ordered);
      this.#loops.push(ordered.run());
    }
  }

  async check(_context: ChaosContext): Promise<ScenarioVerdict> {
    await Promise.all(this.#loops);
    await pause(100); // deferred (planted) events still on their timers
    const admin = this.#admin!.zk;
    await admin.retry(() => admin.sync(this.#log));
    // Every node under the log with its czxid, and each bucket's children's czxids in order.
    const czxids = new Map<string, bigint>();
    const byBucket = new Map<string, bigint[]>();
    for (const name of await admin.retry(() => admin.getChildren(this.#log))) {
      const bucket = `${this.#log}/${name}`;
      const stat = await admin.retry(() => admin.exists(bucket));
      if (stat !== null) czxids.set(bucket, stat.czxid);
      const children = await admin.retry(() => admin.getChildren(bucket));
      const zxids: bigint[] = [];
      for (let i = 0; i < children.length; i += 500) {
        const stats = await Promise.all(
          children.slice(i, i + 500).map((child) => admin.retry(() => admin.exists(`${bucket}/${child}`))),
        );
        stats.forEach((s, j) => {
          if (s === null) return;
          czxids.set(`${bucket}/${children[i + j]}`, s.czxid);
          zxids.push(s.czxid);
        });
      }
      byBucket.set(
        bucket,
        zxids.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
      );
    }

    const violations: ChaosViolation[] = [];
    let checks = 0;
    const counts = { replies: 0, createdEvents: 0, childEvents: 0, unarmedChildEvents: 0, outOfOrder: 0 };
    for (const client of this.#clients) {
      counts.unarmedChildEvents += client.unarmedChildEvents;
      let reported = 0;
      let latest: { key: [bigint, number]; what: string } | undefined;
      for (const delivery of client.deliveries) {
        let key: [bigint, number];
        let what: string;
        if (delivery.kind === 'reply') {
          counts.replies++;
          key = [delivery.zxid, 1];
          what = `the ${delivery.op} reply at zxid 0x${delivery.zxid.toString(16)}`;
        } else {
          const zxid =
            delivery.kind === 'created'
              ? czxids.get(delivery.path)
              : byBucket.get(delivery.path)?.find((czxid) => czxid > delivery.since);
          if (delivery.kind === 'created') counts.createdEvents++;
          else counts.childEvents++;
          checks++;
          if (zxid === undefined) {
            violations.push({
              invariant: NAME,
              message:
                delivery.kind === 'created'
                  ? `${client.name} was told ${delivery.path} was created, but no such node exists`
                  : `${client.name} was told the children of ${delivery.path} changed, but none was created after the listing that set the watch (zxid 0x${delivery.since.toString(16)})`,
              atMs: delivery.atMs,
            });
            continue;
          }
          key = [zxid, 0];
          what = `the ${delivery.kind === 'created' ? 'NodeCreated' : 'NodeChildrenChanged'} event of ${delivery.path} (change at zxid 0x${zxid.toString(16)})`;
        }
        checks++;
        if (latest !== undefined && compare(key, latest.key) < 0) {
          counts.outOfOrder++;
          if (reported++ < REPORTED_PER_CLIENT)
            violations.push({
              invariant: NAME,
              message: `${client.name} saw ${what} after ${latest.what}`,
              atMs: delivery.atMs,
            });
        } else {
          latest = { key, what };
        }
      }
      if (reported > REPORTED_PER_CLIENT)
        violations.push({
          invariant: NAME,
          message: `${client.name}: ${reported - REPORTED_PER_CLIENT} more deliveries out of zxid order`,
        });
    }
    return {
      operations: this.#clients.reduce((sum, client) => sum + client.operations, 0),
      checks,
      violations,
      counts: { ...counts, nodes: czxids.size },
    };
  }

  async close(): Promise<void> {
    await Promise.all(this.#loops);
    this.#zxids?.close();
    await removeRoot(this.#admin?.zk, this.#root);
  }
}

/** (zxid, 0 for an event / 1 for a reply), compared in that order. */
function compare(a: [bigint, number], b: [bigint, number]): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  return a[1] - b[1];
}

/** One client's loop and what it saw. */
class OrderedClient {
  readonly deliveries: Delivery[] = [];
  operations = 0;
  /** Child events that came with no watch set by this client (counted, not ordered). */
  unarmedChildEvents = 0;
  /** Buckets with a child watch set, by the zxid of the listing that set it. */
  readonly #armed = new Map<string, bigint>();
  /** The recursive watch must be added (first time, after a session loss). */
  #unwatched = true;
  /** Children this client created, to read back (the last few hundred). */
  readonly #known: string[] = [];
  readonly #onCreated: (event: WatchedEvent) => void;
  readonly #onChildren: (event: WatchedEvent) => void;

  constructor(
    private readonly client: ChaosClient,
    private readonly scenario: Ordering,
    private readonly zxids: ReplyZxids,
    private readonly context: ChaosContext,
    private readonly options: { log: string; random: SeededRandom; deferEvents: boolean },
  ) {
    const created = (event: WatchedEvent) => {
      if (event.type === EventType.NodeCreated)
        this.deliveries.push({ kind: 'created', path: event.path, atMs: context.log.now() });
    };
    const children = (event: WatchedEvent) => {
      const since = this.#armed.get(event.path);
      this.#armed.delete(event.path); // fired, or ended with the session
      if (event.type !== EventType.NodeChildrenChanged) return;
      if (since === undefined) this.unarmedChildEvents++;
      else this.deliveries.push({ kind: 'children', path: event.path, since, atMs: context.log.now() });
    };
    // Planted: events reach the code a few ms late, after replies that came behind them.
    const defer = (handle: (event: WatchedEvent) => void) => (event: WatchedEvent) =>
      void setTimeout(() => handle(event), options.random.int(1, 20));
    this.#onCreated = options.deferEvents ? defer(created) : created;
    this.#onChildren = options.deferEvents ? defer(children) : children;
    client.zk.on('state', (state) => {
      if (state === ClientState.LOST) this.#unwatched = true;
    });
  }

  get name(): string {
    return this.client.name;
  }

  /** Makes one call and writes its reply down, in the call's own continuation. */
  #call<T>(op: string, make: () => Promise<T>, then?: (outcome: TracedOutcome<T>) => void): Promise<void> {
    this.operations++;
    return this.zxids.call(make, (outcome) => {
      if (outcome.zxid !== undefined)
        this.deliveries.push({ kind: 'reply', op, zxid: outcome.zxid, atMs: this.context.log.now() });
      then?.(outcome);
    });
  }

  async run(): Promise<void> {
    const { zk } = this.client;
    const { random, log } = this.options;
    const { signal } = this.context;
    while (!signal.aborted) {
      if (this.#unwatched && zk.isConnected) {
        await this.#call(
          'addWatch',
          () => zk.addWatch(log, this.#onCreated, { mode: 'persistentRecursive' }),
          (outcome) => {
            if (outcome.ok) this.#unwatched = false;
          },
        );
      }
      const bucket = this.scenario.bucket();
      const r = random.next();
      if (r < 0.35) {
        this.scenario.created();
        let noBucket = false;
        await this.#call(
          'create',
          () => zk.create(`${bucket}/e-`, this.client.name, { sequence: true }),
          (outcome) => {
            if (outcome.ok) {
              this.#known.push(outcome.value);
              if (this.#known.length > 300) this.#known.shift();
            } else {
              noBucket = outcome.error instanceof NoNodeError;
            }
          },
        );
        // The first creates of a bucket find none: make it (another client may have already).
        if (noBucket) await this.#call('create', () => zk.create(bucket, ''));
      } else if (r < 0.6) {
        const watch = !this.#armed.has(bucket);
        await this.#call(
          'getChildren',
          () => zk.getChildren(bucket, watch ? this.#onChildren : undefined),
          (outcome) => {
            // Only an answered listing sets the watch (a missing bucket sets none).
            if (watch && outcome.ok && outcome.zxid !== undefined) this.#armed.set(bucket, outcome.zxid);
          },
        );
      } else if (r < 0.8 && this.#known.length > 0) {
        const child = random.pick(this.#known);
        await this.#call('exists', () => zk.exists(child));
      } else if (r < 0.9) {
        await this.#call('getData', () => zk.get(log));
      } else {
        await this.#call('sync', () => zk.sync(log));
      }
      await pause(random.int(2, 15), signal);
    }
  }
}
