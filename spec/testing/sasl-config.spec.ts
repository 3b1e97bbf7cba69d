// What a SASL harness server is given (docs/testing.md#sasl): the JAAS file, the zoo.cfg lines
// that enforce SASL, and the JVM properties, with the caller's systemProperties winning.
import { jaasConfig, jvmFlagsFor, saslServerConfig } from '../../testing/server-config.js';

describe('SASL harness settings', () => {
  it('writes a DigestLoginModule Server section with one user_<name> per user, quotes escaped', () => {
    expect(jaasConfig({ users: { alice: 'secret', bob: 'a"b\\c' } })).toBe(
      'Server {\n  org.apache.zookeeper.server.auth.DigestLoginModule required\n  user_alice="secret"\n  user_bob="a\\"b\\\\c";\n};\n',
    );
    expect(() => jaasConfig({ users: { 'no spaces': 'x' } })).toThrow(/not a JAAS option name/);
  });

  it('takes a raw JAAS file as it is (a Kerberos section, say)', () => {
    const jaas = 'Server { com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true; };\n';
    expect(jaasConfig({ jaas, users: { alice: 'ignored' } })).toBe(jaas);
  });

  it('enforces SASL unless require is false', () => {
    expect(saslServerConfig({ users: {} })).toEqual({
      'enforce.auth.enabled': true,
      'enforce.auth.schemes': 'sasl',
    });
    expect(saslServerConfig({ users: {}, require: false })).toEqual({});
    expect(saslServerConfig(undefined)).toEqual({});
  });

  it('passes the JAAS file and the SASL provider to the JVM, and lets systemProperties override them', () => {
    const flags = jvmFlagsFor(
      { systemProperties: { 'java.security.krb5.conf': '/k/krb5.conf' } },
      false,
      '/d/jaas.conf',
    );
    expect(flags).toEqual(
      expect.arrayContaining([
        '-Djava.security.auth.login.config=/d/jaas.conf',
        '-Dzookeeper.authProvider.sasl=org.apache.zookeeper.server.auth.SASLAuthenticationProvider',
        '-Djava.security.krb5.conf=/k/krb5.conf',
      ]),
    );
    const overridden = jvmFlagsFor(
      { systemProperties: { 'java.security.auth.login.config': '/mine' } },
      false,
      '/d/jaas.conf',
    );
    expect(overridden).toContain('-Djava.security.auth.login.config=/mine');
    expect(overridden).not.toContain('-Djava.security.auth.login.config=/d/jaas.conf');
    expect(jvmFlagsFor({}, false).some((f) => f.includes('login.config'))).toBe(false);
  });
});
