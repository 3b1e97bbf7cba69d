// Helpers of the TreeCache and CuratorCache specs: the server's tree and a cache's tree in one
// comparable shape, a check that each node's events form a valid history in zxid order, a tree
// builder that uses multi batches, and the 10,000-node tree with its concurrent writes.

import type { ZooKeeperClient } from '../../lib/client/client.js';
import { NodeExistsError, NoNodeError } from '../../lib/errors.js';
import { joinPath } from '../../lib/paths.js';
import type { CacheEvent } from '../../recipes/cache-events.js';
import type { TreeCache } from '../../recipes/tree-cache.js';
import { waitUntil } from '../client/support.js';

/** What the specs read of a cache: TreeCache and CuratorCache both have it. */
export type MirrorCache = Pick<TreeCache, 'get' | 'children' | 'listen'>;

/** Every event of `cache` from now on, in delivery order. */
export function recordEvents(cache: MirrorCache): CacheEvent[] {
  const events: CacheEvent[] = [];
  cache.listen((event) => events.push(event));
  return events;
}

/** The events as short strings ('nodeAdded /a'), for exact comparisons. */
export function describeEvents(events: readonly CacheEvent[]): string[] {
  return events.map((e) => ('node' in e ? `${e.type} ${e.node.path}` : e.type));
}

/** Resolves with the server's tree once the cache holds exactly the server's subtree at `root`. */
export async function waitUntilEqual(
  cache: MirrorCache,
  reader: ZooKeeperClient,
  root: string,
  timeoutMs = 15_000,
): Promise<TreeSnapshot> {
  await reader.sync(root);
  const expected = await serverTree(reader, root);
  let difference: string | undefined;
  await waitUntil(
    () => {
      difference = firstDifference(expected, cacheTree(cache, root));
      return difference === undefined;
    },
    'the cache to match the server',
    { timeoutMs },
  ).catch((error: Error) => {
    throw new Error(`${error.message}; last difference: ${difference}`);
  });
  return expected;
}

/** One node of a tree as compared: data as text, mzxid and sorted children. */
export interface NodeSnapshot {
  data: string | null;
  mzxid: bigint;
  children: string[];
}

/** A whole subtree by path. */
export type TreeSnapshot = Map<string, NodeSnapshot>;

/** The subtree at `root` as the server has it, read level by level with pipelined requests. */
export async function serverTree(zk: ZooKeeperClient, root: string): Promise<TreeSnapshot> {
  const tree: TreeSnapshot = new Map();
  let level = [root];
  while (level.length > 0) {
    const read = await Promise.all(
      level.map(async (path) => {
        const [[data, stat], children] = await Promise.all([zk.get(path), zk.getChildren(path)]);
        return { path, data, stat, children: children.sort() };
      }),
    );
    level = [];
    for (const { path, data, stat, children } of read) {
      tree.set(path, { data: data === null ? null : data.toString(), mzxid: stat.mzxid, children });
      for (const child of children) level.push(joinPath(path, child));
    }
  }
  return tree;
}

/** The subtree at `root` as `cache` (a TreeCache or a CuratorCache) holds it. */
export function cacheTree(cache: MirrorCache, root: string): TreeSnapshot {
  const tree: TreeSnapshot = new Map();
  const walk = (path: string): void => {
    const node = cache.get(path);
    if (node === undefined) return;
    const children = cache.children(path) ?? [];
    tree.set(path, {
      data: node.data === null ? null : node.data.toString(),
      mzxid: node.stat.mzxid,
      children,
    });
    for (const child of children) walk(joinPath(path, child));
  };
  walk(root);
  return tree;
}

/** The first difference between two trees, or undefined when they are equal node by node. */
export function firstDifference(expected: TreeSnapshot, actual: TreeSnapshot): string | undefined {
  for (const [path, node] of expected) {
    const other = actual.get(path);
    if (other === undefined) return `${path} is missing`;
    if (other.data !== node.data || other.mzxid !== node.mzxid)
      return `${path}: expected ${node.data}@${node.mzxid}, got ${other.data}@${other.mzxid}`;
    if (other.children.join('/') !== node.children.join('/'))
      return `${path}: expected children [${node.children}], got [${other.children}]`;
  }
  for (const path of actual.keys()) if (!expected.has(path)) return `${path} should not be there`;
  return undefined;
}

/**
 * Replays node events path by path and throws at the first one that cannot follow the ones before
 * it: an update or removal of an absent node, an addition of a present one, an mzxid that does not
 * grow, an incarnation (czxid) older than the one before. Returns the mzxid of each node present at
 * the end.
 */
export function replayInZxidOrder(events: readonly CacheEvent[]): Map<string, bigint> {
  const present = new Map<string, { czxid: bigint; mzxid: bigint }>();
  const lastCzxid = new Map<string, bigint>();
  for (const [i, event] of events.entries()) {
    if (event.type !== 'nodeAdded' && event.type !== 'nodeUpdated' && event.type !== 'nodeRemoved') continue;
    const { path, stat } = event.node;
    const current = present.get(path);
    const where = `event ${i} (${event.type} ${path} czxid ${stat.czxid} mzxid ${stat.mzxid})`;
    if (event.type === 'nodeAdded') {
      if (current !== undefined) throw new Error(`${where}: the node is already present`);
      const before = lastCzxid.get(path);
      if (before !== undefined && stat.czxid <= before) throw new Error(`${where}: an older incarnation`);
      present.set(path, { czxid: stat.czxid, mzxid: stat.mzxid });
      lastCzxid.set(path, stat.czxid);
    } else if (event.type === 'nodeUpdated') {
      if (current === undefined) throw new Error(`${where}: the node is absent`);
      if (event.previous.stat.mzxid !== current.mzxid)
        throw new Error(`${where}: previous is not the last state`);
      if (stat.czxid !== current.czxid || stat.mzxid <= current.mzxid)
        throw new Error(`${where}: not newer than mzxid ${current.mzxid}`);
      current.mzxid = stat.mzxid;
    } else {
      if (current === undefined) throw new Error(`${where}: the node is absent`);
      if (stat.mzxid !== current.mzxid)
        throw new Error(`${where}: not the last state (mzxid ${current.mzxid})`);
      present.delete(path);
    }
  }
  return new Map([...present].map(([path, { mzxid }]) => [path, mzxid]));
}

/** Creates nodes (parents before children) with multi batches of `batch` creates. */
export async function createInBatches(
  zk: ZooKeeperClient,
  nodes: ReadonlyArray<readonly [path: string, data: string]>,
  batch = 1000,
): Promise<void> {
  for (let i = 0; i < nodes.length; i += batch) {
    const transaction = zk.transaction();
    for (const [path, data] of nodes.slice(i, i + batch)) transaction.create(path, data);
    const results = await transaction.commit();
    const failed = results.find((r) => r instanceof Error);
    if (failed !== undefined) throw failed;
  }
}

/** A small seeded generator of numbers in [0, 1) (mulberry32), so a failing run can be replayed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The big tree's leaves and directories, which `writeWhileBuilding` picks from. */
export interface BigTree {
  leaves: string[];
  dirs: string[];
}

/** `root` with 100 directories of 99 leaves: 10,000 nodes below it. */
export async function createBigTree(writer: ZooKeeperClient, root: string): Promise<BigTree> {
  const nodes: Array<[string, string]> = [[root, '']];
  const tree: BigTree = { leaves: [], dirs: [] };
  for (let d = 0; d < 100; d++) {
    const dir = `${root}/dir${d}`;
    tree.dirs.push(dir);
    nodes.push([dir, `dir ${d}`]);
    for (let l = 0; l < 99; l++) {
      const leaf = `${dir}/leaf${l}`;
      tree.leaves.push(leaf);
      nodes.push([leaf, '0']);
    }
  }
  await createInBatches(writer, nodes);
  return tree;
}

/** `count` writes to the big tree, 16 at a time: 70% setData, 15% creates, 15% deletes, seeded. */
export async function writeWhileBuilding(
  writer: ZooKeeperClient,
  { leaves, dirs }: BigTree,
  seed: number,
  count = 2000,
): Promise<void> {
  const random = seededRandom(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  let next = 0;
  const writeOne = async (i: number): Promise<void> => {
    const r = random();
    try {
      if (r < 0.7) await writer.set(pick(leaves), `v${i}`);
      else if (r < 0.85) {
        const leaf = `${pick(dirs)}/new${i}`;
        await writer.create(leaf, `n${i}`);
        leaves.push(leaf);
      } else {
        const [leaf] = leaves.splice(Math.floor(random() * leaves.length), 1);
        await writer.delete(leaf!);
      }
    } catch (error) {
      // Two writes of one leaf can cross (a set after its delete): the server decides.
      if (!(error instanceof NoNodeError || error instanceof NodeExistsError)) throw error;
    }
  };
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < count) await writeOne(next++);
    }),
  );
}
