// The dump file: a subtree as JSON, the nodes in pre-order (every parent before its children), each
// with its path relative to the dumped root, its data (UTF-8 text, or base64 when the bytes are
// not valid UTF-8), its ACL as `scheme:id:perms` strings and its mode. `load` takes the same file
// back (and a hand-written one: a mode of container or ttl is created as such).
//
// What the server does not show a client cannot be dumped: it reports ephemeralOwner 0 for
// container and TTL nodes (DataNode.copyStat hides their owner markers), so they dump as
// persistent; ephemeral nodes dump as ephemeral and load skips them, since they would end with the
// loading session. A node created with null data loads with empty data (the client sends bytes).

import { type ACL, InvalidPathError, validatePath } from '../index.js';
import { UsageError } from './exit-codes.js';
import { decodeData, encodeData, formatAcl, parseAcl } from './format.js';
import type { WalkedNode } from './pipeline.js';

/** The modes `load` creates. */
export type DumpMode = 'persistent' | 'ephemeral' | 'container' | 'ttl';

/** One node of a dump file. */
export interface DumpNode {
  /** Relative to the dump's root: '/' for the root itself, '/a/b' below it. */
  path: string;
  data: string | null;
  /** Present (as 'base64') when `data` is base64; absent for UTF-8 text. */
  encoding?: 'base64';
  acl: string[];
  /** Absent for persistent. */
  mode?: DumpMode;
  /** Milliseconds, for mode 'ttl'. */
  ttl?: number;
}

/** A dump file. */
export interface DumpFile {
  format: 'zookit-dump';
  version: 1;
  /** The dumped path (client path, under any chroot). */
  root: string;
  /** When the dump was taken, ISO 8601. */
  taken: string;
  nodes: DumpNode[];
}

/** A node of a dump as load creates it. */
export interface LoadNode {
  /** Relative path, as in the file. */
  relative: string;
  data: Buffer | undefined;
  acl: ACL[];
  mode: DumpMode;
  ttl?: number;
}

/** The relative path of `path` below `root` ('/' for the root itself). */
export function relativeTo(root: string, path: string): string {
  if (path === root) return '/';
  return root === '/' ? path : path.slice(root.length);
}

/** `relative` placed under `root`. */
export function placeUnder(root: string, relative: string): string {
  if (relative === '/') return root;
  return root === '/' ? relative : root + relative;
}

/** A walked subtree (read with data and ACLs) as a dump file. */
export function toDumpFile(root: string, nodes: readonly WalkedNode[], forceBase64: boolean): DumpFile {
  return {
    format: 'zookit-dump',
    version: 1,
    root,
    taken: new Date().toISOString(),
    nodes: nodes.map((node) => ({
      path: relativeTo(root, node.path),
      ...encodeData(node.data ?? null, forceBase64),
      acl: (node.acl ?? []).map(formatAcl),
      ...(node.stat.ephemeralOwner !== 0n ? { mode: 'ephemeral' as const } : {}),
    })),
  };
}

const MODES: ReadonlySet<string> = new Set<DumpMode>(['persistent', 'ephemeral', 'container', 'ttl']);

/** Parses and checks a dump file; UsageError names the first problem (with the node's index). */
export function parseDumpFile(text: string, source: string): { root: string; nodes: LoadNode[] } {
  let file: Partial<DumpFile>;
  try {
    file = JSON.parse(text) as Partial<DumpFile>;
  } catch (error) {
    throw new UsageError(`${source} is not JSON: ${(error as Error).message}`);
  }
  if (file?.format !== 'zookit-dump' || file.version !== 1 || !Array.isArray(file.nodes)) {
    throw new UsageError(`${source} is not a zookit dump (format "zookit-dump", version 1, nodes [...])`);
  }
  const root = typeof file.root === 'string' ? file.root : '/';
  const seen = new Set<string>();
  const nodes = file.nodes.map((node, index): LoadNode => {
    const where = `${source}: nodes[${index}]`;
    if (typeof node?.path !== 'string') throw new UsageError(`${where}: path must be a string`);
    try {
      validatePath(node.path);
    } catch (error) {
      if (error instanceof InvalidPathError) throw new UsageError(`${where}: ${error.message}`);
      throw error;
    }
    const mode = node.mode ?? 'persistent';
    if (!MODES.has(mode)) throw new UsageError(`${where}: unknown mode ${JSON.stringify(mode)}`);
    if (mode === 'ttl' && !(Number.isSafeInteger(node.ttl) && (node.ttl as number) > 0)) {
      throw new UsageError(`${where}: a ttl node needs ttl, a positive number of ms`);
    }
    if (!Array.isArray(node.acl) || node.acl.length === 0) {
      throw new UsageError(`${where}: acl must be a non-empty list of scheme:id:perms`);
    }
    if (node.data !== null && typeof node.data !== 'string') {
      throw new UsageError(`${where}: data must be a string or null`);
    }
    seen.add(node.path);
    return {
      relative: node.path,
      data: decodeData(node.data, node.encoding),
      acl: node.acl.map(parseAcl),
      mode,
      ...(mode === 'ttl' ? { ttl: node.ttl as number } : {}),
    };
  });
  // Parents first, so creates issued in this order never meet a missing parent.
  for (const [index, node] of nodes.entries()) {
    if (node.relative === '/') continue;
    const parent = node.relative.slice(0, node.relative.lastIndexOf('/')) || '/';
    if (parent !== '/' && !seen.has(parent)) {
      throw new UsageError(`${source}: nodes[${index}] (${node.relative}) has no parent in the file`);
    }
  }
  const depth = (path: string): number => (path === '/' ? 0 : path.split('/').length - 1);
  nodes.sort((a, b) => depth(a.relative) - depth(b.relative));
  return { root, nodes };
}
