// Invariant 2, "no lost acknowledged write": every create or set the server acknowledged is on the
// server afterwards with its value, unless a later acknowledged operation superseded it.
//
// Four writers (two on each handler, behind proxies) each own a few "registers" — nodes they set,
// now and then delete and create again — and append "log" nodes under names they never reuse.
// Every attempt is written down before it is sent, with its outcome once known: acknowledged
// (with the Stat's version), refused by the server (certainly not applied) or ambiguous (a lost
// connection, a timeout, an ended session: applied or not — support.ts). Then two checks:
// - while it ran: one writer's acknowledged versions of a register line up. Between two
//   acknowledged writes of one incarnation of the node with k ambiguous sets in between, the
//   version grew by 1 to k + 1. A write the server forgot, or acknowledged twice, breaks that;
// - at the end, on the server: a register holds what its last acknowledged operation left (that
//   value at that version, or no node after a delete), or what an ambiguous attempt after it
//   left; each acknowledged log node exists with its value, and no log node exists that nobody
//   tried to create.
// Planted fault (`plant: 'acknowledge-unsent'`): a writer that acknowledges one set in five
// without sending it, making up the Stat it would have got (the version after the last one it
// saw). The next acknowledged set's version then repeats the made-up one, or the register's final
// value is not the one acknowledged last.

import type { Stat } from '../../../index.js';
import type {
  ChaosClient,
  ChaosContext,
  ChaosScenario,
  ScenarioVerdict,
} from '../../../testing/chaos/scenario.js';
import type { SeededRandom } from '../../../testing/chaos/seeded-random.js';
import { isRefusal, openClient, pause, removeRoot, scenarioRoot, Violations } from './support.js';

/** Options of the scenario. */
export interface AcknowledgedWritesOptions {
  /** A deliberately broken writer, for the planted-fault test. */
  plant?: 'acknowledge-unsent';
  /** Writers, alternating sequential and worker handlers (default 4). */
  writers?: number;
  /** Registers per writer (default 4). */
  registersPerWriter?: number;
}

type Outcome = 'pending' | 'acknowledged' | 'refused' | 'ambiguous';

/** One attempt on a register. */
interface Attempt {
  readonly op: 'create' | 'set' | 'delete';
  /** The value written (create, set). */
  readonly value?: string;
  outcome: Outcome;
  /** The version the server acknowledged (create, set). */
  version?: number;
  /** When it was sent, then when it was acknowledged, ms since the run started. */
  atMs: number;
  /** Planted: acknowledged without being sent. */
  unsent?: boolean;
}

/** One attempt to create a log node (a name used once). */
interface LogAttempt {
  readonly name: string;
  readonly value: string;
  outcome: Outcome;
  atMs: number;
}

/** What the server holds at a register: its value and version, or nothing. */
type RegisterState = { value: string; version: number } | null;

const NAME = 'acknowledged-writes';

/** The scenario; `plant` makes one writer acknowledge writes it never sent. */
export function acknowledgedWritesScenario(options: AcknowledgedWritesOptions = {}): ChaosScenario {
  return new AcknowledgedWrites(options);
}

class AcknowledgedWrites implements ChaosScenario {
  readonly name = NAME;
  readonly invariants = [NAME] as const;
  #root = '';
  #admin: ChaosClient | undefined;
  readonly #registers = new Map<string, Attempt[]>();
  readonly #log: LogAttempt[] = [];
  #loops: Promise<void>[] = [];
  #operations = 0;
  #planted = 0;

  constructor(private readonly options: AcknowledgedWritesOptions) {}

  async start(context: ChaosContext): Promise<void> {
    this.#root = scenarioRoot(NAME, context);
    this.#admin = await openClient(context, `${NAME}-admin`, 'sequential', false);
    const admin = this.#admin.zk;
    await admin.retry(() => admin.ensurePath(`${this.#root}/log`));
    const writers = this.options.writers ?? 4;
    const perWriter = this.options.registersPerWriter ?? 4;
    for (let i = 0; i < writers; i++) {
      const handler = i % 2 === 0 ? 'sequential' : 'worker';
      const name = `${NAME}-${handler === 'sequential' ? 's' : 'w'}${i + 1}`;
      const client = await openClient(context, name, handler);
      const registers = Array.from({ length: perWriter }, (_, r) => `${this.#root}/r-${i + 1}-${r + 1}`);
      for (const path of registers) this.#registers.set(path, []);
      // Planted: the first writer only, so the others show the checker quiet on sound writes.
      const plant = i === 0 ? this.options.plant : undefined;
      this.#loops.push(this.#write(context, client, registers, context.random.fork(name), plant));
    }
  }

  /** One writer: sets, deletes and creates its registers and appends log nodes until the run stops. */
  async #write(
    context: ChaosContext,
    client: ChaosClient,
    registers: readonly string[],
    random: SeededRandom,
    plant: AcknowledgedWritesOptions['plant'],
  ): Promise<void> {
    const { zk, name } = client;
    const { signal, log } = context;
    /** What the writer believes of each register: present (with the last version it saw), absent, or unknown. */
    const belief = new Map<string, { present: boolean | undefined; version?: number }>(
      registers.map((path) => [path, { present: false }]),
    );
    let n = 0;
    while (!signal.aborted) {
      n++;
      const value = `${name}:${n}`;
      if (random.chance(0.2)) {
        const attempt: LogAttempt = { name: `${name}-${n}`, value, outcome: 'pending', atMs: log.now() };
        this.#log.push(attempt);
        this.#operations++;
        attempt.outcome = await outcomeOf(zk.create(`${this.#root}/log/${attempt.name}`, value));
        if (attempt.outcome === 'acknowledged') attempt.atMs = log.now();
      } else {
        const path = random.pick(registers);
        const state = belief.get(path)!;
        const history = this.#registers.get(path)!;
        const op = state.present === false ? 'create' : random.chance(0.1) ? 'delete' : 'set';
        const attempt: Attempt = { op, outcome: 'pending', atMs: log.now() };
        if (op !== 'delete') (attempt as { value?: string }).value = value;
        history.push(attempt);
        this.#operations++;
        if (
          op === 'set' &&
          plant === 'acknowledge-unsent' &&
          state.version !== undefined &&
          random.chance(0.2)
        ) {
          // Planted: acknowledged with a made-up Stat, never sent.
          attempt.outcome = 'acknowledged';
          attempt.version = state.version + 1;
          attempt.unsent = true;
          state.version = attempt.version;
          this.#planted++;
          continue;
        }
        let stat: Stat | undefined;
        const call =
          op === 'create'
            ? zk.create(path, value, { includeData: true }).then(([, s]) => {
                stat = s;
              })
            : op === 'set'
              ? zk.set(path, value).then((s) => {
                  stat = s;
                })
              : zk.delete(path);
        attempt.outcome = await outcomeOf(call);
        if (attempt.outcome === 'acknowledged') {
          attempt.atMs = log.now();
          attempt.version = stat?.version;
          belief.set(path, op === 'delete' ? { present: false } : { present: true, version: stat!.version });
        } else if (attempt.outcome === 'refused') {
          // NoNode on a set or delete, NodeExists on a create: the server says which it is.
          belief.set(path, { present: op === 'create' });
        } else {
          belief.set(path, { present: op === 'set' ? state.present : undefined });
        }
      }
      await pause(random.int(0, 10), signal);
    }
  }

  async check(_context: ChaosContext): Promise<ScenarioVerdict> {
    await Promise.all(this.#loops);
    const violations = new Violations(NAME);
    let checks = 0;

    // While it ran: acknowledged versions line up.
    for (const [path, history] of this.#registers) {
      for (const problem of versionProblems(history)) {
        checks++;
        if (problem !== undefined) violations.add(`${path}: ${problem.message}`, problem.atMs, 'versions');
      }
    }

    // At the end, on the server.
    const admin = this.#admin!.zk;
    await admin.retry(() => admin.sync(this.#root));
    for (const [path, history] of this.#registers) {
      const onServer = await admin.retry(async (): Promise<RegisterState> => {
        const stat = await admin.exists(path);
        if (stat === null) return null;
        const [data, s] = await admin.get(path);
        return { value: String(data), version: s.version };
      });
      checks++;
      const problem = finalProblem(history, onServer);
      if (problem !== undefined) violations.add(`${path}: ${problem.message}`, problem.atMs, 'final');
    }
    const logPath = `${this.#root}/log`;
    const names = new Set(await admin.retry(() => admin.getChildren(logPath)));
    const tried = new Set(this.#log.map((attempt) => attempt.name));
    let ambiguousApplied = 0;
    for (const attempt of this.#log) {
      checks++;
      const present = names.has(attempt.name);
      if (attempt.outcome === 'ambiguous' && present) ambiguousApplied++;
      if (attempt.outcome === 'refused') {
        violations.add(
          `log node ${attempt.name} was refused as existing, yet nobody had created it`,
          attempt.atMs,
        );
      } else if (attempt.outcome === 'acknowledged') {
        if (!present) {
          violations.add(`log node ${attempt.name} was acknowledged but is not on the server`, attempt.atMs);
          continue;
        }
        const [data] = await admin.retry(() => admin.get(`${logPath}/${attempt.name}`));
        if (String(data) !== attempt.value)
          violations.add(
            `log node ${attempt.name} holds '${data}', not the acknowledged '${attempt.value}'`,
            attempt.atMs,
          );
      }
    }
    for (const name of names) {
      checks++;
      if (!tried.has(name)) violations.add(`log node ${name} is on the server but nobody tried to create it`);
    }

    const attempts = [...this.#registers.values()].flat();
    const outcomes = [...attempts, ...this.#log].map((attempt) => attempt.outcome);
    return {
      operations: this.#operations,
      checks,
      violations: violations.done(),
      counts: {
        acknowledged: outcomes.filter((o) => o === 'acknowledged').length,
        ambiguous: outcomes.filter((o) => o === 'ambiguous').length,
        refused: outcomes.filter((o) => o === 'refused').length,
        ambiguousLogCreatesApplied: ambiguousApplied,
        registers: this.#registers.size,
        logNodes: names.size,
        plantedUnsent: this.#planted,
      },
    };
  }

  async close(): Promise<void> {
    await Promise.all(this.#loops);
    await removeRoot(this.#admin?.zk, this.#root);
  }
}

/** Whether a write was acknowledged, refused (not applied) or ambiguous. */
async function outcomeOf(call: Promise<unknown>): Promise<Outcome> {
  try {
    await call;
    return 'acknowledged';
  } catch (error) {
    return isRefusal(error) ? 'refused' : 'ambiguous';
  }
}

/**
 * One entry per comparison of two acknowledged versions of a register (undefined when they line
 * up): between acknowledged writes of one incarnation of the node, with k ambiguous sets in between,
 * the version grows by 1 to k + 1. An ambiguous create or delete in between starts an unknown
 * incarnation: nothing is compared across it.
 */
function versionProblems(history: readonly Attempt[]): Array<{ message: string; atMs: number } | undefined> {
  const results: Array<{ message: string; atMs: number } | undefined> = [];
  let base: Attempt | undefined;
  let ambiguousSets = 0;
  let unknownIncarnation = false;
  for (const attempt of history) {
    if (attempt.outcome === 'ambiguous') {
      if (attempt.op === 'set') ambiguousSets++;
      else unknownIncarnation = true;
      continue;
    }
    if (attempt.outcome !== 'acknowledged') continue;
    if (attempt.op === 'delete') {
      base = undefined;
      continue;
    }
    if (attempt.op === 'set' && base !== undefined && !unknownIncarnation) {
      const low = base.version! + 1;
      const high = low + ambiguousSets;
      const version = attempt.version!;
      results.push(
        version >= low && version <= high
          ? undefined
          : {
              message:
                `set '${attempt.value}' was acknowledged at version ${version}, but the write acknowledged ` +
                `before it ('${base.value}', version ${base.version}, at ${base.atMs} ms) with ` +
                `${ambiguousSets} ambiguous set(s) in between allows ${low}..${high}`,
              atMs: attempt.atMs,
            },
      );
    }
    base = attempt;
    ambiguousSets = 0;
    unknownIncarnation = false;
  }
  return results;
}

/** Why the server's final state of a register breaks the invariant, or undefined when it does not. */
function finalProblem(
  history: readonly Attempt[],
  onServer: RegisterState,
): { message: string; atMs?: number } | undefined {
  let last = -1;
  history.forEach((attempt, i) => {
    if (attempt.outcome === 'acknowledged') last = i;
  });
  const acknowledged = last >= 0 ? history[last] : undefined;
  const after = history.slice(last + 1).filter((attempt) => attempt.outcome === 'ambiguous');
  // What the last acknowledged operation left: no node before the first create or after a delete.
  if (acknowledged === undefined || acknowledged.op === 'delete') {
    if (onServer === null) return undefined;
  } else if (onServer !== null && onServer.value === acknowledged.value) {
    if (onServer.version === acknowledged.version) return undefined;
    return {
      message: `holds the last acknowledged value '${acknowledged.value}' at version ${onServer.version}, not ${acknowledged.version}`,
      atMs: acknowledged.atMs,
    };
  }
  // Or what an ambiguous attempt after it left.
  for (const attempt of after) {
    if (attempt.op === 'delete' ? onServer === null : onServer?.value === attempt.value) return undefined;
  }
  const held = onServer === null ? 'no node' : `'${onServer.value}' (version ${onServer.version})`;
  const lastWrite =
    acknowledged === undefined
      ? 'nothing was acknowledged'
      : `the last acknowledged operation was ${acknowledged.op}${acknowledged.value === undefined ? '' : ` '${acknowledged.value}'`}`;
  return {
    message: `the server holds ${held}, but ${lastWrite}, with ${after.length} ambiguous attempt(s) after it`,
    ...(acknowledged === undefined ? {} : { atMs: acknowledged.atMs }),
  };
}
