// The commands on one node at a time: ls, get, stat, set, create, rm (without -r), acl, watch and
// whoami. Each is one or two client calls and a formatter; `ls -R` and `rm -r` hand over to the
// pipelined walks of tree-commands.ts.

import { readFileSync } from 'node:fs';
import {
  type CreateOptions,
  EventType,
  makeDigestCredential,
  NoNodeError,
  type WatchedEvent,
} from '../index.js';
import { type Command, listOption, stringOption } from './command.js';
import { integerOption, printJson, printLines, resolvePath } from './context.js';
import { CliError, ExitCode, UsageError } from './exit-codes.js';
import { encodeData, formatAcl, parseAcl, statJson, statLines } from './format.js';
import { walkTree } from './pipeline.js';
import { removeTree } from './tree-commands.js';

/** A value from the command line: the argument, `--file F` (`-` for stdin), or nothing. */
function valueFrom(value: string | undefined, file: string | undefined): Buffer | string | undefined {
  if (value !== undefined && file !== undefined) throw new UsageError('give a VALUE or --file, not both');
  if (file !== undefined) return readFileSync(file === '-' ? 0 : file);
  return value;
}

const eventNames = new Map<number, string>(Object.entries(EventType).map(([name, code]) => [code, name]));

export const ls: Command = {
  name: 'ls',
  usage: 'ls [-R] [PATH]',
  summary: 'list the children of a node (-R: every node below it, as paths)',
  options: { recursive: { type: 'boolean', short: 'R' } },
  args: [0, 1],
  async run(ctx, [typed], options) {
    const path = resolvePath(ctx.cwd, typed);
    if (options['recursive']) {
      const nodes = await walkTree(ctx.zk, path, { signal: ctx.signal });
      const paths = nodes.slice(1).map((node) => node.path);
      if (ctx.json) printJson(ctx.io, paths);
      else printLines(ctx.io, paths);
      return;
    }
    const names = (await ctx.zk.getChildren(path)).sort();
    if (ctx.json) printJson(ctx.io, names);
    else printLines(ctx.io, names);
  },
};

export const get: Command = {
  name: 'get',
  usage: 'get [--base64] PATH',
  summary: 'print the data of a node (raw bytes; --base64 to encode them)',
  options: { base64: { type: 'boolean' } },
  args: [1, 1],
  async run(ctx, [typed], options) {
    const path = resolvePath(ctx.cwd, typed);
    const [data, stat] = await ctx.zk.get(path);
    if (ctx.json) {
      printJson(ctx.io, { path, ...encodeData(data, options['base64'] === true), stat: statJson(stat) });
      return;
    }
    if (data === null || data.length === 0) return;
    if (options['base64']) {
      ctx.io.write(`${data.toString('base64')}\n`);
      return;
    }
    ctx.io.write(data);
    // On a terminal the prompt (or the shell's) would otherwise follow the value on its line.
    if (ctx.io.stdoutIsTty && data[data.length - 1] !== 0x0a) ctx.io.write('\n');
  },
};

export const stat: Command = {
  name: 'stat',
  usage: 'stat PATH',
  summary: "print a node's Stat (versions, zxids, times, owner, sizes)",
  args: [1, 1],
  async run(ctx, [typed]) {
    const path = resolvePath(ctx.cwd, typed);
    const result = await ctx.zk.exists(path);
    if (result === null) throw new NoNodeError(undefined, path);
    if (ctx.json) printJson(ctx.io, { path, ...statJson(result) });
    else printLines(ctx.io, statLines(result));
  },
};

export const set: Command = {
  name: 'set',
  usage: 'set [--version N] PATH VALUE | set PATH --file FILE',
  summary: 'set the data of a node (only at version N with --version)',
  options: { version: { type: 'string' }, file: { type: 'string' } },
  args: [1, 2],
  async run(ctx, [typed, value], options) {
    const path = resolvePath(ctx.cwd, typed);
    const data = valueFrom(value, stringOption(options, 'file'));
    if (data === undefined) throw new UsageError('set needs a VALUE or --file FILE');
    const version = integerOption('version', stringOption(options, 'version'), -1);
    const result = await ctx.zk.set(path, data, { version });
    if (ctx.json) printJson(ctx.io, { path, ...statJson(result) });
  },
};

export const create: Command = {
  name: 'create',
  usage: 'create [-e] [-s] [-c | -t MS] [-p] [--acl ACL]... PATH [VALUE | --file FILE]',
  summary: 'create a node: -e ephemeral, -s sequential, -c container, -t TTL (ms); prints its path',
  options: {
    ephemeral: { type: 'boolean', short: 'e' },
    sequential: { type: 'boolean', short: 's' },
    container: { type: 'boolean', short: 'c' },
    ttl: { type: 'string', short: 't' },
    parents: { type: 'boolean', short: 'p' },
    acl: { type: 'string', multiple: true },
    file: { type: 'string' },
  },
  args: [1, 2],
  async run(ctx, [typed, value], options) {
    const path = resolvePath(ctx.cwd, typed);
    const ttl = integerOption('ttl', stringOption(options, 'ttl'), 1);
    const ephemeral = options['ephemeral'] === true;
    const container = options['container'] === true;
    if (container && (ephemeral || options['sequential'] || ttl !== undefined)) {
      throw new UsageError('a container node is neither ephemeral, sequential nor TTL');
    }
    if (ephemeral && ttl !== undefined) throw new UsageError('an ephemeral node has no TTL');
    const acl = listOption(options, 'acl').map(parseAcl);
    const createOptions: CreateOptions & { includeData?: false } = {
      ephemeral,
      sequence: options['sequential'] === true,
      container,
      ...(ttl === undefined ? {} : { ttl }),
      ...(acl.length > 0 ? { acl } : {}),
      makepath: options['parents'] === true,
    };
    // A sequential name is the parent and a prefix: '/q/' is fine, so the trailing '/' is kept.
    const target = options['sequential'] && typed?.endsWith('/') ? `${path === '/' ? '' : path}/` : path;
    const created = await ctx.zk.create(
      target,
      valueFrom(value, stringOption(options, 'file')),
      createOptions,
    );
    if (ctx.json) printJson(ctx.io, { path: created });
    else ctx.io.write(`${created}\n`);
  },
};

export const rm: Command = {
  name: 'rm',
  usage: 'rm [-r] [--version N] PATH...',
  summary: 'delete nodes (-r: with everything below them, pipelined)',
  options: { recursive: { type: 'boolean', short: 'r' }, version: { type: 'string' } },
  args: [1, Number.POSITIVE_INFINITY],
  async run(ctx, typed, options) {
    const version = integerOption('version', stringOption(options, 'version'), -1);
    for (const one of typed) {
      const path = resolvePath(ctx.cwd, one);
      if (options['recursive']) await removeTree(ctx, path, version);
      else await ctx.zk.delete(path, { version });
    }
  },
};

export const acl: Command = {
  name: 'acl',
  usage: 'acl get PATH | acl set [--version N] PATH ACL... | acl digest USER:PASSWORD',
  summary: 'read or replace the ACL of a node (entries as scheme:id:perms, e.g. world:anyone:cdrwa)',
  options: { version: { type: 'string' } },
  args: [2, Number.POSITIVE_INFINITY],
  async run(ctx, [action, typed, ...entries], options) {
    if (action === 'digest') {
      // The id a digest ACL names for a user and password, as `acl set` takes it.
      const [user, ...password] = (typed ?? '').split(':');
      if (!user || password.length === 0) throw new UsageError('acl digest takes USER:PASSWORD');
      const id = `digest:${makeDigestCredential(user, password.join(':'))}`;
      if (ctx.json) printJson(ctx.io, { id });
      else ctx.io.write(`${id}\n`);
      return;
    }
    const path = resolvePath(ctx.cwd, typed);
    if (action === 'get') {
      if (entries.length > 0) throw new UsageError('acl get takes one PATH');
      const [list] = await ctx.zk.getAcls(path);
      if (ctx.json)
        printJson(
          ctx.io,
          list.map((entry) => ({ ...entry, text: formatAcl(entry) })),
        );
      else printLines(ctx.io, list.map(formatAcl));
      return;
    }
    if (action === 'set') {
      if (entries.length === 0) throw new UsageError('acl set needs at least one ACL entry');
      const version = integerOption('version', stringOption(options, 'version'), -1);
      const result = await ctx.zk.setAcls(path, entries.map(parseAcl), { version });
      if (ctx.json) printJson(ctx.io, { path, ...statJson(result) });
      return;
    }
    throw new UsageError(`acl takes get, set or digest, got ${JSON.stringify(action)}`);
  },
};

/** One watch event as a line of text: time, what happened, where. */
function eventLine(event: WatchedEvent): string {
  const what =
    event.type === EventType.None ? `session event (state ${event.state})` : eventNames.get(event.type);
  return `${new Date().toISOString()} ${what} ${event.path}`;
}

export const watch: Command = {
  name: 'watch',
  usage: 'watch [-r] [-n COUNT] PATH',
  summary: 'print the events of a node (-r: of its whole subtree) until Ctrl-C (or COUNT events)',
  options: { recursive: { type: 'boolean', short: 'r' }, count: { type: 'string', short: 'n' } },
  args: [1, 1],
  async run(ctx, [typed], options) {
    const path = resolvePath(ctx.cwd, typed);
    const limit = integerOption('count', stringOption(options, 'count'), 1);
    const recursive = options['recursive'] === true;
    const stream = ctx.zk.watch(path, { recursive, signal: ctx.signal });
    await stream.ready;
    if (!ctx.quiet) ctx.io.note(`watching ${path}${recursive ? ' and below' : ''}; Ctrl-C stops`);
    let seen = 0;
    for await (const event of stream) {
      if (ctx.json) {
        const type = eventNames.get(event.type) ?? String(event.type);
        ctx.io.write(
          `${JSON.stringify({ time: new Date().toISOString(), type, path: event.path, state: event.state })}\n`,
        );
      } else ctx.io.write(`${eventLine(event)}\n`);
      if (event.type !== EventType.None && ++seen === limit) break;
    }
  },
};

export const whoami: Command = {
  name: 'whoami',
  usage: 'whoami',
  summary: 'the identities the server has for this session (ip, digest, sasl, x509)',
  args: [0, 0],
  async run(ctx) {
    const identities = await ctx.zk.whoAmI();
    if (ctx.json) printJson(ctx.io, identities);
    else
      printLines(
        ctx.io,
        identities.map((c) => `${c.authScheme}\t${c.user}`),
      );
  },
};

/** Refuses a node that is not where a command needs it. */
export function noNode(path: string): never {
  throw new CliError(`${path}: no such node (NONODE)`, ExitCode.NO_NODE);
}
