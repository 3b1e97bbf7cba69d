// Session states: kazoo's three-valued KazooState for applications and recipes, and the finer
// KeeperState-like view of the connection.

/** What applications react to (kazoo's KazooState). */
export const ClientState = {
  /** Connected, session valid: requests flow. */
  CONNECTED: 'CONNECTED',
  /** Connection lost, session maybe still valid: assume you lost what you held (Curator's policy). */
  SUSPENDED: 'SUSPENDED',
  /** Session gone (expired, closed, auth failed): ephemerals and watches are lost. */
  LOST: 'LOST',
} as const;
export type ClientState = (typeof ClientState)[keyof typeof ClientState];

/** The connection's own view (kazoo's KeeperState). */
export const ConnectionState = {
  CONNECTING: 'CONNECTING',
  CONNECTED: 'CONNECTED',
  CONNECTED_RO: 'CONNECTED_RO',
  AUTH_FAILED: 'AUTH_FAILED',
  EXPIRED_SESSION: 'EXPIRED_SESSION',
  CLOSED: 'CLOSED',
} as const;
export type ConnectionState = (typeof ConnectionState)[keyof typeof ConnectionState];

/** The application-level state a connection state implies. */
export function clientStateOf(state: ConnectionState): ClientState {
  switch (state) {
    case 'CONNECTED':
    case 'CONNECTED_RO':
      return ClientState.CONNECTED;
    case 'CONNECTING':
      return ClientState.SUSPENDED;
    default:
      return ClientState.LOST;
  }
}
