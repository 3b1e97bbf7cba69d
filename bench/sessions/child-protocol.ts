// What runSessionsBench and its child process say to each other over the fork's IPC channel. The
// child holds the sessions; the parent holds the ensemble, so it is the one that kills a member.

import type { HandlerFigures, SessionsHandler, WarmConnectFigures } from './figures.js';

/** The child's one argument (JSON). */
export type SessionsChildSpec =
  | {
      mode: 'sessions';
      handler: SessionsHandler;
      connectString: string;
      clients: number;
      idleSeconds: number;
      sessionTimeoutMs: number;
    }
  | { mode: 'warm-connect'; connectString: string; count: number; sessionTimeoutMs: number };

/** Child → parent. */
export type FromSessionsChild =
  /** Connected and measured while idle; `onServer` counts sessions per member `host:port`. */
  | {
      t: 'idle-measured';
      figures: Omit<
        HandlerFigures,
        'killed' | 'disconnected' | 'reconnectAllMs' | 'expired' | 'neverBack' | 'reasons'
      >;
      onServer: Record<string, number>;
    }
  | {
      t: 'storm-measured';
      figures: Pick<HandlerFigures, 'disconnected' | 'reconnectAllMs' | 'expired' | 'neverBack' | 'reasons'>;
    }
  | { t: 'warm-measured'; figures: WarmConnectFigures }
  | { t: 'failed'; error: string };

/** Parent → child: the member on `address` was killed at `killedAt` (Date.now() just before the kill). */
export type ToSessionsChild = { t: 'killed'; address: string; killedAt: number };
