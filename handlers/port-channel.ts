// A ChannelEnd over a worker_threads MessagePort: the socket pair of WorkerThreadsHandler. Every
// message crosses by structured clone, so two things are done by hand:
// - a `frames` array (the loop's reads, the client's writes) is packed into one fresh ArrayBuffer
//   that is transferred, not cloned: a frame is usually a view into a larger buffer (a socket
//   read, a Buffer pool slab), and cloning a view copies its whole backing store;
// - Buffers arrive as plain Uint8Arrays, so top-level Uint8Array fields become Buffers again.

import type { MessagePort } from 'node:worker_threads';
import type { ChannelEnd } from './handler.js';

/** How a `frames` array travels: one transferred buffer and each frame's length, in order. */
interface PackedFrames {
  readonly packed: ArrayBuffer;
  readonly lengths: number[];
}

/** Frames written into one new ArrayBuffer that nothing else references, so it can be transferred. */
function pack(frames: readonly Uint8Array[]): PackedFrames {
  let total = 0;
  const lengths = new Array<number>(frames.length);
  for (let i = 0; i < frames.length; i++) {
    lengths[i] = frames[i]!.byteLength;
    total += lengths[i]!;
  }
  const packed = new ArrayBuffer(total);
  const bytes = new Uint8Array(packed);
  let offset = 0;
  for (const frame of frames) {
    bytes.set(frame, offset);
    offset += frame.byteLength;
  }
  return { packed, lengths };
}

/** The frames of a PackedFrames, as Buffers sharing its memory. */
function unpack({ packed, lengths }: PackedFrames): Buffer[] {
  const frames = new Array<Buffer>(lengths.length);
  let offset = 0;
  for (let i = 0; i < lengths.length; i++) {
    frames[i] = Buffer.from(packed, offset, lengths[i]);
    offset += lengths[i]!;
  }
  return frames;
}

function isFrameArray(value: unknown): value is Uint8Array[] {
  return Array.isArray(value) && (value.length === 0 || value[0] instanceof Uint8Array);
}

/** The message as it goes on the port, and the buffers to transfer with it. */
export function encodePortMessage(message: unknown): { wire: unknown; transfer: ArrayBuffer[] } {
  if (message === null || typeof message !== 'object') return { wire: message, transfer: [] };
  const frames = (message as { frames?: unknown }).frames;
  if (!isFrameArray(frames)) return { wire: message, transfer: [] };
  const packed = pack(frames);
  return { wire: { ...message, frames: packed }, transfer: [packed.packed] };
}

/**
 * `value` with every byte array in it (at any depth of arrays and plain objects) as a Buffer:
 * structured clone turns Buffers into plain Uint8Arrays. Anything else (a SharedArrayBuffer, a
 * Map) is left as it arrived.
 */
export function reviveBuffers(value: unknown): unknown {
  if (value instanceof Uint8Array) {
    return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  }
  if (Array.isArray(value)) return value.map(reviveBuffers);
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(value)) out[key] = reviveBuffers(field);
    return out;
  }
  return value;
}

/** The message as the receiving side expects it: Buffers where Buffers were sent. */
export function decodePortMessage<T>(wire: unknown): T {
  if (wire === null || typeof wire !== 'object') return wire as T;
  const message = wire as Record<string, unknown>;
  for (const key of Object.keys(message)) {
    const value = message[key];
    if (key === 'frames' && value !== null && typeof value === 'object' && 'packed' in value) {
      message[key] = unpack(value as PackedFrames);
    } else if (value !== null && typeof value === 'object') {
      message[key] = reviveBuffers(value);
    }
  }
  return message as T;
}

/**
 * One end of the channel. Delivery starts when the receiver is set; until then the port holds
 * what arrives. The port keeps its thread alive while open, as a socket would, and `close()`
 * closes it (the other end sees the close and stops delivering too).
 */
export class PortChannelEnd<In, Out> implements ChannelEnd<In, Out> {
  private closed = false;

  constructor(readonly port: MessagePort) {
    port.on('close', () => {
      this.closed = true;
    });
  }

  post(message: Out): void {
    if (this.closed) return;
    const { wire, transfer } = encodePortMessage(message);
    this.port.postMessage(wire, transfer);
  }

  onMessage(receive: (message: In) => void): void {
    this.port.removeAllListeners('message');
    this.port.on('message', (wire: unknown) => {
      if (!this.closed) receive(decodePortMessage<In>(wire));
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.port.close();
  }
}
