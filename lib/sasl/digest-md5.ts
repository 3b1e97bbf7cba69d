// DIGEST-MD5 (RFC 2831), the client side as ZooKeeper's server speaks it: the client opens with
// an empty response, the server challenges (realm `zk-sasl-md5`, a nonce, `algorithm=md5-sess`),
// the client answers with a digest of the password (never the password itself), and the server
// proves it knew the password too with `rspauth`, which is checked before the exchange is
// complete. Only qop `auth` (no integrity or privacy layer): ZooKeeper's DigestLoginModule
// offers nothing else. node:crypto's MD5, no dependency (docs/security.md#digest-md5).

import { createHash, randomBytes } from 'node:crypto';
import type { SaslMechanism } from './mechanism.js';

/** The realm ZooKeeper's server uses for DIGEST-MD5 (its SaslServer is made with this server name). */
export const ZOOKEEPER_DIGEST_REALM = 'zk-sasl-md5';
/** The SASL service name of ZooKeeper. */
export const ZOOKEEPER_SASL_SERVICE = 'zookeeper';

/** Options of a DIGEST-MD5 mechanism. */
export interface DigestMd5Options {
  username: string;
  password: string;
  /** `<service>/<host>`; default 'zookeeper/zk-sasl-md5', as the Java client sends it. */
  digestUri?: string;
  /** The client nonce; default 16 random bytes as hex. A seam for tests (RFC 2831's example vectors). */
  cnonce?: () => string;
}

/** Thrown when the server's challenge is not one this client can answer, or its rspauth is wrong. */
export class SaslError extends Error {
  /** Stable code (docs/errors.md#codes). */
  readonly code = 'ERR_ZOOKIT_SASL';
  constructor(message: string) {
    super(message);
    this.name = 'SaslError';
  }
}

/** The RFC 2831 client: start() → empty, step(challenge) → digest-response, step(rspauth) → complete. */
export class DigestMd5Mechanism implements SaslMechanism {
  readonly name = 'DIGEST-MD5';
  readonly #username: string;
  readonly #password: string;
  readonly #digestUri: string;
  readonly #cnonce: () => string;
  /** The rspauth the server must send, once the response is sent. */
  #expectedRspauth: string | undefined;
  #complete = false;

  constructor(options: DigestMd5Options) {
    this.#username = options.username;
    this.#password = options.password;
    this.#digestUri = options.digestUri ?? `${ZOOKEEPER_SASL_SERVICE}/${ZOOKEEPER_DIGEST_REALM}`;
    this.#cnonce = options.cnonce ?? (() => randomBytes(16).toString('hex'));
  }

  get complete(): boolean {
    return this.#complete;
  }

  start(): Uint8Array {
    return new Uint8Array(0);
  }

  step(challenge: Uint8Array): Uint8Array {
    const directives = parseDirectives(Buffer.from(challenge).toString('utf8'));
    if (this.#expectedRspauth === undefined) return this.#respond(directives);
    const rspauth = directives.get('rspauth');
    if (rspauth === undefined) throw new SaslError('DIGEST-MD5: the server sent no rspauth');
    if (rspauth !== this.#expectedRspauth)
      throw new SaslError('DIGEST-MD5: the server did not prove it knows the password (wrong rspauth)');
    this.#complete = true;
    return new Uint8Array(0);
  }

  #respond(challenge: Map<string, string>): Uint8Array {
    const nonce = challenge.get('nonce');
    if (nonce === undefined) throw new SaslError('DIGEST-MD5: the server challenge has no nonce');
    const qops = (challenge.get('qop') ?? 'auth').split(',').map((q) => q.trim());
    if (!qops.includes('auth'))
      throw new SaslError(`DIGEST-MD5: the server offers qop ${qops.join(',')}, not auth`);
    const algorithm = challenge.get('algorithm');
    if (algorithm !== undefined && algorithm !== 'md5-sess')
      throw new SaslError(`DIGEST-MD5: unknown algorithm ${algorithm}`);
    const utf8 = challenge.get('charset')?.toLowerCase() === 'utf-8';
    const realm = challenge.get('realm') ?? ZOOKEEPER_DIGEST_REALM;
    const cnonce = this.#cnonce();
    const fields = {
      username: this.#username,
      realm,
      password: this.#password,
      nonce,
      cnonce,
      nc: '00000001',
      qop: 'auth',
      digestUri: this.#digestUri,
      utf8,
    };
    const response = digestResponse(fields, 'AUTHENTICATE');
    this.#expectedRspauth = digestResponse(fields, '');
    const parts = [
      ...(utf8 ? ['charset=utf-8'] : []),
      `username=${quote(this.#username)}`,
      `realm=${quote(realm)}`,
      `nonce=${quote(nonce)}`,
      `nc=${fields.nc}`,
      `cnonce=${quote(cnonce)}`,
      `digest-uri=${quote(this.#digestUri)}`,
      `maxbuf=65536`,
      `response=${response}`,
      `qop=auth`,
    ];
    return Buffer.from(parts.join(','), 'utf8');
  }

  /** Never the password: util.inspect shows the mechanism and its state only. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `DigestMd5Mechanism { complete: ${this.#complete} }`;
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, complete: this.#complete };
  }
}

/** What RFC 2831 §2.1.2.1 digests. */
export interface DigestFields {
  username: string;
  realm: string;
  password: string;
  nonce: string;
  cnonce: string;
  nc: string;
  qop: string;
  digestUri: string;
  /** The challenge said charset=utf-8: strings outside ISO 8859-1 are UTF-8 (else they all are 8859-1). */
  utf8: boolean;
}

/**
 * RFC 2831's `response-value` with `method` 'AUTHENTICATE' (the client's response), or with ''
 * (the server's rspauth, whose A2 has no method). algorithm=md5-sess, qop=auth.
 */
export function digestResponse(f: DigestFields, method: string): string {
  const secret = md5(
    Buffer.concat([
      encode(f.username, f.utf8),
      Buffer.from(':'),
      encode(f.realm, f.utf8),
      Buffer.from(':'),
      encode(f.password, f.utf8),
    ]),
  );
  const a1 = Buffer.concat([secret, Buffer.from(`:${f.nonce}:${f.cnonce}`, 'utf8')]);
  const a2 = `${method}:${f.digestUri}`;
  const kd = `${md5Hex(a1)}:${f.nonce}:${f.nc}:${f.cnonce}:${f.qop}:${md5Hex(Buffer.from(a2, 'utf8'))}`;
  return md5Hex(Buffer.from(kd, 'utf8'));
}

/** RFC 2831 §2.1.2.1: with charset=utf-8, a string that fits ISO 8859-1 is still digested as 8859-1. */
function encode(value: string, utf8: boolean): Buffer {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the ISO 8859-1 range is the point
  const latin1 = /^[\u0000-\u00ff]*$/.test(value);
  return Buffer.from(value, utf8 && !latin1 ? 'utf8' : 'latin1');
}

function md5(data: Buffer): Buffer {
  return createHash('md5').update(data).digest();
}

function md5Hex(data: Buffer): string {
  return createHash('md5').update(data).digest('hex');
}

function quote(value: string): string {
  return `"${value.replace(/(["\\])/g, '\\$1')}"`;
}

/** `key=value` and `key="quoted, \"escaped\""` directives, comma-separated (RFC 2831 §7.1). */
export function parseDirectives(text: string): Map<string, string> {
  const result = new Map<string, string>();
  let i = 0;
  const n = text.length;
  while (i < n) {
    while (i < n && (text[i] === ',' || text[i] === ' ' || text[i] === '\t')) i++;
    if (i >= n) break;
    const eq = text.indexOf('=', i);
    if (eq < 0) throw new SaslError('DIGEST-MD5: a malformed challenge');
    const key = text.slice(i, eq).trim().toLowerCase();
    i = eq + 1;
    let value = '';
    if (text[i] === '"') {
      i++;
      while (i < n && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < n) i++;
        value += text[i];
        i++;
      }
      if (i >= n) throw new SaslError('DIGEST-MD5: an unterminated quoted value in the challenge');
      i++;
    } else {
      const comma = text.indexOf(',', i);
      const end = comma < 0 ? n : comma;
      value = text.slice(i, end).trim();
      i = end;
    }
    // realm may be offered more than once: the first one is used.
    if (!result.has(key)) result.set(key, value);
  }
  return result;
}
