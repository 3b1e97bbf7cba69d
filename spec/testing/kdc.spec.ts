// The testing KDC (zookit/testing's startTestingKdc, MIT Kerberos on 127.0.0.1) and a ZooKeeper
// server that requires Kerberos, checked with the real Java client as the reference peer.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveBackend } from '../../testing/backend.js';
import { startTestingKdc, type TestingKdc } from '../../testing/kdc.js';
import { startTestingServer } from '../../testing/testing-server.js';

/** Runs the Java client's ZooKeeperMain `whoami` as `principal` from its keytab; resolves with its output. */
async function javaWhoAmI(kdc: TestingKdc, connectString: string, principal: string, keytab: string) {
  const backend = await resolveBackend({ backend: 'local' });
  if (backend.kind !== 'local') throw new Error('the Java client needs a local ZooKeeper install');
  const jaas = join(kdc.dir, `client-${Date.now()}.jaas`);
  await writeFile(
    jaas,
    `Client {\n  com.sun.security.auth.module.Krb5LoginModule required\n  useKeyTab=true\n  keyTab="${keytab}"\n  storeKey=true\n  useTicketCache=false\n  principal="${principal}";\n};\n`,
  );
  return new Promise<string>((resolve) => {
    execFile(
      backend.java,
      [
        '-Xmx128m',
        `-Djava.security.krb5.conf=${kdc.krb5Conf}`,
        `-Djava.security.auth.login.config=${jaas}`,
        '-Dzookeeper.sasl.client=true',
        '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
        '-cp',
        backend.classPath.join(':'),
        'org.apache.zookeeper.ZooKeeperMain',
        '-server',
        connectString,
        'whoami',
      ],
      { timeout: 30_000 },
      (_error, stdout, stderr) => resolve(`${stdout}\n${stderr}`),
    );
  });
}

describe('startTestingKdc', () => {
  it('runs krb5kdc on 127.0.0.1 with a new realm whose keytabs get tickets (kinit -k), and close() stops it and deletes the realm', async () => {
    const kdc = await startTestingKdc();
    const pid = kdc.pid!;
    try {
      expect(kdc.host).toBe('127.0.0.1');
      expect(kdc.realm).toBe('ZOOKIT.TEST');
      expect(kdc.principal('alice')).toBe('alice@ZOOKIT.TEST');
      const keytab = await kdc.addPrincipal('alice');
      expect(existsSync(keytab)).toBe(true);
      const klist = await kdc.kinit('alice', keytab, `FILE:${join(kdc.dir, 'cc-alice')}`);
      expect(klist).toContain('Default principal: alice@ZOOKIT.TEST');
      expect(klist).toContain('krbtgt/ZOOKIT.TEST@ZOOKIT.TEST');
      // Adding it again keeps its key: the first keytab still works.
      await kdc.addPrincipal('alice');
      await expect(kdc.kinit('alice', keytab, `FILE:${join(kdc.dir, 'cc-again')}`)).resolves.toContain(
        'alice@ZOOKIT.TEST',
      );
    } finally {
      await kdc.close();
    }
    expect(existsSync(kdc.dir)).toBe(false);
    expect(kdc.pid).toBeUndefined();
    expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
  });

  it('refuses tickets to a deleted principal: its keytab no longer works (KdcStartError quoting kinit)', async () => {
    await using kdc = await startTestingKdc({ realm: 'OTHER.TEST' });
    const keytab = await kdc.addPrincipal('mallory');
    await kdc.deletePrincipal('mallory');
    await expect(kdc.kinit('mallory', keytab, `FILE:${join(kdc.dir, 'cc-m')}`)).rejects.toThrow(
      /kinit .*mallory@OTHER\.TEST failed: .*not found in Kerberos database/,
    );
  });

  it('makes a ZooKeeper server that requires Kerberos: the Java client logs in from a keytab and whoami shows sasl <principal>; a key the KDC does not know is refused (Checksum failed, AuthFailed)', async () => {
    await using kdc = await startTestingKdc();
    const kerberized = await kdc.serverOptions();
    expect(kerberized.principal).toBe('zookeeper/localhost@ZOOKIT.TEST');
    await using server = await startTestingServer({ backend: 'local', ...kerberized.options });
    const aliceKeytab = await kdc.addPrincipal('alice');
    const output = await javaWhoAmI(kdc, server.connectString, 'alice@ZOOKIT.TEST', aliceKeytab);
    expect(output).toContain('sasl: alice@ZOOKIT.TEST');

    // A keytab from another KDC's realm of the same name: its key is not the one this KDC knows.
    await using stranger = await startTestingKdc();
    const strangerKeytab = await stranger.addPrincipal('alice');
    const refused = await javaWhoAmI(kdc, server.connectString, 'alice@ZOOKIT.TEST', strangerKeytab);
    // The KDC cannot decrypt the login (Checksum failed), the client goes on without SASL and the
    // server, which requires it, closes the session: AuthFailed, and no sasl identity.
    expect(refused).toContain('Checksum failed');
    expect(refused).toContain('state:AuthFailed');
    expect(refused).not.toContain('sasl: alice@ZOOKIT.TEST');
  });
});
