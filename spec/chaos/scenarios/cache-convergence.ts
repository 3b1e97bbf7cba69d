// Invariant 5, "cache convergence": after the faults stop, TreeCache and CuratorCache equal the
// server's tree — the same paths, and each node's data and version — within one session timeout.
//
// Two writers (one per handler, behind proxies) grow and shrink a tree three levels deep: create
// nodes under random parents, set them, delete subtrees, a change every few ms. Two caching
// clients (one per handler, behind proxies) each run a TreeCache (one-shot watches per node) and a
// CuratorCache (one persistent recursive watch) of the tree.
//
// Once the faults stopped, the scenario closes with two gaps (support.ts): the caching clients are
// cut off while nodes are created, set and deleted, and their connections reset — first plainly,
// then with their sessions expired meanwhile — so every run has changes a cache learns of only by
// doing its reconnect work (SetWatches' replay, a resync, a rebuild after a new session). Then the
// server's tree is read, and each cache must equal it within one session timeout of its client
// being connected again. The report counts the longest time a cache took.
// Planted fault (`plant: 'curator-cache-ignores-reconnect'`): the first client's CuratorCache has
// its reconnect handling switched off (its state listener ignores CONNECTED), so it neither resyncs
// after a reconnect nor adds its watch again after a session loss.

import {
  type CachedNode,
  ClientState,
  type CuratorCache,
  type TreeCache,
  type ZooKeeperClient,
} from '../../../index.js';
import type {
  ChaosClient,
  ChaosContext,
  ChaosScenario,
  ChaosViolation,
  ScenarioVerdict,
} from '../../../testing/chaos/scenario.js';
import type { SeededRandom } from '../../../testing/chaos/seeded-random.js';
import { changeWhileAway, connected, openClient, pause, removeRoot, scenarioRoot } from './support.js';

/** Options of the scenario. */
export interface CacheConvergenceOptions {
  /** A deliberately broken cache, for the planted-fault test. */
  plant?: 'curator-cache-ignores-reconnect';
  /** The tree stays around this many nodes (default 120). */
  nodes?: number;
}

/** A node as compared: data as text, and version. */
type NodeState = { readonly data: string; readonly version: number };

const NAME = 'cache-convergence';
/** Deepest level of the tree below its root. */
const MAX_DEPTH = 3;

/** The scenario; `plant` switches off one CuratorCache's reconnect handling. */
export function cacheConvergenceScenario(options: CacheConvergenceOptions = {}): ChaosScenario {
  return new CacheConvergence(options);
}

class CacheConvergence implements ChaosScenario {
  readonly name = NAME;
  readonly invariants = [NAME] as const;
  #root = '';
  #tree = '';
  #admin: ChaosClient | undefined;
  readonly #caching: ChaosClient[] = [];
  /** Each cache by name (`<client>/<kind>`), with how to read its whole content. */
  readonly #caches: Array<{ name: string; client: ChaosClient; read: () => Map<string, NodeState> }> = [];
  readonly #closers: Array<() => Promise<void>> = [];
  /** Paths the writers believe exist (best effort: they share it and race). */
  readonly #paths = new Set<string>();
  #loops: Promise<void>[] = [];
  #operations = 0;
  #names = 0;

  constructor(private readonly options: CacheConvergenceOptions) {}

  async start(context: ChaosContext): Promise<void> {
    this.#root = scenarioRoot(NAME, context);
    this.#tree = `${this.#root}/tree`;
    this.#admin = await openClient(context, `${NAME}-admin`, 'sequential', false);
    const admin = this.#admin.zk;
    await admin.retry(() => admin.ensurePath(this.#tree));
    const seed = context.random.fork('seed-tree');
    for (let i = 0; i < (this.options.nodes ?? 120) / 2; i++) {
      const path = this.#newPath(seed);
      if (path !== undefined) {
        await admin.retry(() => admin.create(path, 'v0'));
        this.#paths.add(path);
      }
    }

    for (const [i, handler] of (['sequential', 'worker'] as const).entries()) {
      const client = await openClient(context, `${NAME}-cache-${handler}`, handler);
      this.#caching.push(client);
      const tree = client.zk.TreeCache(this.#tree);
      this.#closers.push(() => tree.close());
      await tree.start();
      this.#caches.push({
        name: `${client.name}/TreeCache`,
        client,
        read: () => treeCacheContent(tree, this.#tree),
      });
      const curator = client.zk.CuratorCache(this.#tree);
      this.#closers.push(() => curator.close());
      await curator.start();
      if (i === 0 && this.options.plant === 'curator-cache-ignores-reconnect') ignoreReconnects(curator);
      this.#caches.push({
        name: `${client.name}/CuratorCache`,
        client,
        read: () => curatorCacheContent(curator),
      });
    }
    for (const handler of ['sequential', 'worker'] as const) {
      const client = await openClient(context, `${NAME}-write-${handler}`, handler);
      this.#loops.push(this.#write(context, client.zk, context.random.fork(client.name)));
    }
  }

  /** A new path under a random known node above the deepest level, or undefined. */
  #newPath(random: SeededRandom): string | undefined {
    const parents = [this.#tree, ...[...this.#paths].filter((p) => depth(p, this.#tree) < MAX_DEPTH)];
    const parent = random.pick(parents);
    return `${parent}/n${++this.#names}`;
  }

  /** One writer: creates, sets and deletes (subtrees) until the run stops. */
  async #write(context: ChaosContext, zk: ZooKeeperClient, random: SeededRandom): Promise<void> {
    const target = this.options.nodes ?? 120;
    while (!context.signal.aborted) {
      await this.#change(zk, random, target).catch(() => undefined); // refused or ambiguous: the tree is what it is
      await pause(random.int(5, 30), context.signal);
    }
  }

  /** One change, chosen to keep the tree near `target` nodes. */
  async #change(zk: ZooKeeperClient, random: SeededRandom, target: number): Promise<void> {
    this.#operations++;
    const known = [...this.#paths];
    const r = random.next();
    const createBias = known.length < target ? 0.45 : 0.25;
    if (known.length === 0 || r < createBias) {
      const path = this.#newPath(random);
      if (path === undefined) return;
      await zk.create(path, `v${random.int(0, 999)}`);
      this.#paths.add(path);
    } else if (r < 0.85) {
      await zk.set(random.pick(known), `v${random.int(0, 999)}`);
    } else {
      const path = random.pick(known);
      await zk.delete(path, { recursive: true });
      for (const p of known) if (p === path || p.startsWith(`${path}/`)) this.#paths.delete(p);
    }
  }

  /** A few changes of each kind, from the admin client: a gap's changes. */
  async #gapChanges(random: SeededRandom): Promise<void> {
    const admin = this.#admin!.zk;
    for (let i = 0; i < 9; i++) await this.#change(admin, random, 0).catch(() => undefined);
    for (let i = 0; i < 3; i++) {
      const path = this.#newPath(random);
      if (path === undefined) continue;
      this.#operations++;
      await admin.retry(() => admin.create(path, 'gap')).catch(() => undefined);
      this.#paths.add(path);
    }
  }

  async check(context: ChaosContext): Promise<ScenarioVerdict> {
    await Promise.all(this.#loops);
    const random = context.random.fork('gaps');
    await changeWhileAway(context, this.#caching, () => this.#gapChanges(random));
    await changeWhileAway(context, this.#caching, () => this.#gapChanges(random), { expire: true });

    const admin = this.#admin!.zk;
    await admin.retry(() => admin.sync(this.#tree));
    const server = await serverContent(admin, this.#tree);

    const violations: ChaosViolation[] = [];
    let checks = 0;
    let slowestMs = 0;
    await Promise.all(
      this.#caches.map(async (cache) => {
        await connected(cache.client.zk, context.sessionTimeoutMs * 3 + 10_000);
        const from = performance.now();
        let differences = difference(server, cache.read());
        while (differences.length > 0 && performance.now() - from < context.sessionTimeoutMs) {
          await pause(50);
          differences = difference(server, cache.read());
        }
        slowestMs = Math.max(slowestMs, Math.round(performance.now() - from));
        checks += server.size + 1;
        if (differences.length > 0)
          violations.push({
            invariant: NAME,
            message:
              `${cache.name} does not equal the server's tree of ${server.size} nodes ` +
              `${context.sessionTimeoutMs} ms after its client was connected again: ` +
              `${differences.length} difference(s), e.g. ${differences.slice(0, 3).join('; ')}`,
            atMs: context.log.now(),
          });
      }),
    );
    return {
      operations: this.#operations,
      checks,
      violations,
      counts: { caches: this.#caches.length, nodes: server.size, slowestConvergenceMs: slowestMs },
    };
  }

  async close(): Promise<void> {
    await Promise.all(this.#loops);
    await Promise.all(this.#closers.map((close) => close().catch(() => undefined)));
    await removeRoot(this.#admin?.zk, this.#root);
  }
}

/** Levels of `path` below `root`. */
function depth(path: string, root: string): number {
  return path.slice(root.length).split('/').length - 1;
}

/** Planted: the cache's state listener no longer acts on CONNECTED (it stays on its first pass). */
function ignoreReconnects(cache: CuratorCache): void {
  const inner = cache as unknown as { stateChanged(state: ClientState): void };
  const original = inner.stateChanged.bind(cache);
  inner.stateChanged = (state) => {
    if (state !== ClientState.CONNECTED) original(state);
  };
}

/** The server's tree at `root`, read node by node (nothing changes it any more). */
async function serverContent(zk: ZooKeeperClient, root: string): Promise<Map<string, NodeState>> {
  const content = new Map<string, NodeState>();
  const visit = async (path: string): Promise<void> => {
    const [data, stat] = await zk.retry(() => zk.get(path));
    content.set(path, { data: String(data), version: stat.version });
    const children = await zk.retry(() => zk.getChildren(path));
    await Promise.all(children.map((name) => visit(`${path}/${name}`)));
  };
  await visit(root);
  return content;
}

function stateOf(node: CachedNode): NodeState {
  return { data: String(node.data), version: node.stat.version };
}

/** A TreeCache's content, walked from its root. */
function treeCacheContent(cache: TreeCache, root: string): Map<string, NodeState> {
  const content = new Map<string, NodeState>();
  const visit = (path: string) => {
    const node = cache.get(path);
    if (node === undefined) return;
    content.set(path, stateOf(node));
    for (const name of cache.children(path) ?? []) visit(`${path}/${name}`);
  };
  visit(root);
  return content;
}

/** A CuratorCache's content. */
function curatorCacheContent(cache: CuratorCache): Map<string, NodeState> {
  return new Map([...cache.entries()].map((node) => [node.path, stateOf(node)]));
}

/** What differs between the server and a cache, one line each. */
function difference(server: ReadonlyMap<string, NodeState>, cache: ReadonlyMap<string, NodeState>): string[] {
  const lines: string[] = [];
  for (const [path, expected] of server) {
    const cached = cache.get(path);
    if (cached === undefined) lines.push(`${path} missing`);
    else if (cached.version !== expected.version || cached.data !== expected.data)
      lines.push(
        `${path} cached '${cached.data}' v${cached.version}, server '${expected.data}' v${expected.version}`,
      );
  }
  for (const path of cache.keys())
    if (!server.has(path)) lines.push(`${path} cached but gone from the server`);
  return lines;
}
