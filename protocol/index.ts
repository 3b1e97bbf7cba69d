// protocol/: bytes and records only — no sockets, timers or client state.
export * from './codec.js';
export * from './constants.js';
export * from './error-codes.js';
export * from './frame-accumulator.js';
export * from './jute.js';
export * from './multi.js';
export * from './operations.js';
export * from './protocol-error.js';
export * from './records.js';
