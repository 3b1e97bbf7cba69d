// The checks an operation's arguments go through before anything is sent: each throws
// InvalidArgumentError naming the argument, which the client turns into the call's rejection.

import { InvalidArgumentError } from '../errors.js';

/** A value as bytes: a string as UTF-8; a Uint8Array viewed as a Buffer without a copy. */
export function toBytes(value: Uint8Array | string | undefined): Buffer {
  if (value === undefined) return Buffer.alloc(0);
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (value instanceof Uint8Array)
    return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  throw new InvalidArgumentError('value', `value must be a string or a Uint8Array, got ${typeof value}`);
}

/** A version argument: an integer from -1 (any version) to 2^31-1; undefined is -1. */
export function checkVersion(version: number | undefined): number {
  if (version === undefined) return -1;
  if (!Number.isInteger(version) || version < -1 || version > 0x7fffffff) {
    throw new InvalidArgumentError('version', `version must be an integer from -1 to 2^31-1, got ${version}`);
  }
  return version;
}

/** A watch callback must be a function (a truthy non-function would be called by the next event). */
export function checkCallback(callback: unknown): void {
  if (typeof callback !== 'function')
    throw new InvalidArgumentError('callback', `callback must be a function, got ${typeof callback}`);
}
