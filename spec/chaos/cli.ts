// `npm run chaos -- --seed S --minutes M [--scenario path.js ...] [--only name,...] [--faults kind,...]`:
// one seeded chaos run of zookit's own scenarios (spec/chaos/scenarios/index.ts) and any scenario
// modules given, on a fresh 3-member ensemble (docs/chaos.md#running-it). Without --seed a fresh
// seed is drawn and printed first, so a failing run can be replayed with the same faults. Progress
// goes to stdout as it happens, each violation with the events around it; the summary line comes
// last; the whole report is written as JSON under .build/chaos/. Exit status: 0 clean, 1 on any
// violation or a failed run, 2 on bad arguments. Ctrl-C ends the faults early; the run still
// heals, checks and cleans up.
//
// A scenario module (compiled JavaScript) exports, as `default` or `scenarios`, a ChaosScenario,
// an array of them, or a function returning either (called once for the run).

import { randomInt } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { safeJson } from '../../testing/chaos/event-log.js';
import { type ChaosScenario, FAULT_KINDS, type FaultKind, runChaos } from '../../testing/index.js';
import { zookitScenarios } from './scenarios/index.js';

const USAGE =
  'usage: npm run chaos -- [--seed S] [--minutes M] [--scenario path.js ...] [--only name,...] [--faults kind,...]';

/** Where the JSON reports go: .build/chaos/ (this file runs from .build/spec/chaos/). */
const REPORT_DIR = join(__dirname, '..', '..', 'chaos');

class UsageError extends Error {}

interface Arguments {
  seed: number;
  /** Whether the seed was drawn here (not given). */
  fresh: boolean;
  durationMs: number;
  modules: string[];
  only: string[] | undefined;
  faults: FaultKind[] | undefined;
}

function readArguments(argv: readonly string[]): Arguments {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      seed: { type: 'string' },
      minutes: { type: 'string' },
      scenario: { type: 'string', multiple: true },
      only: { type: 'string' },
      faults: { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) throw new UsageError('');
  const seedText = values.seed;
  const seed = seedText === undefined ? randomInt(0, 2 ** 32) : Number(seedText);
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32)
    throw new UsageError(`--seed must be an integer in [0, 2^32), got ${seedText}`);
  const minutes = values.minutes === undefined ? 5 : Number(values.minutes);
  if (!(Number.isFinite(minutes) && minutes > 0))
    throw new UsageError(`--minutes must be > 0, got ${values.minutes}`);
  const list = (text: string | undefined) =>
    text
      ?.split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
  const faults = list(values.faults);
  const unknown = faults?.filter((kind) => !(FAULT_KINDS as readonly string[]).includes(kind));
  if (unknown !== undefined && unknown.length > 0)
    throw new UsageError(`unknown fault kinds: ${unknown.join(', ')} (kinds: ${FAULT_KINDS.join(', ')})`);
  return {
    seed,
    fresh: seedText === undefined,
    durationMs: Math.round(minutes * 60_000),
    modules: values.scenario ?? [],
    only: list(values.only),
    faults: faults as FaultKind[] | undefined,
  };
}

/** The scenarios a module exports (see the opening comment). */
function scenariosOf(path: string): ChaosScenario[] {
  const loaded = require(resolve(path)) as Record<string, unknown>;
  let exported: unknown = loaded.default ?? loaded.scenarios ?? loaded;
  if (typeof exported === 'function') exported = (exported as () => unknown)();
  const list = Array.isArray(exported) ? exported : [exported];
  for (const item of list) {
    const scenario = item as Partial<ChaosScenario> | undefined;
    if (
      typeof scenario?.name !== 'string' ||
      typeof scenario.start !== 'function' ||
      typeof scenario.check !== 'function'
    )
      throw new UsageError(`${path} exports no chaos scenario (name, invariants, start, check, close)`);
  }
  return list as ChaosScenario[];
}

async function main(): Promise<number> {
  let args: Arguments;
  let scenarios: ChaosScenario[];
  try {
    args = readArguments(process.argv.slice(2));
    scenarios = [...zookitScenarios(), ...args.modules.flatMap(scenariosOf)];
    if (args.only !== undefined) {
      const only = args.only;
      const missing = only.filter((name) => !scenarios.some((scenario) => scenario.name === name));
      if (missing.length > 0)
        throw new UsageError(
          `no scenario named ${missing.join(', ')} (have: ${scenarios.map((s) => s.name).join(', ')})`,
        );
      scenarios = scenarios.filter((scenario) => only.includes(scenario.name));
    }
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    if (error.message !== '') console.error(error.message);
    console.error(USAGE);
    return 2;
  }

  // First, so that even a run that hangs or crashes can be replayed.
  console.log(
    `chaos seed=${args.seed}${args.fresh ? ` (fresh; replay with --seed ${args.seed})` : ''}, ` +
      `${args.durationMs / 60_000} min, scenarios: ${scenarios.map((s) => s.name).join(', ')}`,
  );
  const stop = new AbortController();
  process.once('SIGINT', () => {
    console.log('SIGINT: ending the faults early (Ctrl-C again to quit at once)');
    stop.abort();
    process.once('SIGINT', () => process.exit(130));
  });

  const started = new Date();
  const report = await runChaos({
    seed: args.seed,
    durationMs: args.durationMs,
    scenarios,
    faultKinds: args.faults,
    signal: stop.signal,
    report: (line) => console.log(line),
  });
  mkdirSync(REPORT_DIR, { recursive: true });
  const file = join(REPORT_DIR, `chaos-${args.seed}-${started.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(JSON.parse(safeJson(report)), null, 2)}\n`);
  console.log(`report: ${file}`);
  for (const [name, verdict] of Object.entries(report.perScenario))
    console.log(
      `  ${name}: ${verdict.operations} operations, ${verdict.checks} checks, ${safeJson(verdict.counts ?? {})}`,
    );
  if (report.skippedFaults.length > 0)
    console.log(`  ${report.skippedFaults.length} scheduled faults skipped (see the report)`);
  console.log(report.summaryLine);
  return report.violations.length === 0 ? 0 : 1;
}

main().then(
  // Exit explicitly, a safety net: nothing a run left open (a socket, a peer's pipe) may keep a
  // finished run alive. FaultProxy.close() no longer leaves one (docs/fault-proxy.md#closing).
  (status) => process.exit(status),
  (error: unknown) => {
    console.error('the chaos run failed:', error);
    process.exit(1);
  },
);
