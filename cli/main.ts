#!/usr/bin/env node
// The `zookit` binary (package.json `bin`): `zookit [OPTIONS] COMMAND [ARGS]` runs one command and
// exits with its code (cli/exit-codes.ts); `zookit` alone opens the shell (shell.ts); `zookit
// server` runs a throw-away ZooKeeper in the foreground. It is built on the package's public
// entries only (`zookit` and `zookit/testing`, a dependency-cruiser rule), like any other user.

import { parseArgs } from 'node:util';
import { startTestingCluster, startTestingServer } from '../testing/index.js';
import type { OptionSpec, OptionValues } from './command.js';
import { commandNamed, helpText } from './commands.js';
import { type Connection, connect, connectionSettings, GLOBAL_OPTIONS } from './connection.js';
import { type Context, type Io, integerOption, processIo } from './context.js';
import { ExitCode, errorLine, exitCodeFor, UsageError } from './exit-codes.js';
import { parseCommandArgs, runShell } from './shell.js';

/** The index of the command's name in `argv`: the first word that is not an option or its value. */
function commandIndex(argv: readonly string[], options: Readonly<Record<string, OptionSpec>>): number {
  const takesValue = (token: string): boolean => {
    if (token.startsWith('--')) return !token.includes('=') && options[token.slice(2)]?.type === 'string';
    const short = Object.values(options).find((spec) => `-${spec.short}` === token);
    return token.length === 2 && short?.type === 'string';
  };
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '--') return i + 1 < argv.length ? i + 1 : -1;
    if (!token.startsWith('-') || token === '-') return i;
    if (takesValue(token)) i++;
  }
  return -1;
}

/** Runs `zookit ...argv`; resolves with the exit code. */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv, io: Io): Promise<number> {
  const at = commandIndex(argv, GLOBAL_OPTIONS);
  const name = at >= 0 ? argv[at]! : undefined;
  const rest = at >= 0 ? [...argv.slice(0, at), ...argv.slice(at + 1)] : [...argv];
  if (name === 'server') return runServer(rest, io);
  if (name === 'help' || (name === undefined && rest.some((t) => t === '-h' || t === '--help'))) {
    io.write(`${helpText()}\n`);
    return ExitCode.OK;
  }
  const command = name === undefined ? undefined : commandNamed(name);
  if (name !== undefined && command === undefined) {
    throw new UsageError(`unknown command ${JSON.stringify(name)} (zookit --help lists them)`);
  }
  let values: OptionValues;
  let positionals: string[] = [];
  if (command === undefined) {
    values = parseGlobals(rest);
  } else {
    ({ values, positionals } = parseCommandArgs(command, rest, GLOBAL_OPTIONS));
    if (values['help']) {
      io.write(`usage: zookit ${command.usage}\n  ${command.summary}\n`);
      return ExitCode.OK;
    }
  }
  const settings = connectionSettings(values, env);
  const connection = await connect(settings, command?.session !== false, io.note);
  try {
    if (command === undefined) {
      return await runShell({
        zk: connection.zk,
        io,
        env,
        json: values['json'] === true,
        quiet: values['quiet'] === true,
      });
    }
    return await runOnce(connection, values, io, (ctx) => command.run(ctx, positionals, values));
  } finally {
    await connection.close();
  }
}

function parseGlobals(args: string[]): OptionValues {
  try {
    const parsed = parseArgs({ args, options: GLOBAL_OPTIONS, allowPositionals: false, strict: true });
    return parsed.values as OptionValues;
  } catch (error) {
    throw new UsageError((error as Error).message.split('\n')[0]!);
  }
}

/** Runs one command with Ctrl-C wired to its signal (a second Ctrl-C exits at once). */
async function runOnce(
  connection: Connection,
  values: OptionValues,
  io: Io,
  run: (ctx: Context) => Promise<void>,
): Promise<number> {
  const controller = new AbortController();
  const onSigint = (): void => {
    if (controller.signal.aborted) process.exit(ExitCode.INTERRUPTED);
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    await run({
      zk: connection.zk,
      io,
      cwd: '/',
      json: values['json'] === true,
      quiet: values['quiet'] === true,
      signal: controller.signal,
    });
    return ExitCode.OK;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/** `zookit server [--port N] [--size N]`: serves until Ctrl-C (or SIGTERM), then stops and cleans up. */
async function runServer(args: string[], io: Io): Promise<number> {
  let values: OptionValues;
  try {
    values = parseArgs({
      args,
      options: {
        port: { type: 'string', short: 'p' },
        size: { type: 'string', short: 'n' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values as OptionValues;
  } catch (error) {
    throw new UsageError(
      `server: ${(error as Error).message.split('\n')[0]} (usage: zookit server [--port N] [--size N])`,
    );
  }
  if (values['help']) {
    io.write(
      'usage: zookit server [--port N] [--size N]\n  a throw-away ZooKeeper (an ensemble of N with --size) until Ctrl-C\n',
    );
    return ExitCode.OK;
  }
  const port = integerOption('port', values['port'] as string | undefined, 1);
  const size = integerOption('size', values['size'] as string | undefined, 1) ?? 1;
  const stopped = new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  if (size === 1) {
    const server = await startTestingServer(port === undefined ? {} : { port });
    try {
      io.write(`${server.connectString}\n`);
      io.note(
        `ZooKeeper (${server.backend}) serving at ${server.connectString}; Ctrl-C stops it and deletes its data`,
      );
      await stopped;
    } finally {
      await server.close();
    }
  } else {
    const cluster = await startTestingCluster(port === undefined ? { size } : { size, basePort: port });
    try {
      io.write(`${cluster.connectString}\n`);
      io.note(
        `a ${size}-member ensemble serving at ${cluster.connectString}; Ctrl-C stops it and deletes its data`,
      );
      await stopped;
    } finally {
      await cluster.close();
    }
  }
  io.note('stopped');
  return ExitCode.OK;
}

/** Waits until everything written to stdout has been handed to the OS (a pipe is asynchronous). */
function flushStdout(): Promise<void> {
  return new Promise((resolve) => process.stdout.write('', () => resolve()));
}

if (require.main === module) {
  const io = processIo();
  main(process.argv.slice(2), process.env, io)
    .catch((error: unknown) => {
      io.note(errorLine(error));
      if (process.env['ZOOKIT_DEBUG'] && error instanceof Error) io.note(error.stack ?? '');
      return exitCodeFor(error);
    })
    .then(async (code) => {
      await flushStdout();
      process.exit(code);
    });
}
