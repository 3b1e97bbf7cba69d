// Where a client's log lines and the errors of user callbacks go (docs/observability.md#logging).
//
// Log lines go to the `logger` option as `(message, fields)`; without one, to `util.debuglog`
// under NODE_DEBUG=zookit, else nowhere. An error thrown by a watch callback or a listener goes to
// the `error` event when someone listens, else to the logger at error level, else to
// process.emitWarning once per kind: eventemitter3, unlike Node's EventEmitter, does not throw an
// `error` nobody listens to, so without this a throwing callback vanished without a trace
// (docs/observability.md#callback-errors).

import { debuglog } from 'node:util';
import type { LogFields, Logger } from './options.js';

/** A log line's level, the names of the Logger's methods. */
export type LogLevel = keyof Logger;

/** NODE_DEBUG=zookit turns it on; Node reads the variable once, on first use. */
const debug = debuglog('zookit');

/** What a reporter needs from its client. */
export interface ReportTarget {
  /** Whether anyone listens to the `error` event. */
  hasErrorListener(): boolean;
  emitError(error: unknown): void;
}

/** One client's log sink and callback-error policy. */
export class ClientReporter {
  /** Kinds already warned about: one warning per kind, so a callback throwing on every event cannot flood stderr. */
  readonly #warned = new Set<string>();

  constructor(
    readonly logger: Logger | undefined,
    private readonly target: ReportTarget,
  ) {}

  /** Writes one log line: to the logger, or to NODE_DEBUG=zookit when there is none. */
  log(level: LogLevel, message: string, fields?: LogFields): void {
    const logger = this.logger;
    if (logger !== undefined) {
      // A method call, so pino and console keep their `this`; no `undefined` printed after the message.
      if (fields === undefined) logger[level]?.(message);
      else logger[level]?.(message, fields);
      return;
    }
    if (!debug.enabled) return;
    if (fields === undefined) debug('%s %s', level, message);
    else debug('%s %s %O', level, message, fields);
  }

  /**
   * A user callback of `kind` threw `error`: the `error` event if anyone listens, else the
   * logger's error level, else one process warning per kind carrying the error's stack.
   */
  callbackFailed(error: unknown, kind: string): void {
    if (this.target.hasErrorListener()) {
      this.target.emitError(error);
      return;
    }
    const message = `a ${kind} threw: ${describe(error)}`;
    if (this.logger?.error !== undefined) {
      this.log('error', message, { kind, err: error });
      return;
    }
    this.log('error', message, { kind, err: error }); // NODE_DEBUG shows every one
    if (this.#warned.has(kind)) return;
    this.#warned.add(kind);
    process.emitWarning(
      `${message} (later throws of a ${kind} of this client are not reported: listen to the client's 'error' event or give it a logger)`,
      {
        type: 'ZookitWarning',
        code: 'ZOOKIT_CALLBACK_THREW',
        detail: (error as Error)?.stack ?? String(error),
      },
    );
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
