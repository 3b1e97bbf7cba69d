// The queue half of invariant 6, "recipes finish": items put on a LockingQueue and on a Queue
// (kazoo's) are each consumed once, by consumers on both handlers, whatever the faults.
//
// LockingQueue, exactly once: as spec/recipes/chaos/work-queue.ts does it, each consumption is
// proven by a record `<done>/<item>-<seq>` created in the transaction that consumes the entry
// (`consume({ also })`), so a record exists exactly when a consume committed. Items are put in
// batches with putAll (one transaction: all or none). Per item the checker counts records: one for
// every item of an acknowledged batch; for an ambiguous batch, one for each item or none at all.
//
// Queue, at most once: a get takes an entry by deleting it, so a delete whose reply was lost (it
// went through, the retry finds NoNode) drops the item — kazoo's Queue is "not reliable" by design
// (recipes/queue.ts). The checker holds it to what it promises: no item consumed twice, and every
// acknowledged item either consumed or explained by an ambiguous delete of its entry (seen on
// `zookit:request`, docs/observability.md#zookitrequest).
//
// After the faults, the consumers go on until both queues are empty; then each LockingQueue
// consumer gets a stop item (so none is stopped while it takes an entry), and the Queue consumers
// are told to stop.
// Planted fault (`plant: 'take-without-removing'`): the first consumer records its LockingQueue
// item outside the transaction and gives back the first and every third after instead of consuming them, and reads
// Queue items without deleting them — both come round again.

import { tracingChannel } from 'node:diagnostics_channel';
import { ConnectionClosedError, type RequestTraceContext, type ZooKeeperClient } from '../../../index.js';
import { entriesInOrder } from '../../../recipes/queue.js';
import type { ChaosClient, ChaosContext, ChaosViolation } from '../../../testing/chaos/scenario.js';
import type { SeededRandom } from '../../../testing/chaos/seeded-random.js';
import { errorName, eventually, isRefusal, pause, within } from './support.js';

/** The LockingQueue item that tells a consumer to stop (one each, once the queue is empty). */
const STOP = 'stop';

/** A batch of LockingQueue items, or one Queue item, and whether its put was acknowledged. */
interface Put {
  readonly items: readonly string[];
  outcome: 'pending' | 'acknowledged' | 'ambiguous' | 'refused';
  /** Queue: the entry's name, when acknowledged. */
  entry?: string;
}

/** Where the queues live and who works on them. */
export interface QueueWorkOptions {
  invariant: string;
  root: string;
  producer: ChaosClient;
  consumers: readonly ChaosClient[];
  random: SeededRandom;
  plant?: 'take-without-removing';
}

/** Producers and consumers of both queues, and their checks. */
export class QueueWork {
  readonly #locking: string;
  readonly #done: string;
  readonly #queue: string;
  readonly #lockingPuts: Put[] = [];
  readonly #queuePuts: Put[] = [];
  /** Queue items as consumers got them: item → times. */
  readonly #queueTaken = new Map<string, number>();
  /** Queue entries whose delete went out and got no answer (it may have applied). */
  readonly #ambiguousDeletes = new Set<string>();
  readonly #stop = new AbortController();
  #loops: Promise<void>[] = [];
  /** The LockingQueue consumers' loops: they end with their stop item. */
  #lockingLoops: Promise<void>[] = [];
  operations = 0;
  readonly errors: Record<string, number> = {};
  /** Which consumer each session belonged to, to name the owner of a node left behind. */
  readonly #sessions = new Map<bigint, string>();
  readonly #subscribers = {
    start: () => {},
    end: () => {},
    asyncStart: (context: RequestTraceContext) => this.#traced(context),
    asyncEnd: () => {},
    error: () => {},
  };

  constructor(private readonly options: QueueWorkOptions) {
    this.#locking = `${options.root}/locking-queue`;
    this.#done = `${options.root}/done`;
    this.#queue = `${options.root}/queue`;
  }

  async start(context: ChaosContext): Promise<void> {
    const { producer, consumers, random } = this.options;
    await producer.zk.retry(() => producer.zk.ensurePath(this.#done));
    tracingChannel<unknown, RequestTraceContext>('zookit:request').subscribe(this.#subscribers);
    this.#loops.push(this.#produce(context, producer.zk, random.fork('producer')));
    for (const consumer of consumers) {
      const note = () => {
        const id = consumer.zk.clientId?.sessionId;
        if (id !== undefined) this.#sessions.set(id, consumer.name);
      };
      note();
      consumer.zk.on('state', note);
    }
    consumers.forEach((consumer, i) => {
      const plant = i === 0 ? this.options.plant : undefined;
      const locking = this.#consumeLocking(consumer, plant);
      this.#lockingLoops.push(locking);
      this.#loops.push(locking, this.#consumeQueue(consumer, plant));
    });
  }

  /** A Queue entry's delete that failed without the server's answer. */
  #traced(context: RequestTraceContext): void {
    if (context.op !== 'delete' || context.error === undefined || isRefusal(context.error)) return;
    if (context.path?.startsWith(`${this.#queue}/`)) this.#ambiguousDeletes.add(context.path);
  }

  #count(error: unknown): void {
    const key = errorName(error);
    this.errors[key] = (this.errors[key] ?? 0) + 1;
  }

  /** Puts a LockingQueue batch and a Queue item every few hundred ms until the run stops. */
  async #produce(context: ChaosContext, zk: ZooKeeperClient, random: SeededRandom): Promise<void> {
    const locking = zk.LockingQueue(this.#locking);
    const queue = zk.Queue(this.#queue);
    for (let n = 1; !context.signal.aborted; n++) {
      const batch: Put = {
        items: Array.from({ length: random.int(1, 8) }, (_, i) => `lq-${n}-${i}`),
        outcome: 'pending',
      };
      this.#lockingPuts.push(batch);
      this.operations++;
      batch.outcome = await locking.putAll(batch.items, random.int(0, 2)).then(
        () => 'acknowledged' as const,
        (error: unknown) => (isRefusal(error) ? 'refused' : 'ambiguous'),
      );
      for (let i = random.int(1, 4); i > 0; i--) {
        const item: Put = { items: [`q-${n}-${i}`], outcome: 'pending' };
        this.#queuePuts.push(item);
        this.operations++;
        await queue.put(item.items[0]!).then(
          (entry) => {
            item.outcome = 'acknowledged';
            item.entry = entry;
          },
          (error: unknown) => {
            item.outcome = isRefusal(error) ? 'refused' : 'ambiguous';
          },
        );
      }
      await pause(random.int(100, 400), context.signal);
    }
  }

  /**
   * Takes LockingQueue items and consumes each with its record, until it takes a stop item. Each
   * get has a timeout, so some give up while taking an entry: the entry must be given back
   * (docs/recipes.md#lockingqueue-lost-take), or it stays blocked and the check finds it.
   */
  async #consumeLocking(client: ChaosClient, plant: QueueWorkOptions['plant']): Promise<void> {
    const { zk, name } = client;
    const queue = zk.LockingQueue(this.#locking);
    let taken = 0;
    while (!this.#stop.signal.aborted) {
      try {
        this.operations++;
        const value = await queue.get({ timeout: this.options.random.int(200, 3000) });
        if (value === null) continue;
        const item = value.toString();
        this.operations++;
        if (item === STOP) {
          if (await queue.consume()) return;
          continue;
        }
        taken++;
        await pause(this.options.random.int(0, 10));
        if (plant === 'take-without-removing') {
          // Planted: the record outside the fence, and the first item and every third after it
          // given back (from the first, so even a short run on a busy machine has one).
          await zk.create(`${this.#done}/${item}-`, name, { sequence: true });
          if (taken % 3 === 1) await queue.release();
          else await queue.consume();
        } else {
          await queue.consume({
            also: (txn) => txn.create(`${this.#done}/${item}-`, name, { sequence: true }),
          });
        }
      } catch (error) {
        if (this.#stop.signal.aborted || error instanceof ConnectionClosedError) break;
        this.#count(error);
        await pause(100);
      }
    }
  }

  /** Takes Queue items, until told to stop. */
  async #consumeQueue(client: ChaosClient, plant: QueueWorkOptions['plant']): Promise<void> {
    const { zk } = client;
    const queue = zk.Queue(this.#queue);
    const signal = this.#stop.signal;
    const planted = plant === 'take-without-removing';
    while (!signal.aborted) {
      try {
        this.operations++;
        const value = planted ? await peek(zk, this.#queue) : await queue.get({ timeout: 5000 });
        if (value === null) {
          await pause(100, signal);
          continue;
        }
        const item = value.toString();
        this.#queueTaken.set(item, (this.#queueTaken.get(item) ?? 0) + 1);
        if (planted) await pause(50, signal);
      } catch (error) {
        if (signal.aborted) break;
        this.#count(error);
        await pause(100);
      }
    }
  }

  /**
   * Lets the consumers empty both queues (the producer has stopped), stops them, and checks every
   * item. `deadlineMs` bounds the wait for the queues to empty and for taken nodes of dead sessions
   * to go.
   */
  async finish(
    context: ChaosContext,
    admin: ZooKeeperClient,
    deadlineMs: number,
  ): Promise<{
    checks: number;
    violations: ChaosViolation[];
    counts: Record<string, number>;
  }> {
    const { invariant } = this.options;
    const entries = `${this.#locking}/entries`;
    const count = async (path: string) =>
      (await admin.retry(() => admin.getChildren(path)).catch(() => [])).length;
    // The producer's loop ends with the run; the consumers', once the queues are empty, with a
    // stop item each (put last: lowest priority).
    await this.#loops[0]; // the producer
    const emptied = await eventually(
      async () => (await count(entries)) === 0 && (await count(this.#queue)) === 0,
      deadlineMs,
      250,
    );
    const stops = this.options.consumers.map(() => STOP);
    await admin.retry(() => admin.LockingQueue(this.#locking).putAll(stops, 999));
    const stopped = await within(Promise.all(this.#lockingLoops), deadlineMs);
    this.#stop.abort(new Error('the queues are empty'));
    await within(Promise.all(this.#loops), deadlineMs);
    // A stop item put twice by a retried putAll whose first reply was lost: not an item.
    for (const name of await admin.retry(() => admin.getChildren(entries))) {
      const [data] = await admin.retry(() => admin.get(`${entries}/${name}`));
      if (String(data) === STOP)
        await admin.retry(() => admin.delete(`${entries}/${name}`)).catch(() => undefined);
    }
    tracingChannel<unknown, RequestTraceContext>('zookit:request').unsubscribe(this.#subscribers);
    await eventually(async () => (await count(`${this.#locking}/taken`)) === 0, context.sessionTimeoutMs * 2);

    const violations: ChaosViolation[] = [];
    const violation = (message: string) => violations.push({ invariant, message, atMs: context.log.now() });
    let checks = 0;
    await admin.retry(() => admin.sync(this.options.root));
    const entriesLeft = await count(entries);
    const takenLeft = await count(`${this.#locking}/taken`);
    const queueLeft = await count(this.#queue);
    checks += 4;
    if (!stopped) violation('a LockingQueue consumer did not take its stop item once the queue was empty');
    if (!emptied || entriesLeft + queueLeft > 0)
      violation(
        `the queues were not emptied: ${entriesLeft} LockingQueue and ${queueLeft} Queue entries left`,
      );
    if (takenLeft > 0) {
      const taken = `${this.#locking}/taken`;
      const left = await admin.retry(() => admin.getChildren(taken)).catch(() => []);
      const owners = await Promise.all(
        left.map(async (name) => {
          const stat = await admin.exists(`${taken}/${name}`).catch(() => null);
          const owner = stat?.ephemeralOwner;
          const who = owner === undefined ? undefined : this.#sessions.get(owner);
          return `${name} (session 0x${owner?.toString(16)}${who === undefined ? '' : ` of ${who}`})`;
        }),
      );
      violation(
        `${takenLeft} LockingQueue taken/ node(s) left after every consumer stopped: ${owners.join(', ')}`,
      );
    }

    // LockingQueue: records per item.
    const records = new Map<string, number>();
    for (const record of await admin.retry(() => admin.getChildren(this.#done))) {
      const item = record.slice(0, record.lastIndexOf('-'));
      records.set(item, (records.get(item) ?? 0) + 1);
    }
    const put = new Set<string>();
    const problems = { duplicates: 0, lost: 0, partial: 0, unknown: 0 };
    for (const batch of this.#lockingPuts) {
      const counts = batch.items.map((item) => records.get(item) ?? 0);
      for (const item of batch.items) put.add(item);
      checks += batch.items.length;
      problems.duplicates += counts.filter((n) => n > 1).length;
      if (batch.outcome === 'acknowledged') problems.lost += counts.filter((n) => n === 0).length;
      else if (batch.outcome === 'ambiguous' && new Set(counts.map((n) => n > 0)).size > 1)
        problems.partial++;
      else if (batch.outcome === 'refused') problems.unknown += counts.filter((n) => n > 0).length;
    }
    for (const item of records.keys()) {
      checks++;
      if (!put.has(item)) problems.unknown++;
    }
    if (problems.duplicates > 0)
      violation(`${problems.duplicates} LockingQueue item(s) consumed more than once`);
    if (problems.lost > 0) violation(`${problems.lost} acknowledged LockingQueue item(s) never consumed`);
    if (problems.partial > 0)
      violation(`${problems.partial} LockingQueue batch(es) consumed in part: putAll is all or none`);
    if (problems.unknown > 0) violation(`${problems.unknown} LockingQueue record(s) of items nobody put`);

    // Queue: at most once, and every loss explained by an ambiguous delete.
    let queueTwice = 0;
    let queueLost = 0;
    let lostToAmbiguousDeletes = 0;
    for (const item of this.#queuePuts) {
      checks++;
      const id = item.items[0]!;
      const times = this.#queueTaken.get(id) ?? 0;
      if (times > 1) queueTwice++;
      if (times === 0 && item.outcome === 'acknowledged') {
        if (this.#ambiguousDeletes.has(`${this.#queue}/${item.entry}`)) lostToAmbiguousDeletes++;
        else queueLost++;
      }
    }
    if (queueTwice > 0) violation(`${queueTwice} Queue item(s) taken more than once`);
    if (queueLost > 0)
      violation(
        `${queueLost} acknowledged Queue item(s) never taken, with no lost delete reply to explain it`,
      );
    return {
      checks,
      violations,
      counts: {
        lockingQueueItems: put.size,
        lockingQueueRecords: [...records.values()].reduce((a, b) => a + b, 0),
        queueItems: this.#queuePuts.length,
        queueLostToLostDeleteReplies: lostToAmbiguousDeletes,
      },
    };
  }

  /** Stops everything still running (after a failed check); a call still waiting ends when the runner stops the clients. */
  async close(): Promise<void> {
    this.#stop.abort(new Error('closed'));
    await within(Promise.all(this.#loops), 5000);
    tracingChannel<unknown, RequestTraceContext>('zookit:request').unsubscribe(this.#subscribers);
  }
}

/** Planted: reads the first Queue entry and returns it without deleting it. */
async function peek(zk: ZooKeeperClient, path: string): Promise<Buffer | null> {
  const first = entriesInOrder(await zk.getChildren(path))[0];
  if (first === undefined) return null;
  const [data] = await zk.get(`${path}/${first}`);
  return data ?? Buffer.alloc(0);
}
