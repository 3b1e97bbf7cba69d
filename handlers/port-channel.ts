// A ChannelEnd over a worker_threads MessagePort: the socket pair of WorkerThreadsHandler. Every
// message crosses by structured clone, so two things are done by hand:
// - a `frames` array (the loop's reads, the client's writes) is packed into one fresh ArrayBuffer
//   that is transferred, not cloned: a frame is usually a view into a larger buffer (a socket
//   read, a Buffer pool slab), and cloning a view copies its whole backing store. A large frame
//   that is a whole ArrayBuffer of its own (one the accumulator assembled from several reads, a
//   big request) is transferred as it is, with no copy at all; the sender never touches a
//   frame again once posted;
// - Buffers arrive as plain Uint8Arrays, so top-level Uint8Array fields become Buffers again.

import type { MessagePort } from 'node:worker_threads';
import type { ChannelEnd } from './handler.js';

/** How a `frames` array travels: the small frames packed in one buffer, the large ones as they are. */
interface PackedFrames {
  readonly packed: ArrayBuffer;
  /** Each frame's length, in order; -1 for a frame that travels in `own`. */
  readonly lengths: number[];
  /** The frames that travel as their own transferred buffer, in order. */
  readonly own: ArrayBuffer[];
}

/** Frames this large that own their ArrayBuffer are transferred without being packed. */
const OWN_TRANSFER_MIN_BYTES = 64 * 1024;

/** Whether `frame` is a large, whole (non-shared) ArrayBuffer of its own, so it can be transferred. */
function travelsAlone(frame: Uint8Array): boolean {
  return (
    frame.byteLength >= OWN_TRANSFER_MIN_BYTES &&
    frame.byteOffset === 0 &&
    frame.buffer instanceof ArrayBuffer &&
    frame.byteLength === frame.buffer.byteLength
  );
}

/** Small frames written into one new ArrayBuffer that nothing else references, so it can be transferred. */
function pack(frames: readonly Uint8Array[]): PackedFrames {
  let total = 0;
  const lengths = new Array<number>(frames.length);
  const own: ArrayBuffer[] = [];
  for (let i = 0; i < frames.length; i++) {
    const frame = frames[i]!;
    if (travelsAlone(frame)) {
      lengths[i] = -1;
      own.push(frame.buffer as ArrayBuffer);
      continue;
    }
    lengths[i] = frame.byteLength;
    total += frame.byteLength;
  }
  const packed = new ArrayBuffer(total);
  const bytes = new Uint8Array(packed);
  let offset = 0;
  for (let i = 0; i < frames.length; i++) {
    if (lengths[i] === -1) continue;
    bytes.set(frames[i]!, offset);
    offset += lengths[i]!;
  }
  return { packed, lengths, own };
}

/** The frames of a PackedFrames, as Buffers sharing its memory. */
function unpack({ packed, lengths, own }: PackedFrames): Buffer[] {
  const frames = new Array<Buffer>(lengths.length);
  let offset = 0;
  let next = 0;
  for (let i = 0; i < lengths.length; i++) {
    const length = lengths[i]!;
    if (length === -1) {
      frames[i] = Buffer.from(own[next++]!);
      continue;
    }
    frames[i] = Buffer.from(packed, offset, length);
    offset += length;
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
  return { wire: { ...message, frames: packed }, transfer: [packed.packed, ...packed.own] };
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
