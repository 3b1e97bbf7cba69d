// The commands on whole subtrees: tree, find, du, dump, load, cp, mv, and `rm -r`. Every one reads
// or writes through the pipelined walks of pipeline.ts (many requests in flight), shows progress
// on stderr, and on Ctrl-C stops issuing, lets what is in flight finish, and says how far it got.
// cp and mv run as one transaction when the subtree fits in one (atomic: all or nothing).

import { readFileSync, writeFileSync } from 'node:fs';
import {
  type ACL,
  type CreateOptions,
  NodeExistsError,
  NoNodeError,
  parentOf,
  type ZooKeeperClient,
} from '../index.js';
import { type Command, stringOption } from './command.js';
import { type Context, integerOption, printJson, printLines, resolvePath } from './context.js';
import { type LoadNode, parseDumpFile, placeUnder, relativeTo, toDumpFile } from './dump-file.js';
import { CliError, ExitCode, UsageError } from './exit-codes.js';
import { formatAcl, humanBytes } from './format.js';
import { Interrupted, runInOrder, type WalkedNode, walkTree } from './pipeline.js';
import { Progress } from './progress.js';

/** ZooKeeper's own subtree: never dumped, copied or deleted with the root. */
const SYSTEM = '/zookeeper';
const isSystem = (path: string): boolean => path === SYSTEM || path.startsWith(`${SYSTEM}/`);

/** The most ops cp and mv put in one transaction. */
const TRANSACTION_MAX_OPS = 1000;
/** The most data bytes cp and mv put in one transaction: the whole multi must stay under jute.maxbuffer (1 MiB). */
const TRANSACTION_MAX_BYTES = 512 * 1024;

function progressFor(ctx: Context, label: string, total?: number): Progress {
  return new Progress(ctx.io, label, !ctx.quiet, total);
}

/** Rethrows an interruption with the command's own words: what it did, how far it got. */
function interrupted(error: unknown, what: string, total?: number): never {
  if (error instanceof Interrupted) {
    const of = total === undefined ? '' : ` of ${total}`;
    throw new CliError(`${what}: interrupted after ${error.done}${of} nodes`, ExitCode.INTERRUPTED);
  }
  throw error;
}

/** How many nodes the subtree at `path` holds (the node itself included), for progress totals. */
async function countNodes(zk: ZooKeeperClient, path: string): Promise<number | undefined> {
  // getAllChildrenNumber is 3.6+; without it the count is simply unknown.
  return zk.getAllChildrenNumber(path).then(
    (n) => n + 1,
    (error: unknown) => {
      if (error instanceof NoNodeError) throw error;
      return undefined;
    },
  );
}

/** Reads a subtree with progress (`reading PATH`), the system subtree left out. */
async function readTree(
  ctx: Context,
  path: string,
  what: string,
  extra: { withData?: boolean; withAcl?: boolean; maxDepth?: number } = {},
): Promise<WalkedNode[]> {
  const total = await countNodes(ctx.zk, path);
  const progress = progressFor(ctx, `${what}: reading`, total);
  try {
    return await walkTree(ctx.zk, path, { signal: ctx.signal, progress, skip: isSystem, ...extra });
  } catch (error) {
    interrupted(error, `${what} (reading)`, total);
  } finally {
    progress.finish();
  }
}

/** `rm -r`: reads the subtree, then deletes it bottom-up, pipelined. Also used by mv. */
export async function removeTree(ctx: Context, path: string, version = -1): Promise<number> {
  const what = `rm -r ${path}`;
  const started = performance.now();
  const nodes = await readTree(ctx, path, what);
  if (version !== -1 && nodes[0]?.stat.version !== version) {
    throw new CliError(`${path}: version does not match (BADVERSION)`, ExitCode.BAD_VERSION);
  }
  // Reverse pre-order: every child before its parent. The root '/' itself cannot be deleted.
  const targets = nodes.filter((node) => node.path !== '/').reverse();
  const progress = progressFor(ctx, `${what}: deleting`, targets.length);
  let done: number;
  try {
    done = await runInOrder(
      targets,
      (node) => ctx.zk.delete(node.path, node.path === path ? { version } : undefined),
      { signal: ctx.signal, progress, tolerate: (error) => error instanceof NoNodeError },
    );
  } catch (error) {
    interrupted(error, `${what} (deleting)`, targets.length);
  } finally {
    progress.finish();
  }
  summary(ctx, `${what}: deleted ${done} nodes`, started);
  return done;
}

function summary(ctx: Context, line: string, startedMs: number): void {
  if (!ctx.quiet) ctx.io.note(`${line} in ${((performance.now() - startedMs) / 1000).toFixed(2)} s`);
}

export const tree: Command = {
  name: 'tree',
  usage: 'tree [-d DEPTH] [PATH]',
  summary: 'draw the subtree with data sizes and ephemeral markers',
  options: { depth: { type: 'string', short: 'd' } },
  args: [0, 1],
  async run(ctx, [typed], options) {
    const path = resolvePath(ctx.cwd, typed);
    const maxDepth = integerOption('depth', stringOption(options, 'depth'), 0);
    const nodes = await readTree(ctx, path, `tree ${path}`, maxDepth === undefined ? {} : { maxDepth });
    if (ctx.json) {
      printJson(ctx.io, nested(nodes));
      return;
    }
    const lines: string[] = [];
    // For each depth, whether the ancestor at that depth was the last of its siblings.
    const lastAt: boolean[] = [];
    const byPath = new Map(nodes.map((node) => [node.path, node]));
    for (const node of nodes) {
      const ephemeral = node.stat.ephemeralOwner !== 0n ? ' [ephemeral]' : '';
      const size = ` (${humanBytes(node.stat.dataLength)})`;
      if (node.depth === 0) {
        lines.push(`${node.path}${size}${ephemeral}`);
        continue;
      }
      const siblings = byPath.get(parentOf(node.path))!.children;
      const last = siblings[siblings.length - 1] === node.path.slice(node.path.lastIndexOf('/') + 1);
      lastAt[node.depth] = last;
      let prefix = '';
      for (let depth = 1; depth < node.depth; depth++) prefix += lastAt[depth] ? '    ' : '│   ';
      const name = node.path.slice(node.path.lastIndexOf('/') + 1);
      lines.push(`${prefix}${last ? '└── ' : '├── '}${name}${size}${ephemeral}`);
    }
    printLines(ctx.io, lines);
  },
};

interface TreeJson {
  path: string;
  bytes: number;
  ephemeral: boolean;
  children: TreeJson[];
}

function nested(nodes: readonly WalkedNode[]): TreeJson | undefined {
  const out = new Map<string, TreeJson>();
  for (const node of nodes) {
    const entry: TreeJson = {
      path: node.path,
      bytes: node.stat.dataLength,
      ephemeral: node.stat.ephemeralOwner !== 0n,
      children: [],
    };
    out.set(node.path, entry);
    if (node.depth > 0) out.get(parentOf(node.path))?.children.push(entry);
  }
  return nodes[0] && out.get(nodes[0].path);
}

/** A shell glob (`*`, `?`, `[...]`) as an anchored regular expression. */
function globToRegExp(glob: string): RegExp {
  let source = '';
  for (const char of glob) {
    if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else if (char === '[' || char === ']') source += char;
    else source += char.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

export const find: Command = {
  name: 'find',
  usage: 'find [PATH] [--name GLOB | --regex RE] [--ephemeral]',
  summary: 'the paths below PATH whose name matches (a glob, or a regular expression)',
  options: { name: { type: 'string' }, regex: { type: 'string' }, ephemeral: { type: 'boolean' } },
  args: [0, 1],
  async run(ctx, [typed], options) {
    const path = resolvePath(ctx.cwd, typed);
    const glob = stringOption(options, 'name');
    const regex = stringOption(options, 'regex');
    if (glob !== undefined && regex !== undefined) throw new UsageError('give --name or --regex, not both');
    let pattern: RegExp | undefined;
    try {
      pattern = glob !== undefined ? globToRegExp(glob) : regex !== undefined ? new RegExp(regex) : undefined;
    } catch (error) {
      throw new UsageError(`bad pattern: ${(error as Error).message}`);
    }
    const nodes = await readTree(ctx, path, `find ${path}`);
    const matches = nodes
      .filter(
        (node) => pattern === undefined || pattern.test(node.path.slice(node.path.lastIndexOf('/') + 1)),
      )
      .filter((node) => !options['ephemeral'] || node.stat.ephemeralOwner !== 0n)
      .map((node) => node.path);
    if (ctx.json) printJson(ctx.io, matches);
    else printLines(ctx.io, matches);
  },
};

export const du: Command = {
  name: 'du',
  usage: 'du [PATH]',
  summary: 'nodes and data bytes of the subtree, for the node and each of its children',
  args: [0, 1],
  async run(ctx, [typed]) {
    const path = resolvePath(ctx.cwd, typed);
    const nodes = await readTree(ctx, path, `du ${path}`);
    const totals = new Map<string, { path: string; nodes: number; bytes: number }>();
    const root = { path, nodes: 0, bytes: 0 };
    for (const node of nodes) {
      root.nodes++;
      root.bytes += node.stat.dataLength;
      if (node.depth === 0) continue;
      // The child of the root this node lies under.
      const rest = node.path.slice(path === '/' ? 1 : path.length + 1);
      const child = placeUnder(path, `/${rest.split('/')[0]}`);
      const entry = totals.get(child) ?? { path: child, nodes: 0, bytes: 0 };
      entry.nodes++;
      entry.bytes += node.stat.dataLength;
      totals.set(child, entry);
    }
    const children = [...totals.values()];
    if (ctx.json) {
      printJson(ctx.io, { ...root, children });
      return;
    }
    const row = (e: { path: string; nodes: number; bytes: number }): string =>
      `${String(e.nodes).padStart(8)} nodes ${String(e.bytes).padStart(12)} bytes  ${e.path}`;
    printLines(ctx.io, [...children.map(row), row(root)]);
  },
};

export const dump: Command = {
  name: 'dump',
  usage: 'dump [-o FILE] [--base64] [PATH]',
  summary: 'the subtree as JSON: data (UTF-8 or base64), ACLs and modes (pipelined reads)',
  options: { output: { type: 'string', short: 'o' }, base64: { type: 'boolean' } },
  args: [0, 1],
  async run(ctx, [typed], options) {
    const path = resolvePath(ctx.cwd, typed);
    const started = performance.now();
    const nodes = await readTree(ctx, path, `dump ${path}`, { withData: true, withAcl: true });
    const file = toDumpFile(path, nodes, options['base64'] === true);
    const masked = file.nodes.filter((node) => node.acl.some(isMaskedDigest)).length;
    if (masked > 0) {
      // The server shows a digest id's hash only to a session with ADMIN on the node (or super).
      ctx.io.note(
        `zookit: warning: the server masked the digest ACL hashes of ${masked} nodes (no ADMIN permission on them); ` +
          'load will refuse them: dump as a user with ADMIN (--auth digest:USER:PASSWORD) or as super',
      );
    }
    const text = `${JSON.stringify(file, null, 1)}\n`;
    const output = stringOption(options, 'output');
    if (output === undefined || output === '-') ctx.io.write(text);
    else writeFileSync(output, text);
    summary(ctx, `dump ${path}: ${nodes.length} nodes, ${humanBytes(Buffer.byteLength(text))}`, started);
  },
};

/** A digest ACL entry whose hash the server replaced with 'x' (`digest:alice:x:cdrwa`). */
function isMaskedDigest(entry: string): boolean {
  return /^digest:[^:]*:x:[cdrwa]*$/.test(entry);
}

/** The client options that create a node of a dump (or copy) with its mode and ACL. */
function createOptionsOf(node: {
  acl: ACL[];
  mode: string;
  ttl?: number;
}): CreateOptions & { includeData?: false } {
  if (node.mode === 'container') return { acl: node.acl, container: true };
  if (node.mode === 'ttl') return { acl: node.acl, ttl: node.ttl! };
  return { acl: node.acl };
}

/** Fails with NODEEXISTS unless `path` is free and its parent exists (or is made with `parents`). */
async function checkTarget(ctx: Context, path: string, parents: boolean): Promise<void> {
  if (path !== '/' && (await ctx.zk.exists(path)) !== null) throw new NodeExistsError(undefined, path);
  if (path === '/') return;
  if (parents) await ctx.zk.ensurePath(parentOf(path));
  else if ((await ctx.zk.exists(parentOf(path))) === null) throw new NoNodeError(undefined, parentOf(path));
}

/** Creates `nodes` (parents first) under `target`, pipelined; the root skipped when it is '/'. */
async function createAll(
  ctx: Context,
  what: string,
  target: string,
  nodes: readonly LoadNode[],
): Promise<number> {
  const creates = nodes.filter((node) => placeUnder(target, node.relative) !== '/');
  const progress = progressFor(ctx, what, creates.length);
  try {
    return await runInOrder(
      creates,
      (node) => ctx.zk.create(placeUnder(target, node.relative), node.data, createOptionsOf(node)),
      { signal: ctx.signal, progress },
    );
  } catch (error) {
    interrupted(error, what, creates.length);
  } finally {
    progress.finish();
  }
}

export const load: Command = {
  name: 'load',
  usage: 'load [--dry-run] [-p] FILE [PATH]',
  summary: 'create a dumped subtree again (at PATH, default where it was dumped from); - reads stdin',
  options: { 'dry-run': { type: 'boolean', short: 'n' }, parents: { type: 'boolean', short: 'p' } },
  args: [1, 2],
  async run(ctx, [file, typed], options) {
    const started = performance.now();
    const source = file === '-' ? 'stdin' : file!;
    const { root, nodes: all } = parseDumpFile(readFileSync(file === '-' ? 0 : file!, 'utf8'), source);
    const target = typed === undefined ? root : resolvePath(ctx.cwd, typed);
    // An ephemeral node would end with this session, a moment after it is made.
    const nodes = all.filter((node) => node.mode !== 'ephemeral');
    const skipped = all.length - nodes.length;
    const masked = nodes.find((node) => node.acl.some((entry) => isMaskedDigest(formatAcl(entry))));
    if (masked !== undefined) {
      throw new CliError(
        `${source}: ${masked.relative} has a digest ACL whose hash the server masked when it was dumped ` +
          '(digest:USER:x); dump again as a user with ADMIN on the nodes, or as super',
        ExitCode.USAGE,
      );
    }
    const skippedNote = skipped > 0 ? ` (${skipped} ephemeral nodes skipped)` : '';
    if (options['dry-run']) {
      const lines = nodes.map((node) => {
        const mode = node.mode === 'ttl' ? `ttl ${node.ttl} ms` : node.mode;
        return `create ${placeUnder(target, node.relative)} (${mode}, ${node.data?.length ?? 0} bytes)`;
      });
      if (ctx.json)
        printJson(ctx.io, { target, create: nodes.map((n) => placeUnder(target, n.relative)), skipped });
      else printLines(ctx.io, lines);
      if (!ctx.quiet)
        ctx.io.note(
          `load ${source} → ${target}: would create ${nodes.length} nodes${skippedNote}; nothing written`,
        );
      return;
    }
    await checkTarget(ctx, target, options['parents'] === true);
    const done = await createAll(ctx, `load ${target}`, target, nodes);
    summary(ctx, `load ${source} → ${target}: created ${done} nodes${skippedNote}`, started);
  },
};

/** The subtree at `from` read for a copy: every node as load creates it. */
async function readForCopy(
  ctx: Context,
  from: string,
  what: string,
): Promise<{ nodes: LoadNode[]; walked: WalkedNode[] }> {
  const walked = await readTree(ctx, from, what, { withData: true, withAcl: true });
  const nodes = walked.map(
    (node): LoadNode => ({
      relative: relativeTo(from, node.path),
      data: node.data ?? undefined,
      acl: node.acl!,
      mode: node.stat.ephemeralOwner !== 0n ? 'ephemeral' : 'persistent',
    }),
  );
  return { nodes, walked };
}

/** Whether a copy of `nodes` fits in one transaction (ops and bytes). */
function fitsOneTransaction(ops: number, nodes: readonly LoadNode[]): boolean {
  const bytes = nodes.reduce((sum, node) => sum + (node.data?.length ?? 0), 0);
  return ops <= TRANSACTION_MAX_OPS && bytes <= TRANSACTION_MAX_BYTES;
}

/** cp and mv: copy (and with `move`, delete the source) in one transaction, or pipelined when too big. */
async function copyTree(
  ctx: Context,
  fromTyped: string,
  toTyped: string,
  move: boolean,
  parents: boolean,
): Promise<void> {
  const from = resolvePath(ctx.cwd, fromTyped);
  const to = resolvePath(ctx.cwd, toTyped);
  const what = `${move ? 'mv' : 'cp'} ${from} ${to}`;
  if (from === '/' && move) throw new UsageError('mv cannot move the root');
  if (to === from || to.startsWith(from === '/' ? '/' : `${from}/`)) {
    throw new UsageError(`${what}: the target lies inside the source`);
  }
  const started = performance.now();
  const { nodes: all, walked } = await readForCopy(ctx, from, what);
  const ephemeral = all.filter((node) => node.mode === 'ephemeral');
  if (move && ephemeral.length > 0) {
    throw new CliError(
      `${what}: ${ephemeral.length} ephemeral nodes below ${from} belong to their sessions and cannot be moved`,
      ExitCode.ERROR,
    );
  }
  const nodes = all.filter((node) => node.mode !== 'ephemeral');
  await checkTarget(ctx, to, parents);
  const deletes = move ? walked.slice().reverse() : [];
  if (fitsOneTransaction(nodes.length + deletes.length, nodes)) {
    const transaction = ctx.zk.transaction();
    for (const node of nodes)
      transaction.create(placeUnder(to, node.relative), node.data, createOptionsOf(node));
    // Each delete at the version read: a node changed since is not deleted, and nothing is applied.
    for (const node of deletes) transaction.delete(node.path, node.stat.version);
    await transaction.commit({ throwOnFailure: true, signal: ctx.signal });
    summary(ctx, `${what}: ${move ? 'moved' : 'copied'} ${nodes.length} nodes in one transaction`, started);
    return;
  }
  const created = await createAll(ctx, `${what}: copying`, to, nodes);
  if (move) {
    const progress = progressFor(ctx, `${what}: deleting the source`, deletes.length);
    try {
      await runInOrder(deletes, (node) => ctx.zk.delete(node.path, { version: node.stat.version }), {
        signal: ctx.signal,
        progress,
        tolerate: (error) => error instanceof NoNodeError,
      });
    } catch (error) {
      interrupted(error, `${what} (deleting the source; the copy is complete)`, deletes.length);
    } finally {
      progress.finish();
    }
  }
  const skipped = ephemeral.length > 0 ? ` (${ephemeral.length} ephemeral nodes skipped)` : '';
  summary(ctx, `${what}: ${move ? 'moved' : 'copied'} ${created} nodes, pipelined${skipped}`, started);
}

export const cp: Command = {
  name: 'cp',
  usage: 'cp [-p] SOURCE TARGET',
  summary: 'copy a subtree (data and ACLs; one transaction when it fits)',
  options: { parents: { type: 'boolean', short: 'p' } },
  args: [2, 2],
  run: (ctx, [from, to], options) => copyTree(ctx, from!, to!, false, options['parents'] === true),
};

export const mv: Command = {
  name: 'mv',
  usage: 'mv [-p] SOURCE TARGET',
  summary: 'move a subtree (atomically, in one transaction, when it fits)',
  options: { parents: { type: 'boolean', short: 'p' } },
  args: [2, 2],
  run: (ctx, [from, to], options) => copyTree(ctx, from!, to!, true, options['parents'] === true),
};
