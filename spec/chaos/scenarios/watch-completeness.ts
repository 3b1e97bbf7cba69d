// Invariant 3, "watch completeness": for a watched node, every committed version is reported by
// DataWatch, by a persistent watch and by CuratorCache, or superseded by a later reported version;
// never skipped silently — the last version is reported by each, and none goes back.
//
// Two writers (one per handler, behind proxies) set a few nodes with values that name the write;
// each set's outcome is written down (acknowledged with its version, or ambiguous). Two watching
// clients (one per handler, behind proxies) each run, per node, a DataWatch and a persistent
// watch (addWatch 'persistent', read again on each event and on the "resumed" event, added again
// after a session loss), and one CuratorCache over the nodes' parent. Each records the versions it
// reports, with their values.
//
// Once the faults stopped, the scenario closes with two gaps (support.ts): the watching clients
// are cut off, every node is set, and their connections reset — first plainly, then with their
// sessions expired meanwhile — so every run, whatever its schedule, has changes the watchers only
// learn of through SetWatches, a resync or a re-arm after a new session. Then, per watcher and node:
// - the versions reported only grow (a watcher that goes back reports an older state as news);
// - each version comes with the value written at that version (the acknowledged writes give
//   most; every watcher reporting a version must agree on its value, and the value must be one
//   some writer tried for that node);
// - the node's final version is reported, within three session timeouts after the last gap.
// Planted fault (`plant: 'no-rearm-after-session-loss'`): the persistent watches of the first
// watching client are not added again after a session loss, as a user who forgets that a
// persistent watch ends with its session would do; after the expiring gap they report nothing more.

import {
  ClientState,
  type CuratorCache,
  type DataWatch,
  EventType,
  KeeperState,
  type WatchedEvent,
  type ZooKeeperClient,
} from '../../../index.js';
import type {
  ChaosClient,
  ChaosContext,
  ChaosScenario,
  ScenarioVerdict,
} from '../../../testing/chaos/scenario.js';
import type { SeededRandom } from '../../../testing/chaos/seeded-random.js';
import {
  changeWhileAway,
  eventually,
  isRefusal,
  openClient,
  pause,
  removeRoot,
  scenarioRoot,
  Violations,
} from './support.js';

/** Options of the scenario. */
export interface WatchCompletenessOptions {
  /** A deliberately broken watcher, for the planted-fault test. */
  plant?: 'no-rearm-after-session-loss';
  /** Watched nodes (default 4). */
  nodes?: number;
}

/** One version a watcher reported. */
interface Report {
  readonly version: number;
  readonly value: string;
  readonly atMs: number;
}

const NAME = 'watch-completeness';
const KINDS = ['DataWatch', 'persistent', 'CuratorCache'] as const;

/** The scenario; `plant` breaks one client's persistent watches. */
export function watchCompletenessScenario(options: WatchCompletenessOptions = {}): ChaosScenario {
  return new WatchCompleteness(options);
}

class WatchCompleteness implements ChaosScenario {
  readonly name = NAME;
  readonly invariants = [NAME] as const;
  #root = '';
  #admin: ChaosClient | undefined;
  readonly #watching: ChaosClient[] = [];
  #nodes: string[] = [];
  /** Reports by watcher (`<client>/<kind>`) and node. */
  readonly #reports = new Map<string, Map<string, Report[]>>();
  /** Per node: the value of each acknowledged version. */
  readonly #acknowledged = new Map<string, Map<number, string>>();
  /** Per node: every value any write tried. */
  readonly #tried = new Map<string, Set<string>>();
  readonly #stops: Array<() => Promise<void>> = [];
  #loops: Promise<void>[] = [];
  #operations = 0;
  #ambiguous = 0;

  constructor(private readonly options: WatchCompletenessOptions) {}

  async start(context: ChaosContext): Promise<void> {
    this.#root = scenarioRoot(NAME, context);
    this.#admin = await openClient(context, `${NAME}-admin`, 'sequential', false);
    const admin = this.#admin.zk;
    this.#nodes = Array.from({ length: this.options.nodes ?? 4 }, (_, i) => `${this.#root}/n${i + 1}`);
    for (const node of this.#nodes) {
      await admin.retry(() => admin.create(node, 'initial', { makepath: true }));
      this.#acknowledged.set(node, new Map([[0, 'initial']]));
      this.#tried.set(node, new Set(['initial']));
    }

    for (const [i, handler] of (['sequential', 'worker'] as const).entries()) {
      const client = await openClient(context, `${NAME}-watch-${handler}`, handler);
      this.#watching.push(client);
      await this.#watch(context, client, i === 0 ? this.options.plant : undefined);
    }
    const half = Math.ceil(this.#nodes.length / 2);
    for (const [i, handler] of (['sequential', 'worker'] as const).entries()) {
      const client = await openClient(context, `${NAME}-write-${handler}`, handler);
      const own = this.#nodes.slice(i * half, (i + 1) * half);
      this.#loops.push(this.#write(context, client.zk, own, context.random.fork(client.name)));
    }
  }

  /** Starts the three watchers of one client on every node. */
  async #watch(
    context: ChaosContext,
    client: ChaosClient,
    plant: WatchCompletenessOptions['plant'],
  ): Promise<void> {
    const { zk, name } = client;
    const recorder = (kind: (typeof KINDS)[number]) => {
      const byNode = new Map(this.#nodes.map((node) => [node, [] as Report[]]));
      this.#reports.set(`${name}/${kind}`, byNode);
      return (node: string, version: number, value: string) =>
        byNode.get(node)?.push({ version, value, atMs: context.log.now() });
    };
    const dataWatch = recorder('DataWatch');
    const persistent = recorder('persistent');
    const cached = recorder('CuratorCache');
    for (const node of this.#nodes) {
      const watch: DataWatch = zk.DataWatch(node, (data, stat) => {
        if (stat !== null) dataWatch(node, stat.version, String(data));
      });
      this.#stops.push(() => watch.stop());
      const watcher = new PersistentWatcher(zk, node, (version, value) => persistent(node, version, value), {
        rearmAfterSessionLoss: plant !== 'no-rearm-after-session-loss',
      });
      await watcher.start();
      this.#stops.push(() => watcher.stop());
    }
    const cache: CuratorCache = zk.CuratorCache(this.#root);
    cache.on('nodeAdded', (node) => cached(node.path, node.stat.version, String(node.data)));
    cache.on('nodeUpdated', (node) => cached(node.path, node.stat.version, String(node.data)));
    this.#stops.push(() => cache.close());
    await cache.start();
  }

  /** One writer: sets its nodes, a write every few ms, until the run stops. */
  async #write(context: ChaosContext, zk: ZooKeeperClient, nodes: readonly string[], random: SeededRandom) {
    let n = 0;
    while (!context.signal.aborted) {
      const node = random.pick(nodes);
      const value = `${node.slice(node.lastIndexOf('/') + 1)}:${++n}`;
      this.#tried.get(node)!.add(value);
      this.#operations++;
      try {
        const stat = await zk.set(node, value);
        this.#acknowledged.get(node)!.set(stat.version, value);
      } catch (error) {
        if (!isRefusal(error)) this.#ambiguous++;
      }
      await pause(random.int(5, 40), context.signal);
    }
  }

  /** Sets every node from the admin client (retried until acknowledged): the gaps' changes. */
  async #setAll(label: string): Promise<void> {
    const admin = this.#admin!.zk;
    for (const node of this.#nodes) {
      const value = `${label}:${node.slice(node.lastIndexOf('/') + 1)}`;
      this.#tried.get(node)!.add(value);
      this.#operations++;
      const stat = await admin.retry(() => admin.set(node, value));
      this.#acknowledged.get(node)!.set(stat.version, value);
    }
  }

  async check(context: ChaosContext): Promise<ScenarioVerdict> {
    await Promise.all(this.#loops);
    await changeWhileAway(context, this.#watching, () => this.#setAll('gap'));
    await changeWhileAway(context, this.#watching, () => this.#setAll('expired-gap'), { expire: true });

    const admin = this.#admin!.zk;
    await admin.retry(() => admin.sync(this.#root));
    const final = new Map<string, number>();
    for (const node of this.#nodes) final.set(node, (await admin.retry(() => admin.get(node)))[1].version);
    const caughtUp = () =>
      [...this.#reports.values()].every((byNode) =>
        [...byNode].every(([node, reports]) => reports.at(-1)?.version === final.get(node)),
      );
    await eventually(caughtUp, context.sessionTimeoutMs * 3);

    const violations = new Violations(NAME);
    let checks = 0;
    let reported = 0;
    let superseded = 0;
    const violation = (message: string, atMs?: number, kind = 'reports') =>
      violations.add(message, atMs, kind);
    /** The value every watcher reported at a version, to hold them to one another. */
    const agreed = new Map<string, string>();
    for (const [watcher, byNode] of this.#reports) {
      for (const [node, reports] of byNode) {
        let previous: Report | undefined;
        const seen = new Set<number>();
        for (const report of reports) {
          checks++;
          seen.add(report.version);
          if (previous !== undefined && report.version <= previous.version)
            violation(
              `${watcher} reported ${node} at version ${report.version} after version ${previous.version}`,
              report.atMs,
            );
          const known = this.#acknowledged.get(node)!.get(report.version);
          const key = `${node}@${report.version}`;
          const other = agreed.get(key);
          if (known !== undefined && known !== report.value)
            violation(
              `${watcher} reported ${node} version ${report.version} as '${report.value}', but '${known}' was acknowledged at that version`,
              report.atMs,
            );
          else if (other !== undefined && other !== report.value)
            violation(
              `${watcher} reported ${node} version ${report.version} as '${report.value}', another watcher as '${other}'`,
              report.atMs,
            );
          else if (!this.#tried.get(node)!.has(report.value))
            violation(`${watcher} reported ${node} as '${report.value}', which no write tried`, report.atMs);
          agreed.set(key, report.value);
          previous = report;
        }
        checks++;
        const last = final.get(node)!;
        reported += seen.size;
        superseded += last + 1 - seen.size;
        if (previous?.version !== last)
          violation(
            `${watcher} never reported ${node} at its final version ${last} (last reported: ${previous === undefined ? 'nothing' : `version ${previous.version}`})`,
            previous?.atMs,
            Violations.ALWAYS, // one per watcher and node at most
          );
      }
    }
    return {
      operations: this.#operations,
      checks,
      violations: violations.done(),
      counts: {
        nodes: this.#nodes.length,
        watchers: this.#reports.size,
        versionsCommitted: [...final.values()].reduce((sum, v) => sum + v + 1, 0),
        versionsReported: reported,
        versionsSuperseded: superseded,
        ambiguousWrites: this.#ambiguous,
      },
    };
  }

  async close(): Promise<void> {
    await Promise.all(this.#loops);
    await Promise.all(this.#stops.map((stop) => stop().catch(() => undefined)));
    await removeRoot(this.#admin?.zk, this.#root);
  }
}

/**
 * A persistent watch on one node, read again (serially) on each of its events and on the
 * "re-registered after a reconnect" event (type None, SyncConnected: docs/watches.md), added again
 * after a session loss unless `rearmAfterSessionLoss` is false (the planted fault). Reports each
 * version read that differs from the last reported.
 */
class PersistentWatcher {
  #reading = false;
  #again = false;
  /** The watch must be added (first time, after a session loss). */
  #unwatched = true;
  /** A read failed: read again on the next CONNECTED. */
  #dirty = false;
  #stopped = false;
  #lastVersion: number | undefined;
  readonly #onEvent = (event: WatchedEvent): void => {
    if (event.type === EventType.None && event.state !== KeeperState.SyncConnected) return; // the session ended: see onState
    this.#refresh();
  };
  readonly #onState = (state: ClientState): void => {
    if (state === ClientState.LOST && this.options.rearmAfterSessionLoss) this.#unwatched = true;
    if (state === ClientState.CONNECTED && (this.#dirty || this.#unwatched)) this.#refresh();
  };

  constructor(
    private readonly zk: ZooKeeperClient,
    private readonly path: string,
    private readonly report: (version: number, value: string) => void,
    private readonly options: { rearmAfterSessionLoss: boolean },
  ) {}

  async start(): Promise<void> {
    this.zk.on('state', this.#onState);
    this.#refresh();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.zk.off('state', this.#onState);
    await this.zk.removeWatches(this.path, 'persistent', { callback: this.#onEvent }).catch(() => undefined);
  }

  /** One read at a time; a request made meanwhile runs once after it. */
  #refresh(): void {
    if (this.#stopped) return;
    if (this.#reading) {
      this.#again = true;
      return;
    }
    this.#reading = true;
    void (async () => {
      do {
        this.#again = false;
        this.#dirty = false;
        try {
          if (this.#unwatched) {
            await this.zk.addWatch(this.path, this.#onEvent, { mode: 'persistent' });
            this.#unwatched = false;
          }
          const [data, stat] = await this.zk.get(this.path);
          if (stat.version !== this.#lastVersion && !this.#stopped) {
            this.#lastVersion = stat.version;
            this.report(stat.version, String(data));
          }
        } catch {
          this.#dirty = true;
        }
      } while (this.#again && !this.#stopped);
      this.#reading = false;
      // Connected again while the read failed: CONNECTED came already, so try once more soon.
      if (this.#dirty && this.zk.isConnected) await pause(200).then(() => this.#refresh());
    })();
  }
}
