// The messages between the herd spec and a child process of the multi-process variant, over the
// IPC channel `fork` opens: plain JSON, one closed union each way. A child runs one fleet
// (spec/herd/fleet.ts) through start → finish → close, answering each step.

import type { FleetOptions } from './fleet.js';
import type { FleetReport } from './records.js';

/** What the spec asks a child to do. Times in ms. */
export type ToChild =
  /** Connect the fleet and start its request streams; answered with `ready`. */
  | { t: 'start'; fleet: FleetOptions }
  /**
   * A member was killed: wait (up to `recoveryTimeoutMs`) until every session is connected and
   * none on `victim`, write `afterMs` more, then stop, settle (up to `settleMs`), verify; answered
   * with `report`.
   */
  | { t: 'finish'; victim: string; recoveryTimeoutMs: number; afterMs: number; settleMs: number }
  /** Stop every client; answered with `closed`, then the child exits. */
  | { t: 'close' };

/** What a child answers. */
export type FromChild =
  | { t: 'ready'; servers: Record<string, string | undefined> }
  | { t: 'report'; report: FleetReport }
  | { t: 'closed' }
  /** A step threw; the child stays, so the spec can still ask it to close. */
  | { t: 'failed'; message: string };
