// The GSSAPI mechanism's own logic, over a scripted stand-in for the `kerberos` module: the stage
// machine (context tokens, then the security-layer offer), the RFC 4752 checks on the offer, the
// server principal's form, and the sasl option's GSSAPI branch. The real exchange against a KDC
// and a server is spec/client/gssapi.spec.ts.
import { InvalidArgumentError } from '../../../lib/errors.js';
import {
  GssapiError,
  GssapiMechanism,
  gssapi,
  hostBasedServiceName,
  type KerberosClientLike,
  type KerberosModuleLike,
} from '../../../lib/sasl/gssapi.js';
import { resolveSasl } from '../../../lib/sasl/sasl-config.js';

const b64 = (bytes: number[] | string) => Buffer.from(bytes as never).toString('base64');

/** A kerberos module whose client completes the context after `contextSteps` steps. */
function scripted(contextSteps: number, unwrapped: number[]) {
  const calls: string[] = [];
  const client: KerberosClientLike & { contextComplete: boolean } = {
    contextComplete: false,
    async step(challenge) {
      calls.push(`step(${challenge})`);
      if (--contextSteps === 0) this.contextComplete = true;
      return this.contextComplete ? '' : b64('ap-req');
    },
    async unwrap(challenge) {
      calls.push(`unwrap(${challenge})`);
      return b64(unwrapped);
    },
    async wrap(challenge, options) {
      calls.push(`wrap(${challenge},${JSON.stringify(options)})`);
      return b64('wrapped-answer');
    },
  };
  const module: KerberosModuleLike = {
    GSS_MECH_OID_KRB5: 7,
    async initializeClient(service, options) {
      calls.push(`init(${service},${JSON.stringify(options)})`);
      return client;
    },
  };
  return { calls, load: async () => module };
}

describe('GssapiMechanism', () => {
  it('sends context tokens until the context is complete, then answers the 4-byte offer with a wrapped no-layer choice and is complete', async () => {
    const { calls, load } = scripted(2, [0x07, 0x01, 0x00, 0x00]);
    const mechanism = new GssapiMechanism({
      serverPrincipal: 'zookeeper/zk1@REALM',
      principal: 'alice@REALM',
      load,
    });
    expect(Buffer.from(await mechanism.start()).toString()).toBe('ap-req');
    expect(mechanism.complete).toBe(false);
    // The server's AP-REP completes the context: an empty token goes back.
    expect((await mechanism.step(Buffer.from('ap-rep'))).length).toBe(0);
    expect(mechanism.complete).toBe(false);
    expect(Buffer.from(await mechanism.step(Buffer.from('offer'))).toString()).toBe('wrapped-answer');
    expect(mechanism.complete).toBe(true);
    expect(calls).toEqual([
      'init(zookeeper@zk1,{"principal":"alice@REALM","flags":10,"mechOID":7})',
      'step()',
      `step(${b64('ap-rep')})`,
      `unwrap(${b64('offer')})`,
      `wrap(${b64([0x07, 0x01, 0x00, 0x00])},{"user":"","protect":false})`,
    ]);
    await expect(Promise.resolve(mechanism.step(Buffer.from('more')))).rejects.toThrow(GssapiError);
  });

  it('refuses an offer that is not 4 bytes, or that has no "no security layer" bit', async () => {
    for (const [offer, message] of [
      [[0x01, 0x00], /has 2 bytes, not 4/],
      [[0x06, 0x01, 0x00, 0x00], /offers no "no security layer" option \(bitmask 6\)/],
    ] as const) {
      const { load } = scripted(1, [...offer]);
      const mechanism = new GssapiMechanism({ serverPrincipal: 'zookeeper/zk1', load });
      await mechanism.start();
      await expect(Promise.resolve(mechanism.step(Buffer.from('offer')))).rejects.toThrow(message);
      expect(mechanism.complete).toBe(false);
    }
  });

  it('turns service/host[@REALM] into the host-based name service@host, and refuses other forms', () => {
    expect(hostBasedServiceName('zookeeper/zk1.example.com')).toBe('zookeeper@zk1.example.com');
    expect(hostBasedServiceName('zookeeper/localhost@ZOOKIT.TEST')).toBe('zookeeper@localhost');
    for (const bad of ['zookeeper', '/host', 'zookeeper/', 'zookeeper@REALM']) {
      expect(() => hostBasedServiceName(bad)).toThrow(GssapiError);
    }
  });

  it('gssapi(): the server principal is the option, else the context one, else zookeeper/<hostname or host>', async () => {
    const seen: string[] = [];
    const load = async (): Promise<KerberosModuleLike> => ({
      GSS_MECH_OID_KRB5: 7,
      async initializeClient(service) {
        seen.push(service);
        throw new Error('stop here');
      },
    });
    const attempts = [
      gssapi({ serverPrincipal: 'zk/a', load })({ host: '10.0.0.1', serverPrincipal: 'zk/b' }),
      gssapi({ load })({ host: '10.0.0.1', serverPrincipal: 'zk/b' }),
      gssapi({ load })({ host: '10.0.0.1', hostname: 'zk1.example.com' }),
      gssapi({ load })({ host: '10.0.0.1' }),
    ];
    for (const mechanism of attempts) {
      await expect(Promise.resolve(mechanism.start())).rejects.toThrow(
        /could not start the GSSAPI context: stop here/,
      );
    }
    expect(seen).toEqual(['zk@a', 'zk@b', 'zookeeper@zk1.example.com', 'zookeeper@10.0.0.1']);
  });
});

describe("sasl: { mechanism: 'GSSAPI' }", () => {
  it('resolves to a GSSAPI factory with the server principal, and checks the client principal', () => {
    const { sasl } = resolveSasl({ mechanism: 'GSSAPI', serverPrincipal: 'zookeeper/localhost' }, []);
    expect(sasl?.mechanismName).toBe('GSSAPI');
    expect(sasl?.serverPrincipal).toBe('zookeeper/localhost');
    expect(sasl?.factory({ host: '127.0.0.1', serverPrincipal: 'zookeeper/localhost' }).name).toBe('GSSAPI');
    expect(() => resolveSasl({ mechanism: 'GSSAPI', principal: '' }, [])).toThrow(InvalidArgumentError);
  });
});
