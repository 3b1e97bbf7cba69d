// The client's options, checked once and filled in with their defaults: what the constructor was
// given becomes one frozen ClientConfig the rest of the client reads. A bad option is refused here,
// with a typed error naming it, before any connection is made. The config holds credentials (auth
// data, TLS keys, a session password to resume), so the client keeps it in a private field, out of
// util.inspect and JSON.

import { DEFAULT_MAX_BUFFER_BYTES } from '../../protocol/constants.js';
import type { ACL } from '../../protocol/records.js';
import { OPEN_ACL_UNSAFE, validateAcl } from '../acl.js';
import { InvalidArgumentError } from '../errors.js';
import { parseHosts } from '../paths.js';
import type { RetryOptions } from '../retry.js';
import { resolveSasl, type SaslConfig } from '../sasl/sasl-config.js';
import type { HostAddress } from '../session/loop-messages.js';
import { checkTlsFileOptions, type TlsOptions } from '../session/tls-files.js';
import type { ClientOptions, Logger } from './options.js';

/** The default requested session timeout, ms. */
export const DEFAULT_SESSION_TIMEOUT_MS = 10_000;

/** The client's settings, every default filled in. */
export interface ClientConfig {
  readonly hosts: readonly HostAddress[];
  /** The chroot every path is relative to ('' for none). */
  readonly chroot: string;
  /** Requested session timeout, ms. */
  readonly sessionTimeout: number;
  /** A session to resume, from `clientId`. */
  readonly resume: { readonly sessionId: bigint; readonly passwd: Buffer } | undefined;
  readonly defaultAcl: readonly ACL[];
  /** Credentials replayed on every connection: [scheme, credential] (no `sasl` entry: see `sasl`). */
  readonly authData: ReadonlyArray<readonly [string, string]>;
  /** SASL on every connection, from the `sasl` option or a `sasl` authData entry. */
  readonly sasl: SaslConfig | undefined;
  readonly readOnly: boolean;
  readonly randomizeHosts: boolean;
  /** Upper bound of the random wait before a reconnect, ms; undefined: the default (a tenth of the session timeout, ≤ 1 s). */
  readonly reconnectJitter: number | undefined;
  /** Backoff between failed connect cycles (never a signal: the loop may run in another thread). */
  readonly connectionRetry: Omit<RetryOptions, 'signal'>;
  readonly commandRetry: RetryOptions;
  /** TLS options; file options are read on every attempt (docs/tls.md#rotation). */
  readonly tls: TlsOptions | undefined;
  readonly logger: Logger | undefined;
  /** Largest request frame, bytes. */
  readonly maxBufferBytes: number;
  /** Default per-request timeout, ms; undefined waits for the reply. */
  readonly requestTimeout: number | undefined;
}

/** Checks `options` and fills in the defaults; throws InvalidArgumentError (or InvalidPathError) on a bad one. */
export function resolveConfig(options: ClientOptions): ClientConfig {
  const { hosts, chroot } = parseHosts(options.hosts ?? '127.0.0.1:2181');
  const sessionTimeout = options.sessionTimeout ?? DEFAULT_SESSION_TIMEOUT_MS;
  if (!Number.isInteger(sessionTimeout) || sessionTimeout <= 0) {
    throw new InvalidArgumentError(
      'sessionTimeout',
      `sessionTimeout must be a positive integer (ms), got ${sessionTimeout}`,
    );
  }
  const defaultAcl = [...(options.defaultAcl ?? OPEN_ACL_UNSAFE)];
  validateAcl(defaultAcl);
  const maxBufferBytes = options.maxBufferBytes ?? DEFAULT_MAX_BUFFER_BYTES;
  if (!Number.isInteger(maxBufferBytes) || maxBufferBytes <= 0) {
    throw new InvalidArgumentError(
      'maxBufferBytes',
      `maxBufferBytes must be a positive integer (bytes), got ${maxBufferBytes}`,
    );
  }
  checkTimeout(options.requestTimeout, 'requestTimeout');
  const { reconnectJitter } = options;
  if (
    reconnectJitter !== undefined &&
    (typeof reconnectJitter !== 'number' || !Number.isFinite(reconnectJitter) || reconnectJitter < 0)
  ) {
    throw new InvalidArgumentError(
      'reconnectJitter',
      `reconnectJitter must be a finite number of ms, 0 or more, got ${String(reconnectJitter)}`,
    );
  }
  const tls = options.tls === true ? {} : options.tls;
  if (tls !== undefined) checkTlsFileOptions(tls);
  const { sasl, authData } = resolveSasl(options.sasl, checkAuthData(options.authData ?? []));
  return Object.freeze({
    hosts,
    chroot,
    sessionTimeout,
    resume: options.clientId && {
      sessionId: options.clientId.sessionId,
      passwd: Buffer.from(options.clientId.password),
    },
    defaultAcl: Object.freeze(defaultAcl),
    authData,
    sasl,
    readOnly: options.readOnly ?? false,
    randomizeHosts: options.randomizeHosts ?? true,
    reconnectJitter,
    connectionRetry: {
      maxTries: -1,
      delay: 100,
      backoff: 2,
      maxDelay: 10_000,
      ...withoutSignal(options.connectionRetry),
    },
    commandRetry: options.commandRetry ?? {},
    tls,
    logger: options.logger,
    maxBufferBytes,
    requestTimeout: options.requestTimeout,
  });
}

/** Throws InvalidArgumentError unless `timeout` is undefined or a positive number of ms (Infinity waits forever). */
export function checkTimeout(timeout: unknown, name = 'timeout'): void {
  if (timeout === undefined) return;
  if (typeof timeout !== 'number' || Number.isNaN(timeout) || timeout <= 0) {
    throw new InvalidArgumentError(name, `${name} must be a positive number of ms, got ${String(timeout)}`);
  }
}

/** A copy of the credential pairs, each checked (the credential itself never appears in an error). */
function checkAuthData(authData: ReadonlyArray<readonly [string, string]>): Array<readonly [string, string]> {
  if (!Array.isArray(authData)) throw new InvalidArgumentError('authData', 'authData must be an array');
  return authData.map((pair, i) => {
    const [scheme, credential] = Array.isArray(pair) ? pair : [];
    if (typeof scheme !== 'string' || scheme === '' || typeof credential !== 'string') {
      throw new InvalidArgumentError(
        'authData',
        `authData[${i}] must be a [scheme, credential] pair of strings with a non-empty scheme`,
      );
    }
    return Object.freeze([scheme, credential] as const);
  });
}

function withoutSignal(options: RetryOptions | undefined): Omit<RetryOptions, 'signal'> {
  if (options === undefined) return {};
  const { signal: _ignored, ...rest } = options;
  return rest;
}
