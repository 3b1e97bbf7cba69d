// The SASL seam: one mechanism's client side, as the session drives it over `sasl` (op 102)
// requests after the ConnectResponse and before CONNECTED (docs/security.md#the-exchange).
// DIGEST-MD5 is built in (./digest-md5.ts); GSSAPI and any other mechanism plug in as a
// factory. The session makes a new mechanism for every connection, so a reconnect
// re-authenticates from scratch, as the Java client and kazoo do.

/** One SASL mechanism's client side: the client calls start(), then step(challenge) until complete. */
export interface SaslMechanism {
  /** The IANA name: 'DIGEST-MD5', 'GSSAPI'. */
  readonly name: string;
  /** The first token to send (may be empty: DIGEST-MD5 starts with an empty response). */
  start(): Uint8Array | Promise<Uint8Array>;
  /** The next token for the server's challenge. */
  step(challenge: Uint8Array): Uint8Array | Promise<Uint8Array>;
  /** True once the exchange is complete (no more tokens to send). */
  readonly complete: boolean;
}

/**
 * Makes the mechanism of one connection attempt. `host` is the address connected to, `hostname`
 * the name it was resolved from (when it was a name), `serverPrincipal` the `sasl.serverPrincipal`
 * option as given.
 */
export type SaslMechanismFactory = (context: {
  host: string;
  hostname?: string;
  serverPrincipal?: string;
}) => SaslMechanism;

/** The `sasl` client option: a built-in mechanism by name (with its credentials), or a factory. */
export interface SaslOptions {
  /** Default 'DIGEST-MD5'; a factory brings its own mechanism (and its own credentials). */
  mechanism?: 'DIGEST-MD5' | 'GSSAPI' | SaslMechanismFactory;
  /** DIGEST-MD5: the user name of the server's JAAS `user_<name>` entry. */
  username?: string;
  /** DIGEST-MD5: the password; kept private (never in logs, errors or util.inspect). */
  password?: string;
  /** GSSAPI: the server's principal; default 'zookeeper/<hostname>'. */
  serverPrincipal?: string;
  /**
   * GSSAPI: the client principal ('alice@EXAMPLE.COM'); default the principal of the Kerberos
   * credential cache, or of the client keytab (docs/security.md#kerberos-gssapi).
   */
  principal?: string;
}
