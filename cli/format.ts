// How znodes read on the command line: a Stat as zkCli.sh prints it (and as JSON with hex zxids),
// ACL entries as `scheme:id:perms` (zkCli's form, which `acl set` and dump files take back), and
// data as UTF-8 text when it is valid UTF-8, base64 otherwise, so any bytes survive a JSON file.

import { type ACL, Perm, type Stat } from '../index.js';
import { UsageError } from './exit-codes.js';

/** The Stat as zkCli.sh's `stat` prints it, one `name = value` line each. */
export function statLines(stat: Stat): string[] {
  const hex = (value: bigint): string => `0x${value.toString(16)}`;
  const time = (ms: bigint): string => new Date(Number(ms)).toISOString();
  return [
    `cZxid = ${hex(stat.czxid)}`,
    `ctime = ${time(stat.ctime)}`,
    `mZxid = ${hex(stat.mzxid)}`,
    `mtime = ${time(stat.mtime)}`,
    `pZxid = ${hex(stat.pzxid)}`,
    `cversion = ${stat.cversion}`,
    `dataVersion = ${stat.version}`,
    `aclVersion = ${stat.aversion}`,
    `ephemeralOwner = ${hex(stat.ephemeralOwner)}`,
    `dataLength = ${stat.dataLength}`,
    `numChildren = ${stat.numChildren}`,
  ];
}

/** The Stat as JSON: zxids and the owner as hex strings, times as ms numbers and ISO strings. */
export function statJson(stat: Stat): Record<string, string | number> {
  const hex = (value: bigint): string => `0x${value.toString(16)}`;
  return {
    czxid: hex(stat.czxid),
    mzxid: hex(stat.mzxid),
    pzxid: hex(stat.pzxid),
    ctime: Number(stat.ctime),
    mtime: Number(stat.mtime),
    ctimeIso: new Date(Number(stat.ctime)).toISOString(),
    mtimeIso: new Date(Number(stat.mtime)).toISOString(),
    version: stat.version,
    cversion: stat.cversion,
    aversion: stat.aversion,
    ephemeralOwner: hex(stat.ephemeralOwner),
    dataLength: stat.dataLength,
    numChildren: stat.numChildren,
  };
}

const PERM_LETTERS: ReadonlyArray<readonly [string, number]> = [
  ['c', Perm.CREATE],
  ['d', Perm.DELETE],
  ['r', Perm.READ],
  ['w', Perm.WRITE],
  ['a', Perm.ADMIN],
];

/** Permission bits as zkCli's letters, in its order: `cdrwa`. */
export function permLetters(perms: number): string {
  return PERM_LETTERS.filter(([, bit]) => perms & bit)
    .map(([letter]) => letter)
    .join('');
}

/** One ACL entry as `scheme:id:perms` (`world:anyone:cdrwa`, `digest:bob:X8k…=:r`). */
export function formatAcl(entry: ACL): string {
  return `${entry.id.scheme}:${entry.id.id}:${permLetters(entry.perms)}`;
}

/**
 * Parses `scheme:id:perms`: the scheme ends at the first ':', the permissions follow the last, so
 * an id may hold colons itself (a digest id is `user:hash`, an IPv6 address has several).
 */
export function parseAcl(text: string): ACL {
  const first = text.indexOf(':');
  const last = text.lastIndexOf(':');
  if (first <= 0 || last === first) {
    throw new UsageError(
      `an ACL entry is scheme:id:perms (e.g. world:anyone:cdrwa), got ${JSON.stringify(text)}`,
    );
  }
  const letters = text.slice(last + 1);
  let perms = 0;
  for (const letter of letters) {
    const bit = PERM_LETTERS.find(([l]) => l === letter)?.[1];
    if (bit === undefined) {
      throw new UsageError(`ACL permissions are letters of cdrwa, got ${JSON.stringify(letters)} in ${text}`);
    }
    perms |= bit;
  }
  return { perms, id: { scheme: text.slice(0, first), id: text.slice(first + 1, last) } };
}

/** Data as text for JSON: UTF-8 when the bytes are valid UTF-8 (and `base64` is not forced). */
export function encodeData(
  data: Buffer | null,
  forceBase64 = false,
): { data: string | null; encoding?: 'base64' } {
  if (data === null) return { data: null };
  if (!forceBase64) {
    const text = data.toString('utf8');
    // A lossless round trip is the test: invalid sequences decode to U+FFFD and come back different.
    if (Buffer.from(text, 'utf8').equals(data)) return { data: text };
  }
  return { data: data.toString('base64'), encoding: 'base64' };
}

/** The bytes `encodeData` encoded. */
export function decodeData(data: string | null, encoding: string | undefined): Buffer | undefined {
  if (data === null) return undefined;
  if (encoding === 'base64') return Buffer.from(data, 'base64');
  if (encoding === undefined || encoding === 'utf8') return Buffer.from(data, 'utf8');
  throw new UsageError(`unknown data encoding ${JSON.stringify(encoding)} (utf8 or base64)`);
}

/** A byte count as people read it: 512 B, 1.5 KiB, 3.2 MiB. */
export function humanBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}
