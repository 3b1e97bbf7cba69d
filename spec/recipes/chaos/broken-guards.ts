// Deliberately broken guards for the planted-fault tests: each acquire puts a node where the real
// recipe would (so fencing checks still pass) and returns true at once, without waiting for anyone.
// Run through the same harness, they must make the checker report overlaps: proof it can fail.

import { randomUUID } from 'node:crypto';
import type { ZooKeeperClient } from '../../../index.js';
import type { Guard } from './contenders.js';

/** A "lock" that never waits: an ephemeral sequential contender node, and granted at once. */
export class NeverWaitingLock implements Guard {
  node: string | undefined;

  constructor(
    private readonly zk: ZooKeeperClient,
    private readonly path: string,
  ) {}

  async acquire(): Promise<boolean> {
    this.node = (await this.zk.create(`${this.path}/${randomUUID().replaceAll('-', '')}__lock__`, '', {
      ephemeral: true,
      sequence: true,
    })) as string;
    return true;
  }

  async release(): Promise<boolean> {
    const node = this.node;
    this.node = undefined;
    if (node === undefined) return false;
    await this.zk.delete(node).catch(() => undefined);
    return true;
  }
}

/** A "semaphore" that never counts leases: an ephemeral lease node, and granted at once. */
export class UncountedSemaphore implements Guard {
  readonly node: string;
  #held = false;

  constructor(
    private readonly zk: ZooKeeperClient,
    path: string,
  ) {
    this.node = `${path}/${randomUUID().replaceAll('-', '')}`;
  }

  async acquire(): Promise<boolean> {
    await this.zk.create(this.node, '', { ephemeral: true });
    this.#held = true;
    return true;
  }

  async release(): Promise<boolean> {
    if (!this.#held) return false;
    this.#held = false;
    await this.zk.delete(this.node).catch(() => undefined);
    return true;
  }
}
