// The contract between run.ts and a measurement child: what it is asked to do, and how it
// answers on stdout.

import type { ClientName } from './clients/client.js';
import type { WatchKindName } from './driver.js';
import type { WorkloadName } from './workloads.js';

/** What run.ts asks a child to do. */
export type ChildSpec =
  | {
      mode: 'measure';
      client: ClientName;
      connectString: string;
      workload: WorkloadName;
      window: number;
      warmupMs: number;
      measureMs: number;
    }
  | { mode: 'connect'; client: ClientName; connectString: string; count: number }
  | {
      mode: 'watches';
      client: Exclude<ClientName, 'raw'>;
      connectString: string;
      count: number;
      /** Default `exists`. */
      kind?: WatchKindName;
      deadlineMs: number;
    };

/** Prefix of the child's one result line; the JSON follows. */
export const RESULT_PREFIX = 'BENCH-RESULT ';
/** Prefix of the child's line when it failed; the message follows. */
export const ERROR_PREFIX = 'BENCH-ERROR ';
