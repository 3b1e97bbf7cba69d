// SASL GSSAPI (Kerberos V5, RFC 4752) on the optional peer dependency `kerberos` (the native
// addon the MongoDB driver uses, built against MIT krb5 or Heimdal). The addon is loaded when the
// first GSSAPI connection starts, never at import, so a client that does not ask for Kerberos does
// not need it installed. Credentials come from the Kerberos library's own environment, as for
// kinit, the Java client (with a ticket cache) and kazoo: KRB5_CONFIG names the krb5.conf,
// KRB5CCNAME the credential cache (a `kinit`'d one, or a private one), KRB5_CLIENT_KTNAME a
// client keytab the library gets tickets from by itself (docs/security.md#kerberos-gssapi).
//
// The exchange: GSS-API context tokens until the context is established (an AP-REQ, then the
// server's AP-REP since mutual authentication is asked for), then the server's wrapped 4-byte
// security-layer offer, answered with a wrapped "no security layer" choice and an empty
// authorization id (the server then uses the authenticated principal, as with the Java client).

import type { SaslMechanism, SaslMechanismFactory } from './mechanism.js';

/** GSS flags: mutual authentication and sequence checks, as the Java client asks. */
const GSS_C_MUTUAL_FLAG = 2;
const GSS_C_SEQUENCE_FLAG = 8;

/** RFC 4752 §3.3: the "no security layer" bit of the server's offer and of the client's choice. */
const SECURITY_LAYER_NONE = 1;

/** The `kerberos` package's client, as far as this mechanism uses it (its own types stay out of ours). */
export interface KerberosClientLike {
  step(challenge: string): Promise<string>;
  unwrap(challenge: string): Promise<string>;
  wrap(challenge: string, options?: { user?: string; protect?: boolean }): Promise<string>;
  readonly contextComplete: boolean;
}

/** The `kerberos` package's module, as far as this mechanism uses it. */
export interface KerberosModuleLike {
  initializeClient(
    service: string,
    options?: { principal?: string; flags?: number; mechOID?: number },
  ): Promise<KerberosClientLike>;
  readonly GSS_MECH_OID_KRB5: number;
}

/**
 * GSSAPI was asked for but the optional peer dependency `kerberos` cannot be loaded (not
 * installed, or its native addon not built). Install it with `npm install kerberos`.
 */
export class KerberosUnavailableError extends Error {
  /** Stable code (docs/errors.md#codes). */
  readonly code = 'ERR_ZOOKIT_KERBEROS_UNAVAILABLE';

  constructor(options?: ErrorOptions) {
    const message = messageOf(options?.cause);
    const reason = message === undefined ? '' : `: ${message.split('\n')[0]}`;
    super(
      `SASL GSSAPI needs the optional peer dependency "kerberos" (npm install kerberos), which could not be loaded${reason}`,
      options,
    );
    this.name = 'KerberosUnavailableError';
  }
}

/**
 * The GSSAPI exchange failed on the client's side (no credentials, the server's principal unknown
 * to the KDC, a malformed server token). The message is the Kerberos library's and names
 * principals only, never key material.
 */
export class GssapiError extends Error {
  /** Stable code (docs/errors.md#codes). */
  readonly code = 'ERR_ZOOKIT_GSSAPI';

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'GssapiError';
  }
}

/** Options of the GSSAPI mechanism. */
export interface GssapiOptions {
  /**
   * The client principal (`alice@EXAMPLE.COM`); default the principal of the credential cache, or
   * of the client keytab (KRB5_CLIENT_KTNAME) when the cache is empty.
   */
  principal?: string;
  /**
   * The server's principal: `zookeeper/<host>` with an optional `@REALM` (the realm is then the one
   * krb5.conf maps the host to). Default `zookeeper/<hostname>`.
   */
  serverPrincipal: string;
  /** Loads the `kerberos` module; tests replace it. Default: require/import('kerberos'). */
  load?: () => Promise<KerberosModuleLike>;
}

/**
 * The `kerberos` module, loaded once on first use. CommonJS (the cjs build, and jest) uses
 * require; the ESM build has no require and uses import().
 */
let loaded: Promise<KerberosModuleLike> | undefined;
export function loadKerberos(): Promise<KerberosModuleLike> {
  loaded ??= (async () => {
    try {
      if (typeof require === 'function') return require('kerberos') as KerberosModuleLike;
      // A variable specifier, so bundlers and tsc do not need the package to exist.
      const name = 'kerberos';
      return (await import(name)) as KerberosModuleLike;
    } catch (cause) {
      loaded = undefined;
      throw new KerberosUnavailableError({ cause });
    }
  })();
  return loaded;
}

/**
 * `service/host[@REALM]` → `service@host`, the host-based service name GSS-API imports (the
 * `kerberos` package takes no other form).
 */
export function hostBasedServiceName(serverPrincipal: string): string {
  const withoutRealm = serverPrincipal.replace(/@[^@/]*$/, '');
  const slash = withoutRealm.indexOf('/');
  if (slash <= 0 || slash === withoutRealm.length - 1) {
    throw new GssapiError(
      `the server principal must read service/host (e.g. zookeeper/zk1.example.com), not ${JSON.stringify(serverPrincipal)}`,
    );
  }
  return `${withoutRealm.slice(0, slash)}@${withoutRealm.slice(slash + 1)}`;
}

/** One GSSAPI exchange (one connection attempt); `start()`, then `step(challenge)` until `complete`. */
export class GssapiMechanism implements SaslMechanism {
  readonly name = 'GSSAPI';
  readonly #service: string;
  readonly #principal: string | undefined;
  readonly #load: () => Promise<KerberosModuleLike>;
  #client: KerberosClientLike | undefined;
  #stage: 'new' | 'context' | 'security-layer' | 'done' = 'new';

  constructor(options: GssapiOptions) {
    this.#service = hostBasedServiceName(options.serverPrincipal);
    this.#principal = options.principal;
    this.#load = options.load ?? loadKerberos;
  }

  /** True once the security-layer answer has been made: nothing more to send. */
  get complete(): boolean {
    return this.#stage === 'done';
  }

  /** The first context token (a Kerberos AP-REQ). */
  async start(): Promise<Uint8Array> {
    if (this.#stage !== 'new') throw new GssapiError('the GSSAPI exchange was already started');
    const kerberos = await this.#load();
    this.#client = await gss('could not start the GSSAPI context', () =>
      kerberos.initializeClient(this.#service, {
        ...(this.#principal !== undefined ? { principal: this.#principal } : {}),
        flags: GSS_C_MUTUAL_FLAG | GSS_C_SEQUENCE_FLAG,
        mechOID: kerberos.GSS_MECH_OID_KRB5,
      }),
    );
    this.#stage = 'context';
    return this.#contextStep('');
  }

  /** The answer to one server token: a context token, or the security-layer choice. */
  async step(challenge: Uint8Array): Promise<Uint8Array> {
    const client = this.#client;
    if (client === undefined || this.#stage === 'new') throw new GssapiError('step() before start()');
    if (this.#stage === 'context') return this.#contextStep(Buffer.from(challenge).toString('base64'));
    if (this.#stage === 'done') throw new GssapiError('the GSSAPI exchange is already complete');
    // RFC 4752 §3.1: the server's offer, wrapped: [layers bitmask][max buffer size, 3 bytes].
    const offer = await gss('could not unwrap the server security-layer offer', () =>
      client.unwrap(Buffer.from(challenge).toString('base64')),
    );
    const offered = Buffer.from(offer, 'base64');
    if (offered.length !== 4) {
      throw new GssapiError(`the server security-layer offer has ${offered.length} bytes, not 4`);
    }
    if ((offered[0]! & SECURITY_LAYER_NONE) === 0) {
      throw new GssapiError(
        `the server offers no "no security layer" option (bitmask ${offered[0]}); zookit supports none other`,
      );
    }
    // The package builds the answer itself: [no security layer][the server's size] + authzid ('').
    const answer = await gss('could not wrap the security-layer choice', () =>
      client.wrap(offer, { user: '', protect: false }),
    );
    this.#stage = 'done';
    return Buffer.from(answer, 'base64');
  }

  async #contextStep(challenge: string): Promise<Uint8Array> {
    const client = this.#client!;
    const token = await gss('the GSSAPI context step failed', () => client.step(challenge));
    if (client.contextComplete) this.#stage = 'security-layer';
    return Buffer.from(token ?? '', 'base64');
  }

  /** The principals only: nothing secret is held, but keep inspection short. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `GssapiMechanism { service: ${this.#service}, stage: ${this.#stage} }`;
  }
}

/** Runs one `kerberos` call; its failure becomes a GssapiError quoting the library's message. */
async function gss<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (cause) {
    const reason = messageOf(cause) ?? String(cause);
    throw new GssapiError(`${what}: ${reason}`, { cause });
  }
}

/** An error's message; duck-typed, as the error may come from another realm (a native addon, a vm). */
function messageOf(error: unknown): string | undefined {
  return typeof error === 'object' &&
    error !== null &&
    typeof (error as { message?: unknown }).message === 'string'
    ? (error as { message: string }).message
    : undefined;
}

/**
 * A SASL mechanism factory for the `sasl` client option: GSSAPI with `options.principal` (default:
 * the credential cache's) against `options.serverPrincipal`, else the context's server principal,
 * else `zookeeper/<hostname>` of the address connected to.
 */
export function gssapi(options: Partial<GssapiOptions> = {}): SaslMechanismFactory {
  return (context) =>
    new GssapiMechanism({
      ...options,
      serverPrincipal:
        options.serverPrincipal ?? context.serverPrincipal ?? `zookeeper/${context.hostname ?? context.host}`,
    });
}
