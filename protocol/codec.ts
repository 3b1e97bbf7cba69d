import type { JuteReader, JuteWriter } from './jute.js';
import { ProtocolError } from './protocol-error.js';

/**
 * What a codec is made of, kept as data so tests can derive random values for any record
 * (property tests) and tools can print a record's layout without a second description.
 */
export type Shape =
  | { readonly kind: 'int' | 'long' | 'bool' | 'buffer' | 'ustring' | 'string' }
  | { readonly kind: 'vector'; readonly item: Codec<unknown> }
  | { readonly kind: 'optional'; readonly item: Codec<unknown> }
  | { readonly kind: 'record'; readonly name: string; readonly fields: readonly Field[] }
  | { readonly kind: 'custom'; readonly name: string };

/** One field of a record: its name and its codec, in wire order. */
export type Field = readonly [name: string, codec: Codec<unknown>];

/** Encodes and decodes one jute type. `read` throws nothing but ProtocolError. */
export interface Codec<T> {
  readonly shape: Shape;
  write(w: JuteWriter, value: T): void;
  read(r: JuteReader): T;
}

/** The value type a codec carries. */
export type Infer<C> = C extends Codec<infer T> ? T : never;

/** jute `int`: 32-bit signed. */
export const int: Codec<number> = {
  shape: { kind: 'int' },
  write: (w, v) => w.int(v),
  read: (r) => r.int(),
};

/** jute `long`: 64-bit signed, as bigint (session ids and zxids exceed 2^53). */
export const long: Codec<bigint> = {
  shape: { kind: 'long' },
  write: (w, v) => w.long(v),
  read: (r) => r.long(),
};

/** jute `boolean`: one byte. */
export const bool: Codec<boolean> = {
  shape: { kind: 'bool' },
  write: (w, v) => w.bool(v),
  read: (r) => r.bool(),
};

/** jute `buffer`: length-prefixed bytes, -1 = null (null data survives a round trip as null). */
export const buffer: Codec<Buffer | null> = {
  shape: { kind: 'buffer' },
  write: (w, v) => w.buffer(v),
  read: (r) => r.buffer(),
};

/** jute `ustring` exactly: length-prefixed UTF-8, -1 = null. */
export const ustring: Codec<string | null> = {
  shape: { kind: 'ustring' },
  write: (w, v) => w.ustring(v),
  read: (r) => r.ustring(),
};

/**
 * jute `ustring` where ZooKeeper always sends a value (paths, schemes, names). A -1 reads as ''
 * so callers never check for null where the server has never sent one.
 */
export const string: Codec<string> = {
  shape: { kind: 'string' },
  write: (w, v) => w.string(v),
  read: (r) => r.string(),
};

/**
 * Codecs whose read/write is one JuteReader/JuteWriter call, inlined by compileRecord.
 */
const PRIMITIVE_METHOD = new Map<Codec<unknown>, string>();
PRIMITIVE_METHOD.set(int as Codec<unknown>, 'int');
PRIMITIVE_METHOD.set(long as Codec<unknown>, 'long');
PRIMITIVE_METHOD.set(bool as Codec<unknown>, 'bool');
PRIMITIVE_METHOD.set(buffer as Codec<unknown>, 'buffer');
PRIMITIVE_METHOD.set(ustring as Codec<unknown>, 'ustring');
PRIMITIVE_METHOD.set(string as Codec<unknown>, 'string');

/** jute `vector<T>`: count then elements; a null vector (-1) reads as []. */
export function vector<T>(item: Codec<T>): Codec<T[]> {
  if ((item as Codec<unknown>) === string) return stringVector as unknown as Codec<T[]>;
  return {
    shape: { kind: 'vector', item: item as Codec<unknown> },
    write(w, v) {
      w.int(v.length);
      for (const x of v) item.write(w, x);
    },
    read(r) {
      const n = r.vectorLength();
      const out: T[] = new Array(n);
      for (let i = 0; i < n; i++) out[i] = item.read(r);
      return out;
    },
  };
}

/** `vector<ustring>` of names: the same wire format, read by JuteReader.stringVector's fast path. */
const stringVector: Codec<string[]> = {
  shape: { kind: 'vector', item: string as Codec<unknown> },
  write(w, v) {
    w.int(v.length);
    for (const x of v) w.string(x);
  },
  read: (r) => r.stringVector(),
};

/**
 * A trailing field that older peers leave out: written when defined, read when bytes remain.
 * It exists for ConnectRequest/ConnectResponse's readOnly byte, which 3.4–3.8 servers read and
 * echo outside the jute record (36- or 37-byte responses). Only valid as a record's last field.
 */
export function optionalTrailing<T>(item: Codec<T>): Codec<T | undefined> {
  return {
    shape: { kind: 'optional', item: item as Codec<unknown> },
    write(w, v) {
      if (v !== undefined) item.write(w, v);
    },
    read(r) {
      return r.remaining > 0 ? item.read(r) : undefined;
    },
  };
}

/** A record type built by `record()`: its name and fields are kept for tests and tools. */
export interface RecordCodec<T> extends Codec<T> {
  readonly name: string;
  readonly shape: Extract<Shape, { kind: 'record' }>;
}

/** A record's fields by name, each with its codec. */
// biome-ignore lint/suspicious/noExplicitAny: fields are codecs of any value type
export type Fields = Record<string, Codec<any>>;
/** An intersection flattened into one object type, so editors show a record's fields, not `A & B`. */
type Simplify<T> = { [K in keyof T]: T[K] } & {};
/** The fields of `F` whose codec may read `undefined` (optionalTrailing). */
type OptionalKeys<F extends Fields> = { [K in keyof F]: undefined extends Infer<F[K]> ? K : never }[keyof F];
/** A record's value type; fields that may be absent on the wire (optionalTrailing) are optional. */
export type RecordOf<F extends Fields> = Simplify<
  { -readonly [K in Exclude<keyof F, OptionalKeys<F>>]: Infer<F[K]> } & {
    -readonly [K in OptionalKeys<F>]?: Infer<F[K]>;
  }
>;

/**
 * Declares a jute record once: its fields in wire order, each with its codec. Encoding and
 * decoding both walk the same list, so a field cannot be written in one order and read in another.
 */
export function record<const F extends Fields>(name: string, fields: F): RecordCodec<RecordOf<F>> {
  const list: Field[] = Object.entries(fields);
  return {
    name,
    shape: { kind: 'record', name, fields: list },
    ...compileRecord(name, list),
  };
}

/**
 * Turns a field list into straight-line read and write functions: one constructor call per read
 * (a single hidden class, no per-field property additions) and direct reader/writer calls for
 * primitives. Decoding a Stat this way is several times faster than walking the list. Field
 * names come from our own declarations, never from input.
 *
 * Decoded records are instances of a constructor named after the record, so `util.inspect` shows
 * `Stat { czxid: 5n, ... }`, and its prototype carries `toJSON` (recordToJSON): the constructor
 * costs no more than an object literal, and nothing is added per object. Records built by hand
 * (a test's literal) are plain objects; codecs read and write both alike.
 */
function compileRecord(name: string, list: readonly Field[]): Pick<Codec<never>, 'read' | 'write'> {
  const args = list.map((_, i) => `c${i}`);
  const ctorName = /^[A-Za-z_$][\w$]*$/.test(name) ? name : 'Record';
  const params = list.map((_, i) => `f${i}`);
  const assigns = list.map(([field], i) => `this[${JSON.stringify(field)}] = f${i};`);
  const readArgs = list.map(([, codec], i) => {
    const method = PRIMITIVE_METHOD.get(codec);
    return method === undefined ? `c${i}.read(r)` : `r.${method}()`;
  });
  const writeStmts = list.map(([field, codec], i) => {
    const method = PRIMITIVE_METHOD.get(codec);
    const value = `v[${JSON.stringify(field)}]`;
    return method === undefined ? `c${i}.write(w, ${value});` : `w.${method}(${value});`;
  });
  // Arguments are evaluated left to right, so fields are still read in wire order.
  const source = `function ${ctorName}(${params.join(', ')}) { ${assigns.join(' ')} }
  Object.defineProperty(${ctorName}.prototype, 'toJSON', { value: toJSON, writable: true, configurable: true });
  return {
    read: function read(r) { return new ${ctorName}(${readArgs.join(', ')}); },
    write: function write(w, v) { ${writeStmts.join(' ')} },
  };`;
  const codecs = list.map(([, codec]) => codec);
  return new Function(...args, 'toJSON', source)(...codecs, recordToJSON);
}

/**
 * What JSON.stringify writes for a decoded record: its fields, with every bigint (zxids, times,
 * session ids) as a decimal string, since JSON.stringify throws on a bigint and a JSON number
 * would lose digits past 2^53. `BigInt(json.czxid)` gives the value back. docs/values.md#json
 */
function recordToJSON(this: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(this)) {
    const value = this[key];
    out[key] = typeof value === 'bigint' ? value.toString() : value;
  }
  return out;
}

/** A codec for a record with no fields on the wire (ping, closeSession, whoAmI requests). */
export const empty: RecordCodec<Record<string, never>> = record('Empty', {});

/** Builds a codec written by hand (multi); `name` identifies it to tests and tools. */
export function custom<T>(name: string, write: Codec<T>['write'], read: Codec<T>['read']): Codec<T> {
  return { shape: { kind: 'custom', name }, write, read };
}

/** Fails decoding with a ProtocolError when `ok` is false. */
export function expect(ok: boolean, message: string): asserts ok {
  if (!ok) throw new ProtocolError(message);
}
