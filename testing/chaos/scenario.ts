// The contract between the chaos runner (runner.ts) and what it runs: a Scenario lays out its
// nodes, opens its clients through the runner (so the faults can reach them), works until the
// runner says stop, then checks its invariants against what the server holds. The runner owns the
// ensemble, the fault proxies, the seeded schedule and the event log; a scenario owns its workload
// and its verdict. Users write their own scenarios against this to run their code under the same
// faults (docs/chaos.md).

import type { ClientOptions, ZooKeeperClient } from '../../index.js';
import type { SessionCredentials } from '../expire-session.js';
import type { FaultProxy } from '../fault-proxy.js';
import type { TestingCluster } from '../testing-cluster.js';
import type { SeededRandom } from './seeded-random.js';

/** Which handler a chaos client runs its connection loop on. */
export type ChaosHandlerKind = 'sequential' | 'worker';

/** One entry of a run's timeline: a fault, a client's state change, a scenario's own event. */
export interface ChaosEvent {
  /** Milliseconds since the run started. */
  readonly atMs: number;
  /** Who: 'fault', 'runner', a client's or a scenario's name. */
  readonly source: string;
  /** What happened, in a few words. */
  readonly what: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

/** The run's timeline; a violation is reported with the events around it. */
export interface ChaosEventLog {
  /** Appends an event stamped with the time since the run started; returns it. */
  record(source: string, what: string, details?: Record<string, unknown>): ChaosEvent;
  /** Milliseconds since the run started. */
  now(): number;
}

/** A client a scenario opened through the runner: the faults can black-hole, expire or kill it. */
export interface ChaosClient {
  readonly name: string;
  readonly handler: ChaosHandlerKind;
  readonly zk: ZooKeeperClient;
  /** The proxy between it and its member; undefined for a client opened with `proxied: false`. */
  readonly proxy: FaultProxy | undefined;
}

/** How a scenario wants a client. */
export interface ChaosClientOptions {
  /** Unique within the run; names the client in the event log. */
  name: string;
  handler: ChaosHandlerKind;
  /** Behind a FaultProxy to one member (the default), or straight to the whole ensemble. */
  proxied?: boolean;
  /** Passed on to the client (hosts and handler are the runner's). */
  client?: Omit<ClientOptions, 'hosts' | 'handler'>;
}

/** What the runner gives a scenario. */
export interface ChaosContext {
  /** The run's seed. */
  readonly seed: number;
  /** This scenario's own stream, derived from the seed and the scenario's name. */
  readonly random: SeededRandom;
  readonly cluster: TestingCluster;
  readonly log: ChaosEventLog;
  /** The session timeout the runner's faults are sized for, ms. */
  readonly sessionTimeoutMs: number;
  /** Aborted when the workload must stop (the faults stop at the same time). */
  readonly signal: AbortSignal;
  /** Opens and starts a client; the runner closes it at the end of the run if the scenario did not. */
  openClient(options: ChaosClientOptions): Promise<ChaosClient>;
  /**
   * A session the runner's expiry faults may target though it is not a zookit client of this
   * process (a kazoo process, say): `session()` answers its current credentials or undefined.
   */
  addSessionTarget(name: string, session: () => SessionCredentials | undefined): void;
}

/** One broken invariant. */
export interface ChaosViolation {
  /** The invariant's name, e.g. 'mutual-exclusion', 'acknowledged-writes'. */
  readonly invariant: string;
  readonly message: string;
  /** When it happened (ms since the run started), if known: the report shows the events around it. */
  readonly atMs?: number;
}

/** A scenario's verdict. */
export interface ScenarioVerdict {
  /** Operations its workload made (requests, recipe calls), for the summary line. */
  operations: number;
  /** Individual invariant checks made (each compared value, each version accounted for, ...). */
  checks: number;
  violations: ChaosViolation[];
  /** Counts worth quoting (grants, items, versions seen, ...). */
  counts?: Record<string, number>;
}

/** A workload with its invariants. */
export interface ChaosScenario {
  /** Unique within a run. */
  readonly name: string;
  /** The invariants it checks, by name (for the report, even when a run found nothing to check). */
  readonly invariants: readonly string[];
  /** Lays out its nodes, opens its clients, starts working; resolves once working (not when done). */
  start(context: ChaosContext): Promise<void>;
  /**
   * Called once the faults stopped, every member runs and a quorum is back: stop working (the
   * signal is already aborted), let things settle, check, return the verdict.
   */
  check(context: ChaosContext): Promise<ScenarioVerdict>;
  /** Releases whatever it holds (processes, timers); the runner closes its clients after. */
  close(): Promise<void>;
}
