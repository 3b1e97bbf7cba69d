// The lease_holder node of kazoo's leases, byte for byte: UTF-8 JSON as Python's `json.dumps`
// writes it with its defaults (", " and ": " separators, non-ASCII escaped as \uXXXX), keys in the
// order version, holder, end, and the end as a naive UTC time in whole seconds. A kazoo client
// reads what we write and we read what it writes: docs/recipes.md#lease-holder-node.

/** The only lease_holder format this version writes and takes over (kazoo's `_version`). */
export const LEASE_VERSION = 1;
/** The holder node's name under the lease path. */
export const HOLDER_NODE = 'lease_holder';

/** What a lease_holder node says, as far as it could be read. */
export interface LeaseHolderRecord {
  version: unknown;
  holder: unknown;
  /** The end of the lease (whole seconds, UTC); undefined if it is missing or malformed. */
  end: Date | undefined;
}

/**
 * `date` as kazoo writes a lease end: Python's `strftime('%Y-%m-%dT%H:%M:%S')` of a naive UTC
 * datetime, so whole seconds, truncated, and the year unpadded as glibc prints it.
 */
export function formatLeaseEnd(date: Date): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  return (
    `${date.getUTCFullYear()}-${two(date.getUTCMonth() + 1)}-${two(date.getUTCDate())}` +
    `T${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())}`
  );
}

/** A lease end as kazoo's `strptime` reads it, as a UTC instant; undefined if it does not parse. */
export function parseLeaseEnd(text: unknown): Date | undefined {
  if (typeof text !== 'string') return undefined;
  const match = /^(\d{1,4})-(\d{1,2})-(\d{1,2})T(\d{1,2}):(\d{1,2}):(\d{1,2})$/.exec(text);
  if (match === null) return undefined;
  const [year, month, day, hours, minutes, seconds] = match.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const date = new Date(Date.UTC(2000, month - 1, day, hours, minutes, seconds));
  date.setUTCFullYear(year); // Date.UTC maps years 0..99 to 1900..1999
  // strptime refuses what does not name a real moment (month 13, February 30): so do we.
  return sameFields(date, match) ? date : undefined;
}

/** Whether `date`'s UTC fields are the ones `match` wrote (no rollover of an out-of-range field). */
function sameFields(date: Date, match: RegExpExecArray): boolean {
  const fields = [
    date.getUTCFullYear(),
    date.getUTCMonth() + 1,
    date.getUTCDate(),
    date.getUTCHours(),
    date.getUTCMinutes(),
    date.getUTCSeconds(),
  ];
  return fields.every((value, i) => value === Number(match[i + 1]));
}

/**
 * A string as Python's `json.dumps` writes it by default (`ensure_ascii=True`): `"` and `\` and
 * the control characters escaped as JSON does, and every UTF-16 unit outside printable ASCII
 * (space to `~`) as `\uXXXX` in lower-case hex, so a non-BMP character is its surrogate pair.
 */
function pythonJsonString(text: string): string {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    const char = text[i] as string;
    if (char === '"' || char === '\\') out += `\\${char}`;
    else if (unit === 0x0a) out += '\\n';
    else if (unit === 0x0d) out += '\\r';
    else if (unit === 0x09) out += '\\t';
    else if (unit === 0x08) out += '\\b';
    else if (unit === 0x0c) out += '\\f';
    else if (unit < 0x20 || unit > 0x7e) out += `\\u${unit.toString(16).padStart(4, '0')}`;
    else out += char;
  }
  return `${out}"`;
}

/**
 * The lease_holder bytes kazoo writes for `holder` until `end`:
 * `{"version": 1, "holder": "<holder>", "end": "YYYY-MM-DDTHH:MM:SS"}` (Python's json.dumps with
 * its default separators and ASCII escapes, in that key order). docs/recipes.md#lease-holder-node
 */
export function encodeLeaseHolder(holder: string, end: Date): Buffer {
  const json =
    `{"version": ${LEASE_VERSION}, "holder": ${pythonJsonString(holder)}, ` +
    `"end": ${pythonJsonString(formatLeaseEnd(end))}}`;
  return Buffer.from(json, 'utf8');
}

/** Reads lease_holder bytes; undefined when they are not a JSON object. */
export function decodeLeaseHolder(raw: Uint8Array | null): LeaseHolderRecord | undefined {
  if (raw === null) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(raw).toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  return { version: record.version, holder: record.holder, end: parseLeaseEnd(record.end) };
}
