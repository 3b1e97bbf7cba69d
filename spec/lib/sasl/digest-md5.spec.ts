// DIGEST-MD5 against RFC 2831's own example (§4: chris / secret at elwood.innosoft.com), the
// challenge parser, and the exchange's shape as ZooKeeper's server runs it.
import { inspect } from 'node:util';
import {
  DigestMd5Mechanism,
  digestResponse,
  parseDirectives,
  SaslError,
} from '../../../lib/sasl/digest-md5.js';

const rfcFields = {
  username: 'chris',
  realm: 'elwood.innosoft.com',
  password: 'secret',
  nonce: 'OA6MG9tEQGm2hh',
  cnonce: 'OA6MHXh6VqTrRk',
  nc: '00000001',
  qop: 'auth',
  digestUri: 'imap/elwood.innosoft.com',
  utf8: false,
};

describe('DIGEST-MD5', () => {
  it("computes RFC 2831's example response and rspauth", () => {
    expect(digestResponse(rfcFields, 'AUTHENTICATE')).toBe('d388dad90d4bbd760a152321f2143af7');
    expect(digestResponse(rfcFields, '')).toBe('ea40f60335c427b5527b84dbabcdfffd');
  });

  it("answers RFC 2831's example challenge with its example response, and completes on its rspauth", () => {
    const mechanism = new DigestMd5Mechanism({
      username: 'chris',
      password: 'secret',
      digestUri: 'imap/elwood.innosoft.com',
      cnonce: () => 'OA6MHXh6VqTrRk',
    });
    expect(mechanism.start()).toHaveLength(0);
    const challenge =
      'realm="elwood.innosoft.com",nonce="OA6MG9tEQGm2hh",qop="auth",algorithm=md5-sess,charset=utf-8';
    const response = parseDirectives(Buffer.from(mechanism.step(Buffer.from(challenge))).toString());
    expect(Object.fromEntries(response)).toMatchObject({
      username: 'chris',
      realm: 'elwood.innosoft.com',
      nonce: 'OA6MG9tEQGm2hh',
      nc: '00000001',
      cnonce: 'OA6MHXh6VqTrRk',
      'digest-uri': 'imap/elwood.innosoft.com',
      response: 'd388dad90d4bbd760a152321f2143af7',
      qop: 'auth',
    });
    expect(mechanism.complete).toBe(false);
    expect(mechanism.step(Buffer.from('rspauth=ea40f60335c427b5527b84dbabcdfffd'))).toHaveLength(0);
    expect(mechanism.complete).toBe(true);
  });

  it("uses ZooKeeper's digest-uri and realm, and refuses a server that does not prove the password", () => {
    const mechanism = new DigestMd5Mechanism({ username: 'alice', password: 'secret', cnonce: () => 'c' });
    const response = parseDirectives(
      Buffer.from(
        mechanism.step(Buffer.from('realm="zk-sasl-md5",nonce="n",charset=utf-8,algorithm=md5-sess')),
      ).toString(),
    );
    expect(response.get('digest-uri')).toBe('zookeeper/zk-sasl-md5');
    expect(response.get('realm')).toBe('zk-sasl-md5');
    expect(() => mechanism.step(Buffer.from('rspauth=00000000000000000000000000000000'))).toThrow(SaslError);
    expect(mechanism.complete).toBe(false);
  });

  it('never sends or shows the password', () => {
    const mechanism = new DigestMd5Mechanism({ username: 'alice', password: 'hunter2-secret' });
    const token = Buffer.from(
      mechanism.step(Buffer.from('realm="zk-sasl-md5",nonce="n",algorithm=md5-sess')),
    ).toString();
    expect(token).not.toContain('hunter2-secret');
    expect(inspect(mechanism, { showHidden: true, depth: 5 })).not.toContain('hunter2-secret');
    expect(JSON.stringify(mechanism)).not.toContain('hunter2-secret');
  });

  it('parses quoted values with escapes and commas', () => {
    const d = parseDirectives('realm="a\\"b,c", nonce=xyz ,qop="auth,auth-int"');
    expect(d.get('realm')).toBe('a"b,c');
    expect(d.get('nonce')).toBe('xyz');
    expect(d.get('qop')).toBe('auth,auth-int');
  });
});
