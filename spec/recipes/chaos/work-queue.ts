// The work queue under faults: zookit consumers (sequential or worker-threads handler) take items
// from one LockingQueue and prove each consumption with a fenced record — `consume({ also })`
// creates `<done>/<item>-<seq>` in the transaction that deletes the entry, so a record exists
// exactly when a consume committed. The checker counts records per item: 0 is a lost item, 2+ a
// duplicate. Planted consumers (a consumer that records outside the fence and sometimes gives the
// item back instead of consuming it, or consumes without recording) show that the checker fails.

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WorkerThreadsHandler } from '../../../handlers/worker-threads.js';
import { SequentialMicrotaskHandler, ZooKeeperClient } from '../../../index.js';
import type { SessionCredentials } from '../../../testing/expire-session.js';
import type { TestingCluster } from '../../../testing/testing-cluster.js';
import { sleep } from '../../support.js';
import { FaultInjector, type FaultPlan } from './fault-injector.js';

/** How a consumer behaves: 'fenced' is the right way; the others are planted faults. */
export type ConsumerBehaviour = 'fenced' | 'record-then-release' | 'consume-unrecorded';

export interface WorkQueueOptions {
  name: string;
  cluster: TestingCluster;
  items: number;
  consumers: ReadonlyArray<{ kind: 'zookit-sequential' | 'zookit-worker'; behaviour: ConsumerBehaviour }>;
  faults?: FaultPlan;
  sessionTimeoutMs: number;
  /** Processing time per item, ms. */
  workMs: number;
  deadlineMs: number;
}

export interface WorkQueueReport {
  name: string;
  durationMs: number;
  items: number;
  /** Items with exactly one record. */
  consumedOnce: number;
  /** Items with two or more records, and the records beyond the first. */
  duplicates: number;
  /** Items with no record. */
  lost: number;
  /** Entries and taken nodes left once the run is over. */
  entriesLeft: number;
  takenLeft: number;
  /** Deliveries of an item after its first (a taker lost it: expiry, or a planted release). */
  redeliveries: number;
  /** consume() refused because the taker's session had ended. */
  refusedConsumes: number;
  faults: { total: number; byKind: Record<string, number>; failures: string[] };
  perConsumer: Array<{
    name: string;
    kind: string;
    gets: number;
    consumed: number;
    errors: Record<string, number>;
  }>;
  timedOut: boolean;
  violations: string[];
}

const nameOf = (error: unknown): string =>
  error instanceof Error ? String((error as { code?: unknown }).code ?? error.name) : String(error);

/** One consumer: its own client, one LockingQueue instance, a loop of get, work, consume. */
class QueueConsumer {
  readonly gotten: string[] = [];
  consumed = 0;
  refused = 0;
  holding = false;
  readonly errors: Record<string, number> = {};
  finished: Promise<void> = Promise.resolve();
  #zk: ZooKeeperClient | undefined;
  readonly #stop = new AbortController();

  constructor(
    readonly name: string,
    readonly kind: 'zookit-sequential' | 'zookit-worker',
    private readonly behaviour: ConsumerBehaviour,
    private readonly options: {
      hosts: string;
      sessionTimeoutMs: number;
      path: string;
      done: string;
      workMs: number;
    },
  ) {}

  get session(): SessionCredentials | undefined {
    const id = this.#zk?.clientId;
    return id === undefined ? undefined : { sessionId: id.sessionId, passwd: id.password };
  }

  async start(): Promise<void> {
    this.#zk = new ZooKeeperClient({
      hosts: this.options.hosts,
      handler: this.kind === 'zookit-worker' ? new WorkerThreadsHandler() : new SequentialMicrotaskHandler(),
      sessionTimeout: this.options.sessionTimeoutMs,
      connectionRetry: { maxDelay: 500 },
      requestTimeout: 10_000,
    });
    await this.#zk.start({ timeout: 20_000 });
    this.finished = this.#run(this.#zk);
  }

  async #run(zk: ZooKeeperClient): Promise<void> {
    const queue = zk.LockingQueue(this.options.path);
    const signal = this.#stop.signal;
    const { done, workMs } = this.options;
    while (!signal.aborted) {
      try {
        const value = await queue.get({ timeout: 1000, signal });
        if (value === null) continue;
        const item = value.toString();
        this.gotten.push(item);
        this.holding = true;
        await sleep(workMs); // the work
        let ok: boolean;
        const n = this.gotten.length;
        if (this.behaviour === 'record-then-release') {
          // Planted: records outside the fence, and every 4th time gives the item back.
          await zk.create(`${done}/${item}-`, this.name, { sequence: true });
          ok = n % 4 === 0 ? !(await queue.release()) : await queue.consume();
        } else if (this.behaviour === 'consume-unrecorded' && n % 5 === 0) {
          // Planted: consumes without the record (the work's result is lost).
          ok = await queue.consume();
        } else {
          ok = await queue.consume({
            also: (txn) => txn.create(`${done}/${item}-`, this.name, { sequence: true }),
          });
        }
        if (ok) this.consumed++;
        else this.refused++;
      } catch (error) {
        if (signal.aborted) break;
        this.#count(nameOf(error));
        await sleep(100);
      } finally {
        this.holding = false;
      }
    }
  }

  #count(key: string): void {
    this.errors[key] = (this.errors[key] ?? 0) + 1;
  }

  async close(): Promise<void> {
    this.#stop.abort(new Error('the run is over'));
    await this.finished.catch(() => undefined);
    await this.#zk?.stop().catch(() => undefined);
  }
}

let runs = 0;

/** Puts the items, runs the consumers (and the faults) until the queue is empty, and checks. */
export async function runWorkQueue(options: WorkQueueOptions): Promise<WorkQueueReport> {
  const started = performance.now();
  const root = `/workq-${options.name}-${process.pid}-${++runs}`;
  const path = `${root}/queue`;
  const done = `${root}/done`;
  const observer = new ZooKeeperClient({
    hosts: options.cluster.connectString,
    sessionTimeout: 10_000,
    connectionRetry: { maxDelay: 500 },
    requestTimeout: 10_000,
  });
  const consumers: QueueConsumer[] = [];
  let injector: FaultInjector | undefined;
  try {
    await observer.start({ timeout: 20_000 });
    await observer.create(done, undefined, { makepath: true });
    const ids = Array.from({ length: options.items }, (_, i) => `item-${String(i).padStart(5, '0')}`);
    const producer = observer.LockingQueue(path);
    for (let i = 0; i < ids.length; i += 200) await producer.putAll(ids.slice(i, i + 200), (i / 200) % 3);

    options.consumers.forEach(({ kind, behaviour }, i) => {
      const name = `${kind === 'zookit-worker' ? 'zw' : 'zs'}${i + 1}`;
      consumers.push(
        new QueueConsumer(name, kind, behaviour, {
          hosts: options.cluster.connectString,
          sessionTimeoutMs: options.sessionTimeoutMs,
          path,
          done,
          workMs: options.workMs,
        }),
      );
    });
    await Promise.all(consumers.map((consumer) => consumer.start()));
    if (options.faults) {
      injector = new FaultInjector(options.cluster, consumers, options.faults);
      injector.start();
    }

    // Until every entry is consumed (or the deadline).
    let timedOut = false;
    for (;;) {
      await sleep(250);
      const left = await observer
        .retry(() => observer.get(`${path}/entries`))
        .then(([, stat]) => stat.numChildren)
        .catch(() => -1);
      if (left === 0) break;
      if (performance.now() - started > options.deadlineMs) {
        timedOut = true;
        break;
      }
    }
    await injector?.stop();
    await Promise.all(consumers.map((consumer) => consumer.close()));

    // Taken nodes of sessions still dying go within a session timeout.
    const deadline = performance.now() + options.sessionTimeoutMs + 5_000;
    let taken: string[];
    for (;;) {
      taken = await observer.retry(() => observer.getChildren(`${path}/taken`));
      if (taken.length === 0 || performance.now() > deadline) break;
      await sleep(250);
    }
    await observer.sync(root);
    const entries = await observer.retry(() => observer.getChildren(`${path}/entries`));
    const records = await observer.retry(() => observer.getChildren(done));

    const perItem = new Map<string, number>(ids.map((id) => [id, 0]));
    for (const record of records) {
      const id = record.slice(0, record.lastIndexOf('-'));
      perItem.set(id, (perItem.get(id) ?? 0) + 1);
    }
    const counts = [...perItem.values()];
    const gotten = consumers.flatMap((consumer) => consumer.gotten);
    const report: WorkQueueReport = {
      name: options.name,
      durationMs: Math.round(performance.now() - started),
      items: ids.length,
      consumedOnce: counts.filter((n) => n === 1).length,
      duplicates: counts.reduce((sum, n) => sum + Math.max(0, n - 1), 0),
      lost: counts.filter((n) => n === 0).length,
      entriesLeft: entries.length,
      takenLeft: taken.length,
      redeliveries: gotten.length - new Set(gotten).size,
      refusedConsumes: consumers.reduce((sum, consumer) => sum + consumer.refused, 0),
      faults: {
        total: injector?.faults.length ?? 0,
        byKind: { ...(injector?.byKind ?? {}) } as Record<string, number>,
        failures: injector?.failures ?? [],
      },
      perConsumer: consumers.map((c) => ({
        name: c.name,
        kind: c.kind,
        gets: c.gotten.length,
        consumed: c.consumed,
        errors: c.errors,
      })),
      timedOut,
      violations: [],
    };
    const v = report.violations;
    if (report.duplicates > 0) v.push(`${report.duplicates} duplicate consumption(s)`);
    if (report.lost > 0) v.push(`${report.lost} item(s) lost: never consumed`);
    if (report.entriesLeft > 0) v.push(`${report.entriesLeft} entries left in the queue`);
    if (report.takenLeft > 0) v.push(`${report.takenLeft} taken/ nodes left`);
    if (timedOut) v.push(`not done within ${options.deadlineMs} ms`);
    await publish(report);
    await observer.delete(root, { recursive: true }).catch(() => undefined);
    return report;
  } finally {
    await injector?.stop().catch(() => undefined);
    await Promise.all(consumers.map((consumer) => consumer.close()));
    await observer.stop().catch(() => undefined);
  }
}

async function publish(report: WorkQueueReport): Promise<void> {
  const { perConsumer, ...counts } = report;
  console.log(`work queue ${report.name}: ${JSON.stringify(counts)}`);
  const dir = join(__dirname, '..', '..', '..', '.build', 'chaos');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, `${report.name}.json`), `${JSON.stringify(report, null, 2)}\n`);
}
