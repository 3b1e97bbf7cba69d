// Which SASL mechanism a client uses, from its options: the `sasl` option, or kazoo's form
// `authData: [['sasl', 'user:password']]` (DIGEST-MD5). A `sasl` entry of authData is never sent
// as an auth packet (op 100): the server's SASL provider only speaks op 102. The result holds
// the password inside the factory's closure and in no field, so it never shows in util.inspect.

import { InvalidArgumentError } from '../errors.js';
import { DigestMd5Mechanism } from './digest-md5.js';
import { gssapi } from './gssapi.js';
import type { SaslMechanismFactory, SaslOptions } from './mechanism.js';

/** The session's SASL settings: a mechanism per connection, and its name for log lines. */
export interface SaslConfig {
  readonly mechanismName: string;
  readonly factory: SaslMechanismFactory;
  readonly serverPrincipal: string | undefined;
}

/**
 * The SASL settings (undefined: no SASL) and the authData left to replay as auth packets.
 * InvalidArgumentError names the option, never the credential.
 */
export function resolveSasl(
  sasl: SaslOptions | undefined,
  authData: ReadonlyArray<readonly [string, string]>,
): { sasl: SaslConfig | undefined; authData: Array<readonly [string, string]> } {
  const saslEntries = authData.filter(([scheme]) => scheme === 'sasl');
  const rest = authData.filter(([scheme]) => scheme !== 'sasl');
  if (saslEntries.length > 1 || (saslEntries.length === 1 && sasl !== undefined)) {
    throw new InvalidArgumentError(
      'sasl',
      'give one SASL credential: either the sasl option or one authData entry of scheme sasl',
    );
  }
  if (saslEntries.length === 1) {
    const credential = saslEntries[0]![1];
    const colon = credential.indexOf(':');
    if (colon <= 0) {
      throw new InvalidArgumentError('authData', "an authData entry of scheme sasl must be 'user:password'");
    }
    return {
      sasl: digest(credential.slice(0, colon), credential.slice(colon + 1)),
      authData: rest,
    };
  }
  if (sasl === undefined) return { sasl: undefined, authData: rest };
  if (typeof sasl !== 'object' || sasl === null)
    throw new InvalidArgumentError('sasl', 'sasl must be an options object');
  const mechanism = sasl.mechanism ?? 'DIGEST-MD5';
  if (typeof mechanism === 'function') {
    return {
      sasl: { mechanismName: 'custom', factory: mechanism, serverPrincipal: sasl.serverPrincipal },
      authData: rest,
    };
  }
  if (mechanism === 'DIGEST-MD5') {
    if (typeof sasl.username !== 'string' || sasl.username === '' || typeof sasl.password !== 'string') {
      throw new InvalidArgumentError('sasl', 'DIGEST-MD5 needs sasl.username and sasl.password (strings)');
    }
    return { sasl: digest(sasl.username, sasl.password), authData: rest };
  }
  if (mechanism === 'GSSAPI') {
    if (sasl.principal !== undefined && (typeof sasl.principal !== 'string' || sasl.principal === '')) {
      throw new InvalidArgumentError(
        'sasl.principal',
        'the GSSAPI client principal must be a non-empty string',
      );
    }
    return {
      sasl: {
        mechanismName: 'GSSAPI',
        factory: gssapi(sasl.principal !== undefined ? { principal: sasl.principal } : {}),
        serverPrincipal: sasl.serverPrincipal,
      },
      authData: rest,
    };
  }
  throw new InvalidArgumentError(
    'sasl.mechanism',
    `unknown SASL mechanism ${String(mechanism)}: use 'DIGEST-MD5', 'GSSAPI' or a mechanism factory`,
  );
}

function digest(username: string, password: string): SaslConfig {
  return {
    mechanismName: 'DIGEST-MD5',
    factory: () => new DigestMd5Mechanism({ username, password }),
    serverPrincipal: undefined,
  };
}
