// The four-letter words a person reads most, formatted: srvr (the server's summary), mntr (its
// metrics) and cons (its connections, one row each). They go to the server the client points at
// (the first host; over TLS when the client uses TLS) and need no session. The server must
// whitelist them (4lw.commands.whitelist); otherwise its answer says so, and that is printed.

import type { Command } from './command.js';
import { type Context, printJson, printLines } from './context.js';
import { CliError, ExitCode } from './exit-codes.js';

/** `Key: value` lines (srvr) or `key<TAB>value` lines (mntr) as pairs. */
function pairs(text: string, separator: RegExp): Array<[string, string]> {
  return text
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line) => separator.test(line))
    .map((line) => {
      const match = separator.exec(line)!;
      return [line.slice(0, match.index).trim(), line.slice(match.index + match[0].length).trim()];
    });
}

/** A value as JSON: a number when it reads as one. */
function jsonValue(value: string): string | number {
  return /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
}

/** A key of srvr as a JSON name: `Latency min/avg/max` → `latency_min_avg_max`. */
function jsonKey(key: string): string {
  return key
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_|_$/g, '');
}

async function ask(ctx: Context, word: string): Promise<string> {
  const answer = await ctx.zk.command(word);
  if (/is not executed because it is not in the whitelist/.test(answer)) {
    throw new CliError(`${word}: ${answer.trim()}`, ExitCode.ERROR);
  }
  return answer;
}

function aligned(rows: ReadonlyArray<[string, string]>): string[] {
  const width = Math.max(0, ...rows.map(([key]) => key.length));
  return rows.map(([key, value]) => `${key.padEnd(width)}  ${value}`);
}

export const srvr: Command = {
  name: 'srvr',
  usage: 'srvr',
  summary: "the server's summary: version, latency, connections, mode, zxid, node count",
  args: [0, 0],
  session: false,
  async run(ctx) {
    const rows = pairs(await ask(ctx, 'srvr'), /: /);
    if (ctx.json) printJson(ctx.io, Object.fromEntries(rows.map(([k, v]) => [jsonKey(k), jsonValue(v)])));
    else printLines(ctx.io, aligned(rows.map(([k, v]) => [`${k}:`, v])));
  },
};

export const mntr: Command = {
  name: 'mntr',
  usage: 'mntr',
  summary: "the server's metrics (zk_*), aligned",
  args: [0, 0],
  session: false,
  async run(ctx) {
    const rows = pairs(await ask(ctx, 'mntr'), /\t/);
    if (ctx.json) printJson(ctx.io, Object.fromEntries(rows.map(([k, v]) => [k, jsonValue(v)])));
    else printLines(ctx.io, aligned(rows));
  },
};

/** One connection of `cons`: `/127.0.0.1:5000[1](queued=0,recved=3,...)`. */
function connection(line: string): Record<string, string | number> | undefined {
  const match = /^\s*\/?(\S+?)\[(\d+)\]\((.*)\)\s*$/.exec(line);
  if (match === null) return undefined;
  const row: Record<string, string | number> = { address: match[1]!, interest: Number(match[2]) };
  for (const field of match[3]!.split(',')) {
    const [key, value] = field.split('=');
    if (key !== undefined && value !== undefined) row[key] = jsonValue(value);
  }
  return row;
}

const CONS_COLUMNS = ['address', 'sid', 'queued', 'recved', 'sent', 'lop', 'to', 'avglat', 'maxlat'];

export const cons: Command = {
  name: 'cons',
  usage: 'cons',
  summary: "the server's connections, one row each (session id, queued, received, sent, latency)",
  args: [0, 0],
  session: false,
  async run(ctx) {
    const rows = (await ask(ctx, 'cons'))
      .split('\n')
      .map(connection)
      .filter((row) => row !== undefined);
    if (ctx.json) {
      printJson(ctx.io, rows);
      return;
    }
    const cells = [CONS_COLUMNS, ...rows.map((row) => CONS_COLUMNS.map((c) => String(row[c] ?? '-')))];
    const widths = CONS_COLUMNS.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
    printLines(
      ctx.io,
      cells.map((r) =>
        r
          .map((cell, i) => cell.padEnd(widths[i]!))
          .join('  ')
          .trimEnd(),
      ),
    );
  },
};
