// Curator's ServiceProvider: hands out one instance of a service at a time, from its own
// ServiceCache, through a ProviderStrategy. Only instances that pass every filter are offered: the
// caller's, then the DownInstancePolicy's (instances reported with `noteError`), then `enabled`.

import type { RecipeClient } from '../../../lib/recipe-client.js';
import { type DownInstancePolicy, DownInstances } from './down-instances.js';
import { type ProviderStrategy, type ProviderStrategyName, providerStrategy } from './provider-strategies.js';
import type { ServiceCache } from './service-cache.js';
import type { ServiceInstance } from './service-instance.js';

/** Options of a ServiceProvider (Curator's ServiceProviderBuilder). */
export interface ServiceProviderOptions<P = unknown> {
  /** How to pick (default `roundRobin`, Curator's default); `sticky` is sticky over random. */
  strategy?: ProviderStrategy | ProviderStrategyName;
  /** When an instance noted with `noteError` is left out (default 2 errors within 30 s). */
  downInstancePolicy?: DownInstancePolicy;
  /** More conditions an instance must meet to be offered (Curator's `additionalFilter`). */
  filters?: ReadonlyArray<(instance: ServiceInstance<P>) => boolean>;
}

/** One service's instances, one at a time. Call `start()`; `close()` when done. */
export class ServiceProvider<P = unknown> implements AsyncDisposable {
  /** The strategy in use. */
  readonly strategy: ProviderStrategy;
  private readonly down: DownInstances;
  private readonly filters: ReadonlyArray<(instance: ServiceInstance<P>) => boolean>;

  /** Made by `discovery.serviceProvider(name, options)`; `onClose` tells the discovery it is closed. */
  constructor(
    client: RecipeClient,
    /** The cache the provider picks from (its own: the provider starts and closes it). */
    readonly cache: ServiceCache<P>,
    options: ServiceProviderOptions<P> = {},
    private readonly onClose: (provider: ServiceProvider<P>) => void = () => {},
  ) {
    this.strategy = providerStrategy(options.strategy);
    this.down = new DownInstances(options.downInstancePolicy ?? {}, client.handler);
    this.filters = options.filters ?? [];
  }

  /** The service's name. */
  get name(): string {
    return this.cache.name;
  }

  /** Starts the cache; resolves once it holds every instance. */
  start(): Promise<void> {
    return this.cache.start();
  }

  /** Stops the provider's cache. */
  async close(): Promise<void> {
    this.onClose(this);
    await this.cache.close();
  }

  /** `await using provider = discovery.serviceProvider(name)` closes it when the scope exits. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Every instance that may be handed out now: passing the filters, not down, enabled. */
  getAllInstances(): ServiceInstance<P>[] {
    return this.cache
      .getInstances()
      .filter(
        (instance) =>
          this.filters.every((filter) => filter(instance)) && this.down.isUp(instance) && instance.enabled,
      );
  }

  /** One instance, as the strategy picks it; undefined when there is none to hand out. */
  getInstance(): ServiceInstance<P> | undefined {
    return this.strategy.getInstance(this.getAllInstances());
  }

  /** Reports that `instance` failed; enough reports within the policy's timeout leave it out for a while. */
  noteError(instance: ServiceInstance<P>): void {
    this.down.noteError(instance);
  }
}
