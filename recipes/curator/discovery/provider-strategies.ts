// How a ServiceProvider picks one instance from those it may hand out (Curator's ProviderStrategy):
// round robin (Curator's default), random, or sticky — the same instance for as long as it is
// among them, picked again by another strategy when it goes.

import { instancesEqual, type ServiceInstance } from './service-instance.js';

/** Picks one of `instances` (already filtered: enabled, not down), or undefined for none. */
export interface ProviderStrategy {
  /** The instance to hand out now, from `instances` (in the cache's order); undefined for none. */
  getInstance<P>(instances: readonly ServiceInstance<P>[]): ServiceInstance<P> | undefined;
}

/** Each call the next instance in the list's order, wrapping around (Curator's RoundRobinStrategy). */
export class RoundRobinStrategy implements ProviderStrategy {
  private index = 0;

  /** The instance after the one handed out last time. */
  getInstance<P>(instances: readonly ServiceInstance<P>[]): ServiceInstance<P> | undefined {
    if (instances.length === 0) return undefined;
    const index = this.index;
    this.index = (this.index + 1) % 2 ** 31;
    return instances[index % instances.length];
  }
}

/** A uniformly random instance (Curator's RandomStrategy); `random` is the source of chance (default Math.random). */
export class RandomStrategy implements ProviderStrategy {
  constructor(private readonly random: () => number = Math.random) {}

  /** An instance chosen by `random()`. */
  getInstance<P>(instances: readonly ServiceInstance<P>[]): ServiceInstance<P> | undefined {
    if (instances.length === 0) return undefined;
    return instances[Math.min(instances.length - 1, Math.floor(this.random() * instances.length))];
  }
}

/**
 * The same instance every call while it is among those offered (compared field by field);
 * when it is gone, `master` picks a new one (Curator's StickyStrategy).
 */
export class StickyStrategy implements ProviderStrategy {
  private chosen: ServiceInstance<unknown> | undefined;
  private picks = -1;

  constructor(private readonly master: ProviderStrategy = new RandomStrategy()) {}

  /** How many times a new instance was picked, less one (Curator's `getInstanceNumber`). */
  get instanceNumber(): number {
    return this.picks;
  }

  /** The instance handed out last time if it is still offered, else the master strategy's pick. */
  getInstance<P>(instances: readonly ServiceInstance<P>[]): ServiceInstance<P> | undefined {
    const chosen = this.chosen;
    const still =
      chosen === undefined ? undefined : instances.find((instance) => instancesEqual(instance, chosen));
    if (still !== undefined) return still;
    this.chosen = this.master.getInstance(instances);
    if (this.chosen !== undefined) this.picks++;
    return this.chosen as ServiceInstance<P> | undefined;
  }
}

/** The strategies by name: `roundRobin`, `random`, and `sticky` (sticky over random). */
export type ProviderStrategyName = 'roundRobin' | 'random' | 'sticky';

/** A strategy from its name, or the strategy itself. */
export function providerStrategy(
  strategy: ProviderStrategy | ProviderStrategyName = 'roundRobin',
): ProviderStrategy {
  switch (strategy) {
    case 'roundRobin':
      return new RoundRobinStrategy();
    case 'random':
      return new RandomStrategy();
    case 'sticky':
      return new StickyStrategy(new RandomStrategy());
    default:
      return strategy;
  }
}
