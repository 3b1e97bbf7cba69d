// The shape of a command: its name, how it is used, its own options (util.parseArgs's table) and
// what it runs. main.ts parses a command line against the global options plus the command's own;
// the shell parses each line against the command's own. Both then call `run` with the same Context.

import type { Context } from './context.js';

/** One option, as util.parseArgs takes it. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
}

/** What util.parseArgs gives back for a table of options. */
export type OptionValues = Record<string, string | boolean | string[] | undefined>;

/** A command of the binary and of the shell. */
export interface Command {
  readonly name: string;
  /** The synopsis, e.g. `ls [-R] [PATH]`. */
  readonly usage: string;
  /** One line on what it does. */
  readonly summary: string;
  readonly options?: Readonly<Record<string, OptionSpec>>;
  /** How many positional arguments it takes: [least, most]. */
  readonly args: readonly [number, number];
  /** False for commands that need no session (four-letter words): the client is never started. */
  readonly session?: boolean;
  run(ctx: Context, args: string[], options: OptionValues): Promise<void>;
}

/** A string option's value (the last one given), or undefined. */
export function stringOption(options: OptionValues, name: string): string | undefined {
  const value = options[name];
  if (Array.isArray(value)) return value.at(-1);
  return typeof value === 'string' ? value : undefined;
}

/** A repeatable string option's values. */
export function listOption(options: OptionValues, name: string): string[] {
  const value = options[name];
  if (Array.isArray(value)) return value;
  return typeof value === 'string' ? [value] : [];
}
