// Long operations pipelined: many requests in flight on the one session instead of one round trip
// at a time. ZooKeeper answers a session's requests in the order they were sent, and the client
// sends them in the order they are made, so writes issued in the right order need not wait for
// each other: a parent's create issued before its child's is applied first (load, cp), a child's
// delete issued before its parent's likewise (rm -r). A window bounds what is in flight (and the
// memory it holds). On Ctrl-C the signal aborts: nothing new is issued, the requests in flight are
// answered, and the caller learns how far it got (Interrupted).

import { type ACL, NoNodeError, type Stat, type ZooKeeperClient } from '../index.js';
import { CliError, ExitCode } from './exit-codes.js';
import type { Progress } from './progress.js';

/** Nodes (or writes) in flight at once. */
export const WINDOW = 512;

/** Stopped by the signal after `done` items; the command turns it into its own message. */
export class Interrupted extends CliError {
  constructor(readonly done: number) {
    super(`interrupted after ${done} nodes`, ExitCode.INTERRUPTED);
  }
}

/** One node as a walk saw it. */
export interface WalkedNode {
  path: string;
  stat: Stat;
  /** The children's names, sorted. */
  children: string[];
  /** With `withData`. */
  data?: Buffer | null;
  /** With `withAcl`. */
  acl?: ACL[];
  /** Depth below the walk's root (0 for the root). */
  depth: number;
}

export interface WalkOptions {
  signal: AbortSignal;
  progress?: Progress;
  /** Read each node's data too (one more request per node, in the same window). */
  withData?: boolean;
  /** Read each node's ACL too. */
  withAcl?: boolean;
  /** Do not descend below this depth (0: the root only). */
  maxDepth?: number;
  /** Leave out a node and its subtree (`/zookeeper` when dumping the whole tree). */
  skip?: (path: string) => boolean;
}

/** Reads one node: children and stat, and data and ACL when asked, in one go (up to 3 requests). */
async function readNode(
  zk: ZooKeeperClient,
  path: string,
  depth: number,
  options: WalkOptions,
): Promise<WalkedNode> {
  const [[children, stat], got, acl] = await Promise.all([
    zk.getChildren(path, undefined, { includeData: true }),
    options.withData ? zk.get(path) : undefined,
    options.withAcl ? zk.getAcls(path) : undefined,
  ]);
  const prefix = path === '/' ? '/' : `${path}/`;
  const names = options.skip ? children.filter((name) => !options.skip!(prefix + name)) : children;
  const node: WalkedNode = { path, stat: got?.[1] ?? stat, children: names.sort(), depth };
  if (got !== undefined) node.data = got[0];
  if (acl !== undefined) node.acl = acl[0];
  return node;
}

/**
 * Reads the subtree at `root`, up to WINDOW nodes at a time, and returns it in pre-order with
 * children sorted. A node deleted while the walk runs is left out; the root missing is NoNodeError.
 */
export function walkTree(zk: ZooKeeperClient, root: string, options: WalkOptions): Promise<WalkedNode[]> {
  const found = new Map<string, WalkedNode>();
  const pending: Array<{ path: string; depth: number }> = [{ path: root, depth: 0 }];
  let inFlight = 0;
  let settled = false;

  return new Promise<WalkedNode[]>((resolve, reject) => {
    const fail = (error: unknown): void => {
      settled = true;
      reject(error);
    };
    const pump = (): void => {
      if (settled) return;
      if (options.signal.aborted) {
        if (inFlight === 0) fail(new Interrupted(found.size));
        return;
      }
      while (inFlight < WINDOW && pending.length > 0) {
        const { path, depth } = pending.pop()!;
        inFlight++;
        readNode(zk, path, depth, options).then(
          (node) => {
            inFlight--;
            found.set(path, node);
            options.progress?.tick();
            if (options.maxDepth === undefined || depth < options.maxDepth) {
              const prefix = path === '/' ? '/' : `${path}/`;
              for (const name of node.children) pending.push({ path: prefix + name, depth: depth + 1 });
            }
            pump();
          },
          (error: unknown) => {
            inFlight--;
            // A node deleted since its parent was read is simply not part of the tree.
            if (error instanceof NoNodeError && path !== root) pump();
            else fail(error);
          },
        );
      }
      if (inFlight === 0 && pending.length === 0) {
        settled = true;
        resolve(preOrder(found, root));
      }
    };
    options.signal.addEventListener('abort', pump, { once: true });
    pump();
  });
}

/** The walked nodes in pre-order: each node, then its children's subtrees in name order. */
function preOrder(found: Map<string, WalkedNode>, root: string): WalkedNode[] {
  const out: WalkedNode[] = [];
  const stack = [root];
  while (stack.length > 0) {
    const node = found.get(stack.pop()!);
    if (node === undefined) continue;
    out.push(node);
    const prefix = node.path === '/' ? '/' : `${node.path}/`;
    for (let i = node.children.length - 1; i >= 0; i--) stack.push(prefix + node.children[i]);
  }
  return out;
}

export interface RunOptions {
  signal: AbortSignal;
  progress?: Progress;
  /** An error to count as done rather than stop on (NoNode for a delete). */
  tolerate?: (error: unknown) => boolean;
}

/**
 * Runs `op` on every item in order of issue, WINDOW at a time. `op` must send its request before
 * it returns (every client call does), so the server applies them in the items' order. The first
 * error stops the issuing; it is thrown once the requests in flight are answered. Resolves with
 * the number of items done.
 */
export function runInOrder<T>(
  items: readonly T[],
  op: (item: T) => Promise<unknown>,
  options: RunOptions,
): Promise<number> {
  let next = 0;
  let inFlight = 0;
  let done = 0;
  let firstError: { error: unknown } | undefined;
  let settled = false;

  return new Promise<number>((resolve, reject) => {
    const pump = (): void => {
      if (settled) return;
      const stopping = firstError !== undefined || options.signal.aborted;
      while (!stopping && inFlight < WINDOW && next < items.length) {
        const item = items[next++]!;
        inFlight++;
        op(item).then(
          () => settle(),
          (error: unknown) => {
            if (options.tolerate?.(error)) settle();
            else {
              firstError ??= { error };
              inFlight--;
              pump();
            }
          },
        );
      }
      if (inFlight > 0) return;
      if (firstError !== undefined) {
        settled = true;
        reject(firstError.error);
      } else if (stopping) {
        settled = true;
        reject(new Interrupted(done));
      } else if (next === items.length) {
        settled = true;
        resolve(done);
      }
    };
    const settle = (): void => {
      inFlight--;
      done++;
      options.progress?.tick();
      pump();
    };
    options.signal.addEventListener('abort', pump, { once: true });
    pump();
  });
}
