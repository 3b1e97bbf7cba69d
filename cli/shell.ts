// The interactive shell: `zookit` with no command. A readline prompt that shows the connection's
// state and the current node (`zk CONNECTED 127.0.0.1:2181 /app> `), history kept in a file
// across runs, Tab completion of commands, options and node paths (read from the server as you
// type), `cd`/`pwd`, and every connection change printed the moment it happens (a reconnect to
// another server, a session lost and replaced). Ctrl-C stops the running command, not the shell;
// Ctrl-D or `exit` leaves. Fed from a pipe instead of a terminal it runs the lines as a script.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { parseArgs } from 'node:util';
import { NoNodeError, type ZooKeeperClient } from '../index.js';
import type { Command, OptionSpec } from './command.js';
import { COMMANDS, commandNamed, helpText } from './commands.js';
import { type Context, type Io, resolvePath } from './context.js';
import { ExitCode, errorLine, exitCodeFor, UsageError } from './exit-codes.js';

/** The shell's own words, besides the commands. */
const BUILTINS = ['cd', 'pwd', 'help', 'exit', 'quit'];
/** Options every command takes in the shell. */
const SHELL_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  json: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
};
/** Lines of history kept. */
const HISTORY_SIZE = 1000;
/** How long completion waits for the server, ms: a slow server must not hang the Tab key. */
const COMPLETION_TIMEOUT_MS = 2000;

/** Splits a line into words: spaces separate, quotes ('...', "...") group, a backslash escapes. */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const char = line[i]!;
    if (quote !== undefined) {
      if (char === quote) quote = undefined;
      else if (char === '\\' && quote === '"' && i + 1 < line.length) word += line[++i]!;
      else word += char;
    } else if (char === "'" || char === '"') {
      quote = char;
      word ??= '';
    } else if (char === '\\' && i + 1 < line.length) {
      word = (word ?? '') + line[++i]!;
    } else if (/\s/.test(char)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else {
      word = (word ?? '') + char;
    }
  }
  if (quote !== undefined) throw new UsageError(`unclosed ${quote}`);
  if (word !== undefined) words.push(word);
  return words;
}

/** Where history is kept: $ZOOKIT_HISTORY, else ~/.zookit_history. */
function historyFile(env: NodeJS.ProcessEnv): string {
  return env['ZOOKIT_HISTORY'] ?? join(homedir(), '.zookit_history');
}

/** The history file's lines, newest first (as readline takes them). */
function loadHistory(file: string): string[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).reverse().slice(0, HISTORY_SIZE);
}

export interface ShellOptions {
  zk: ZooKeeperClient;
  io: Io;
  env: NodeJS.ProcessEnv;
  json: boolean;
  quiet: boolean;
}

/** Runs the shell until end of input or `exit`; resolves with the exit code of the last command. */
export async function runShell(options: ShellOptions): Promise<number> {
  const { zk, io } = options;
  const terminal = process.stdin.isTTY === true;
  const file = historyFile(options.env);
  let cwd = '/';
  let running: AbortController | undefined;
  let lastCode: number = ExitCode.OK;

  const promptText = (): string => {
    const where = zk.connectedTo ?? 'no server';
    return `zk ${zk.connectionState} ${where} ${cwd}> `;
  };

  const completer = (line: string, callback: (error: null, result: [string[], string]) => void): void => {
    complete(zk, cwd, line).then(
      (result) => callback(null, result),
      () => callback(null, [[], '']),
    );
  };

  const rl: Interface = createInterface({
    input: process.stdin,
    output: process.stdout,
    terminal,
    completer,
    history: terminal ? loadHistory(file) : [],
    historySize: HISTORY_SIZE,
    removeHistoryDuplicates: true,
    prompt: promptText(),
  });
  if (terminal) {
    rl.on('history', (lines: string[]) => {
      try {
        writeFileSync(file, `${lines.slice().reverse().join('\n')}\n`);
      } catch {
        // A read-only home directory costs the history file, not the shell.
      }
    });
  }

  /** Prints a line above the prompt (a state change while the user types) and redraws it. */
  const announce = (line: string): void => {
    rl.setPrompt(promptText());
    if (!terminal) {
      if (!options.quiet) io.note(line);
      return;
    }
    process.stdout.write(`\r\x1b[2K${line}\n`);
    if (running === undefined) rl.prompt(true);
  };
  const onState = (state: string, detail: string | undefined): void => {
    const where = zk.connectedTo ? ` to ${zk.connectedTo}` : '';
    const session = zk.clientId ? ` session 0x${zk.clientId.sessionId.toString(16)}` : '';
    announce(
      `-- ${state}${state.startsWith('CONNECTED') ? `${where}${session}` : ''}${detail ? ` (${detail})` : ''}`,
    );
  };
  zk.on('connectionState', onState);

  const interrupt = (): void => {
    if (running !== undefined) {
      running.abort();
      return;
    }
    // At the prompt Ctrl-C drops the line being typed, as in bash.
    process.stdout.write('^C\n');
    rl.write(null, { ctrl: true, name: 'u' });
    rl.prompt();
  };
  rl.on('SIGINT', interrupt);
  // Without a terminal, readline does not see Ctrl-C: the process's signal stops the command.
  const onProcessSigint = (): void => {
    if (running !== undefined) running.abort();
    else rl.close();
  };
  if (!terminal) process.on('SIGINT', onProcessSigint);

  if (terminal && !options.quiet)
    io.note('zookit shell: `help` lists the commands, Tab completes, Ctrl-D leaves');
  if (terminal) rl.prompt();
  try {
    for await (const line of rl) {
      let words: string[];
      try {
        words = splitWords(line);
      } catch (error) {
        io.note(errorLine(error));
        lastCode = ExitCode.USAGE;
        if (terminal) rl.prompt();
        continue;
      }
      if (words.length === 0) {
        if (terminal) rl.prompt();
        continue;
      }
      const [name, ...rest] = words as [string, ...string[]];
      if (name === 'exit' || name === 'quit') break;
      running = new AbortController();
      try {
        if (name === 'cd') cwd = await changeDirectory(zk, cwd, rest);
        else if (name === 'pwd') io.write(`${cwd}\n`);
        else if (name === 'help') io.write(`${helpText()}\n`);
        else await runLine(name, rest, { ...options, cwd, signal: running.signal });
        lastCode = ExitCode.OK;
      } catch (error) {
        io.note(errorLine(error));
        lastCode = exitCodeFor(error);
      } finally {
        running = undefined;
      }
      rl.setPrompt(promptText());
      if (terminal) rl.prompt();
    }
  } finally {
    zk.off('connectionState', onState);
    process.off('SIGINT', onProcessSigint);
    rl.close();
  }
  if (terminal) process.stdout.write('\n');
  return lastCode;
}

async function changeDirectory(zk: ZooKeeperClient, cwd: string, args: string[]): Promise<string> {
  if (args.length > 1) throw new UsageError('cd takes one PATH');
  const target = resolvePath(cwd, args[0] ?? '/');
  if ((await zk.exists(target)) === null) throw new NoNodeError(undefined, target);
  return target;
}

/** Runs one command line of the shell. */
async function runLine(
  name: string,
  args: string[],
  base: { zk: ZooKeeperClient; io: Io; cwd: string; signal: AbortSignal; json: boolean; quiet: boolean },
): Promise<void> {
  const command = commandNamed(name);
  if (command === undefined)
    throw new UsageError(`unknown command ${JSON.stringify(name)} (help lists them)`);
  const { values, positionals } = parseLine(command, args);
  const ctx: Context = {
    zk: base.zk,
    io: base.io,
    cwd: base.cwd,
    signal: base.signal,
    json: values['json'] === true || base.json,
    quiet: values['quiet'] === true || base.quiet,
  };
  await command.run(ctx, positionals, values);
}

function parseLine(command: Command, args: string[]): ReturnType<typeof parseCommandArgs> {
  return parseCommandArgs(command, args, SHELL_OPTIONS);
}

/** Parses a command's arguments against its options and `extra`; UsageError for any mistake. */
export function parseCommandArgs(
  command: Command,
  args: string[],
  extra: Readonly<Record<string, OptionSpec>>,
): { values: Record<string, string | boolean | string[] | undefined>; positionals: string[] } {
  let parsed: { values: Record<string, string | boolean | string[] | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({
      args,
      options: { ...extra, ...command.options },
      allowPositionals: true,
      strict: true,
    }) as typeof parsed;
  } catch (error) {
    throw new UsageError(
      `${command.name}: ${(error as Error).message.split('\n')[0]} (usage: ${command.usage})`,
    );
  }
  const [least, most] = command.args;
  const count = parsed.positionals.length;
  if (count < least || count > most) {
    throw new UsageError(`${command.name}: wrong number of arguments (usage: ${command.usage})`);
  }
  return parsed;
}

/**
 * Completions for the word being typed: a command name first, then an option of that command
 * (after `-`), else a node path, read from the server (children of the typed parent). A single
 * node with children completes with a trailing '/', so the next Tab goes on into it.
 */
export async function complete(zk: ZooKeeperClient, cwd: string, line: string): Promise<[string[], string]> {
  const words = line.split(/\s+/);
  const word = words.at(-1) ?? '';
  if (words.length <= 1) {
    const names = [...COMMANDS.map((c) => c.name), ...BUILTINS].sort();
    return [names.filter((n) => n.startsWith(word)).map((n) => `${n} `), word];
  }
  if (word.startsWith('-')) {
    const command = commandNamed(words[0]!);
    const names = Object.keys({ ...SHELL_OPTIONS, ...command?.options }).map((n) => `--${n}`);
    return [names.filter((n) => n.startsWith(word)), word];
  }
  const slash = word.lastIndexOf('/');
  const dirPart = word.slice(0, slash + 1);
  const prefix = word.slice(slash + 1);
  const parent = resolvePath(cwd, dirPart === '' ? '.' : dirPart);
  const children = await zk.getChildren(parent, undefined, { timeout: COMPLETION_TIMEOUT_MS });
  const matches = children.filter((name) => name.startsWith(prefix)).sort();
  if (matches.length === 1) {
    const path = resolvePath(parent, matches[0]);
    const stat = await zk.exists(path, undefined, { timeout: COMPLETION_TIMEOUT_MS });
    const suffix = stat !== null && stat.numChildren > 0 ? '/' : ' ';
    return [[`${dirPart}${matches[0]}${suffix}`], word];
  }
  return [matches.map((name) => `${dirPart}${name}`), word];
}
