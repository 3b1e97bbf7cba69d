// Invariant 6, "recipes finish": every queue item is consumed exactly once (a LockingQueue's; a
// Queue's at most once, every loss explained by a lost delete reply), and barriers release every
// member exactly once, never early. The queues are queue-workers.ts, the barriers
// barrier-rounds.ts; this puts them on one set of clients: a producer and a coordinator (sequential
// handler) and three members that consume and meet at the barriers (sequential, worker,
// sequential), all behind proxies.
//
// Planted faults (`plant`): 'take-without-removing' — the first consumer gives LockingQueue items
// back after recording them and reads Queue items without deleting them; 'barrier-releases-early'
// — the first member takes a 20 ms timeout for the Barrier's release.

import type {
  ChaosClient,
  ChaosContext,
  ChaosScenario,
  ChaosViolation,
  ScenarioVerdict,
} from '../../../testing/chaos/scenario.js';
import { BarrierRounds } from './barrier-rounds.js';
import { QueueWork } from './queue-workers.js';
import { openClient, removeRoot, scenarioRoot } from './support.js';

/** Options of the scenario. */
export interface RecipesFinishOptions {
  /** Deliberately broken recipes, for the planted-fault test. */
  plant?: ReadonlyArray<'take-without-removing' | 'barrier-releases-early'>;
}

const NAME = 'recipes-finish';

/** The scenario; `plant` breaks a consumer, a barrier member, or both. */
export function recipesFinishScenario(options: RecipesFinishOptions = {}): ChaosScenario {
  return new RecipesFinish(options);
}

class RecipesFinish implements ChaosScenario {
  readonly name = NAME;
  readonly invariants = [NAME] as const;
  #root = '';
  #admin: ChaosClient | undefined;
  #queues: QueueWork | undefined;
  #barriers: BarrierRounds | undefined;

  constructor(private readonly options: RecipesFinishOptions) {}

  async start(context: ChaosContext): Promise<void> {
    this.#root = scenarioRoot(NAME, context);
    this.#admin = await openClient(context, `${NAME}-admin`, 'sequential', false);
    const plant = this.options.plant ?? [];
    const producer = await openClient(context, `${NAME}-producer`, 'sequential');
    const coordinator = await openClient(context, `${NAME}-coordinator`, 'sequential');
    const members: ChaosClient[] = [];
    for (const [i, handler] of (['sequential', 'worker', 'sequential'] as const).entries())
      members.push(await openClient(context, `${NAME}-member-${i + 1}`, handler));
    this.#queues = new QueueWork({
      invariant: NAME,
      root: `${this.#root}/queues`,
      producer,
      consumers: members,
      random: context.random.fork('queues'),
      plant: plant.includes('take-without-removing') ? 'take-without-removing' : undefined,
    });
    this.#barriers = new BarrierRounds({
      invariant: NAME,
      root: this.#root,
      coordinator,
      members,
      random: context.random.fork('barriers'),
      plant: plant.includes('barrier-releases-early') ? 'barrier-releases-early' : undefined,
    });
    await this.#queues.start(context);
    this.#barriers.start(context);
  }

  async check(context: ChaosContext): Promise<ScenarioVerdict> {
    const deadlineMs = context.sessionTimeoutMs * 3 + 30_000;
    const barriers = await this.#barriers!.finish(deadlineMs);
    const queues = await this.#queues!.finish(context, this.#admin!.zk, deadlineMs);
    const violations: ChaosViolation[] = [...queues.violations, ...barriers.violations];
    const errors = { ...this.#queues!.errors };
    for (const [key, n] of Object.entries(this.#barriers!.errors)) errors[key] = (errors[key] ?? 0) + n;
    return {
      operations: this.#queues!.operations + this.#barriers!.operations,
      checks: queues.checks + barriers.checks,
      violations,
      counts: {
        ...queues.counts,
        ...barriers.counts,
        ...Object.fromEntries(Object.entries(errors).map(([key, n]) => [`errors ${key}`, n])),
      },
    };
  }

  async close(): Promise<void> {
    await this.#queues?.close();
    await this.#barriers?.close();
    await removeRoot(this.#admin?.zk, this.#root);
  }
}
