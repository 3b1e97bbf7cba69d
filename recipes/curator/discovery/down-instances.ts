// Curator's DownInstancePolicy: a provider that is told an instance failed (`noteError`) stops
// handing it out once it has failed `errorThreshold` times, for about `timeoutMs` after its first
// failure. As in Curator's DownInstanceManager, the forgetting happens in sweeps run at most every
// `timeoutMs / 2` when the provider is used, so an instance comes back between `timeoutMs` and
// 1.5 × `timeoutMs` after its first noted error. Instances are told apart by every field (a
// re-registered instance, with a new registration time, starts clean). Time is the handler's clock.

import type { RecipeHandler } from '../../../lib/recipe-client.js';
import { instancesEqual, type ServiceInstance } from './service-instance.js';

/** When a noted instance counts as down (Curator's DownInstancePolicy; its defaults). */
export interface DownInstancePolicy {
  /** How long an instance's errors count after its first one, ms (default 30 000). */
  timeoutMs?: number;
  /** Errors within `timeoutMs` that make it down (default 2). */
  errorThreshold?: number;
}

/** Curator's default DownInstancePolicy timeout, ms. */
export const DEFAULT_DOWN_TIMEOUT_MS = 30_000;
/** Curator's default DownInstancePolicy error threshold. */
export const DEFAULT_DOWN_ERROR_THRESHOLD = 2;

interface Status {
  readonly instance: ServiceInstance<unknown>;
  /** When its first counted error was noted (handler clock, ms). */
  readonly since: number;
  errors: number;
}

/** The errors noted per instance, and whether each is down now. */
export class DownInstances {
  /** How long an instance's errors count, ms. */
  readonly timeoutMs: number;
  /** Errors that make an instance down. */
  readonly errorThreshold: number;
  private statuses: Status[] = [];
  private lastSweep: number;

  constructor(
    policy: DownInstancePolicy,
    private readonly clock: Pick<RecipeHandler, 'now'>,
  ) {
    this.timeoutMs = policy.timeoutMs ?? DEFAULT_DOWN_TIMEOUT_MS;
    this.errorThreshold = policy.errorThreshold ?? DEFAULT_DOWN_ERROR_THRESHOLD;
    if (!(this.timeoutMs >= 0) || !Number.isInteger(this.errorThreshold))
      throw new TypeError(`a bad DownInstancePolicy: ${JSON.stringify(policy)}`);
    this.lastSweep = clock.now();
  }

  /** Counts one error of `instance`. */
  noteError(instance: ServiceInstance<unknown>): void {
    this.sweep();
    let status = this.find(instance);
    if (status === undefined) {
      status = { instance, since: this.clock.now(), errors: 0 };
      this.statuses.push(status);
    }
    status.errors++;
  }

  /** Whether `instance` may be handed out: fewer than `errorThreshold` errors counted. */
  isUp(instance: ServiceInstance<unknown>): boolean {
    this.sweep();
    const status = this.find(instance);
    return status === undefined || status.errors < this.errorThreshold;
  }

  private find(instance: ServiceInstance<unknown>): Status | undefined {
    return this.statuses.find((status) => instancesEqual(status.instance, instance));
  }

  /** Forgets instances whose first error is `timeoutMs` old, at most every `timeoutMs / 2`. */
  private sweep(): void {
    const now = this.clock.now();
    if (now - this.lastSweep < this.timeoutMs / 2) return;
    this.lastSweep = now;
    this.statuses = this.statuses.filter((status) => now - status.since < this.timeoutMs);
  }
}
