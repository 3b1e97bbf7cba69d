/**
 * The `zookit/protocol` entry (protocol/): bytes and records only — no sockets, timers or client
 * state. The jute codec for every ZooKeeper 3.8 record and operation, framing and constants.
 *
 * @module zookit/protocol
 */

export * from './codec.js';
export * from './constants.js';
export * from './error-codes.js';
export * from './frame-accumulator.js';
export * from './jute.js';
export * from './multi.js';
export * from './operations.js';
export * from './protocol-error.js';
export * from './records.js';
