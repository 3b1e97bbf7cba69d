// ZooKeeper paths on the client side: the PathUtils rules the Java client applies before sending
// (the server answers some bad paths with a misleading NONODE, so we refuse them first), the
// connect string with its chroot, and the small helpers recipes use to build and sort node names.

import { isIP } from 'node:net';
import { InvalidArgumentError, InvalidPathError } from './errors.js';

const SLASH = 0x2f;

/** The client port every ZooKeeper server listens on unless told otherwise. */
export const DEFAULT_PORT = 2181;

/** Options for validatePath. */
export interface ValidatePathOptions {
  /**
   * The path is the prefix of a sequential create: the server appends the 10-digit counter, so a
   * trailing '/' ("/queue/") is allowed, as Java checks `path + "1"`.
   */
  sequential?: boolean;
}

/**
 * Throws InvalidPathError unless ZooKeeper's PathUtils.validatePath would accept `path`. Indexes
 * in the reason count UTF-16 code units, as Java's do.
 */
export function validatePath(path: string, options?: ValidatePathOptions): void {
  if (typeof path !== 'string') {
    throw new InvalidPathError(describe(path), `a path must be a string, got ${typeOf(path)}`);
  }
  if (path.length === 0) throw new InvalidPathError(path, 'a path must not be empty');
  if (path.charCodeAt(0) !== SLASH) throw new InvalidPathError(path, "a path must start with '/'");
  if (path.length === 1) return;
  // The server appends the counter to a sequential prefix, so what must be valid is the final name.
  const checked = options?.sequential ? `${path}1` : path;
  if (checked.charCodeAt(checked.length - 1) === SLASH) {
    throw new InvalidPathError(path, "a path must not end with '/'");
  }
  let segmentStart = 1;
  for (let i = 1; i <= checked.length; i++) {
    const c = i < checked.length ? checked.charCodeAt(i) : SLASH;
    if (c === SLASH) {
      const segment = checked.slice(segmentStart, i);
      if (segment.length === 0) throw new InvalidPathError(path, `empty segment ('//') at index ${i}`);
      if (segment === '.' || segment === '..') {
        throw new InvalidPathError(path, `relative segment '${segment}' at index ${segmentStart}`);
      }
      segmentStart = i + 1;
    } else if (c === 0) {
      throw new InvalidPathError(path, `NUL character (U+0000) at index ${i}`);
    } else if (isForbiddenCodeUnit(c)) {
      throw new InvalidPathError(path, `disallowed character ${codePoint(c)} at index ${i}`);
    }
  }
}

// PathUtils refuses these UTF-16 units. U+D800–U+F8FF covers every surrogate, so characters
// outside the BMP (emoji) are refused too, as by Java: accepting them here would only move the
// error to the server.
function isForbiddenCodeUnit(c: number): boolean {
  return (
    (c >= 0x01 && c <= 0x1f) ||
    (c >= 0x7f && c <= 0x9f) ||
    (c >= 0xd800 && c <= 0xf8ff) ||
    (c >= 0xfff0 && c <= 0xffff)
  );
}

/** One server address from a connect string. */
export interface HostPort {
  /** Host name or address; IPv6 addresses without their brackets. */
  host: string;
  /** TCP port, 1–65535. */
  port: number;
}

/** A parsed connect string: the servers, and the chroot ('' when there is none). */
export interface ParsedHosts {
  hosts: HostPort[];
  /** A valid path without a trailing '/', or '' for no chroot. */
  chroot: string;
}

/**
 * Parses "h1:2181,h2:2182/app/sub" or ['h1:2181', 'h2', '/app'] (kazoo's list form: the last
 * entry may carry the chroot). Throws InvalidArgumentError('hosts') or InvalidPathError.
 */
export function parseHosts(hosts: string | readonly string[]): ParsedHosts {
  let entries: string[];
  let chroot = '';
  if (typeof hosts === 'string') {
    const slash = hosts.indexOf('/');
    if (slash >= 0) chroot = hosts.slice(slash);
    entries = (slash >= 0 ? hosts.slice(0, slash) : hosts).split(',');
  } else if (Array.isArray(hosts)) {
    entries = [];
    hosts.forEach((entry: unknown, i) => {
      if (typeof entry !== 'string') {
        throw new InvalidArgumentError('hosts', `hosts[${i}] must be a string, got ${typeOf(entry)}`);
      }
      const slash = entry.indexOf('/');
      if (slash < 0) {
        entries.push(entry);
        return;
      }
      // Only the last entry may name the chroot; a '/' earlier is a mistake, not a path.
      if (i !== hosts.length - 1) {
        throw new InvalidArgumentError(
          'hosts',
          `hosts[${i}] contains '/': only the last entry may name a chroot`,
        );
      }
      chroot = entry.slice(slash);
      if (entry.slice(0, slash).trim() !== '') entries.push(entry.slice(0, slash));
    });
  } else {
    throw new InvalidArgumentError(
      'hosts',
      `hosts must be a string or an array of strings, got ${typeOf(hosts)}`,
    );
  }

  const parsed = entries.map((e) => e.trim()).filter((e) => e !== '');
  if (parsed.length === 0) throw new InvalidArgumentError('hosts', 'no hosts given');
  return { hosts: parsed.map(parseHostPort), chroot: normalizeChroot(chroot) };
}

// Java ignores a '/' chroot; we also forgive one trailing '/' ("h1/app/"), which Java refuses.
function normalizeChroot(chroot: string): string {
  if (chroot === '' || chroot === '/') return '';
  const trimmed = chroot.endsWith('/') ? chroot.slice(0, -1) : chroot;
  validatePath(trimmed);
  return trimmed;
}

function parseHostPort(entry: string): HostPort {
  let host: string;
  let port: string | undefined;
  if (entry.startsWith('[')) {
    const close = entry.indexOf(']');
    if (close < 0) throw new InvalidArgumentError('hosts', `unclosed '[' in ${JSON.stringify(entry)}`);
    host = entry.slice(1, close);
    const rest = entry.slice(close + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) {
        throw new InvalidArgumentError('hosts', `unexpected text after ']' in ${JSON.stringify(entry)}`);
      }
      port = rest.slice(1);
    }
  } else {
    const colon = entry.indexOf(':');
    // Java would take the last ':' and read "::1" as host ':' port 1; brackets make it unambiguous.
    if (colon >= 0 && entry.indexOf(':', colon + 1) >= 0) {
      throw new InvalidArgumentError(
        'hosts',
        `${JSON.stringify(entry)} has several ':'; write IPv6 addresses in brackets ("[::1]:2181")`,
      );
    }
    host = colon >= 0 ? entry.slice(0, colon) : entry;
    port = colon >= 0 ? entry.slice(colon + 1) : undefined;
  }
  host = host.trim();
  if (host === '') throw new InvalidArgumentError('hosts', `no host name in ${JSON.stringify(entry)}`);
  checkHost(host, entry.startsWith('['), entry);
  return { host, port: port === undefined ? DEFAULT_PORT : parsePort(port.trim(), entry) };
}

/** A DNS label as resolvers accept it: letters, digits, '-' inside, '_' (Docker service names). */
const HOST_LABEL = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/;

/**
 * Refuses a host that no resolver could ever find ("not a host", "h1;h2"), so a typo fails in the
 * constructor instead of as a lookup error on every connect pass: an IP address (IPv6 only in
 * brackets), or a name of dot-separated labels of at most 63 characters, 253 in all (RFC 1123).
 */
function checkHost(host: string, bracketed: boolean, entry: string): void {
  if (bracketed) {
    if (isIP(host) !== 6) {
      throw new InvalidArgumentError('hosts', `${JSON.stringify(entry)}: brackets are for IPv6 addresses`);
    }
    return;
  }
  const name = host.endsWith('.') ? host.slice(0, -1) : host; // a fully qualified name's root dot
  if (isIP(host) === 0 && (name.length > 253 || !name.split('.').every((l) => HOST_LABEL.test(l)))) {
    throw new InvalidArgumentError(
      'hosts',
      `${JSON.stringify(host)} in ${JSON.stringify(entry)} is not a host name or IP address`,
    );
  }
}

function parsePort(text: string, entry: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!(port >= 1 && port <= 65535)) {
    throw new InvalidArgumentError('hosts', `port in ${JSON.stringify(entry)} is not an integer in 1..65535`);
  }
  return port;
}

/** The server path for a client path: '' chroot → `path`; path '/' → the chroot itself. */
export function prefixChroot(chroot: string, path: string): string {
  if (chroot === '' || chroot === '/') return path;
  return path === '/' ? chroot : chroot + path;
}

/**
 * The client path for a server path. A path not under the chroot ('/application' under '/app',
 * '/zookeeper/config') comes back unchanged; Java strips by length alone and mangles such paths.
 */
export function stripChroot(chroot: string, serverPath: string): string {
  if (chroot === '' || chroot === '/') return serverPath;
  if (serverPath === chroot) return '/';
  if (serverPath.startsWith(chroot) && serverPath.charCodeAt(chroot.length) === SLASH) {
    return serverPath.slice(chroot.length);
  }
  return serverPath;
}

/**
 * `parent` + '/' + `child`, with no doubled '/' under the root. Does not validate: a `child` of ''
 * gives the "/queue/" form a sequential create accepts.
 */
export function joinPath(parent: string, child: string): string {
  return parent === '/' ? `/${child}` : `${parent}/${child}`;
}

/** The parent of an absolute path ('/a/b' → '/a', '/a' → '/'). Throws InvalidPathError for '/' and relative paths. */
export function parentOf(path: string): string {
  if (typeof path !== 'string' || path.charCodeAt(0) !== SLASH) {
    throw new InvalidPathError(describe(path), "a path must start with '/'");
  }
  // Throwing rather than answering '/' stops a walk up the tree that forgot its exit condition.
  if (path === '/') throw new InvalidPathError(path, 'the root has no parent');
  const slash = path.lastIndexOf('/');
  return slash === 0 ? '/' : path.slice(0, slash);
}

/** The last segment of a path ('/a/b' → 'b'); '' for '/'. */
export function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

const INT32_MAX = 2 ** 31 - 1;
const INT32_MIN = -(2 ** 31);

/**
 * The sequence counter a sequential create appended to `name`, as a signed 32-bit number: the
 * parent's counter wraps past 2147483647 to negative values. Compare these numbers, never the
 * strings. `marker` is the text the counter directly follows ('__lock__'); give it when names may
 * end in '-' before the counter, or a 10-digit counter ≥ 1000000000 reads as negative. Undefined
 * when no counter is found.
 */
export function sequenceOf(name: string, marker?: string): number | undefined {
  // The server writes String.format("%010d", n): the sign counts toward the width, so -1 is
  // "-000000001" (10 chars) and only n ≤ -1000000000 takes 11 chars ("-2147483648").
  if (marker !== undefined) {
    for (const length of [10, 11]) {
      const start = name.length - length;
      if (start >= marker.length && name.startsWith(marker, start - marker.length)) {
        const value = parseCounter(name.slice(start));
        if (value !== undefined) return value;
      }
    }
    return undefined;
  }
  // Zero-padding is never applied to an 11-char negative, so "-0000000001" is +1 after a '-'.
  const wide = /-[12]\d{9}$/.exec(name);
  if (wide) {
    const value = Number(wide[0]);
    if (value >= INT32_MIN) return value;
  }
  return name.length >= 10 ? parseCounter(name.slice(-10)) : undefined;
}

// One whole counter as the server formats it: 10 digits, '-' and 9 digits, or '-' and 10 digits.
function parseCounter(text: string): number | undefined {
  if (!/^(?:\d{10}|-\d{9}|-[12]\d{9})$/.test(text)) return undefined;
  const value = Number(text);
  return value >= INT32_MIN && value <= INT32_MAX ? value : undefined;
}

function codePoint(unit: number): string {
  return `U+${unit.toString(16).toUpperCase().padStart(4, '0')}`;
}

function typeOf(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
}

// A non-string "path" still needs a string for the error's `path` field.
function describe(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
