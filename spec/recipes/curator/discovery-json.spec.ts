// Curator's ServiceInstance JSON, without a server: the bytes JsonInstanceSerializer writes (the
// expected strings below were written by Curator 5.4's jar with Jackson 2.14, a probe run against
// /usr/share/java/curator-x-discovery.jar; the interop spec checks the same live), what zookit reads
// of Curator's forms, and the UriSpec behaviours of Curator's TestUriSpec.

import {
  InstanceFormatError,
  JsonInstanceSerializer,
} from '../../../recipes/curator/discovery/instance-json.js';
import {
  type ServiceInstance,
  ServiceType,
  serviceInstance,
} from '../../../recipes/curator/discovery/service-instance.js';
import { buildUri, buildUriSpec, parseUriSpec } from '../../../recipes/curator/discovery/uri-spec.js';

const URI_SPEC_JSON =
  '{"parts":[{"value":"scheme","variable":true},{"value":"://","variable":false},{"value":"address","variable":true},' +
  '{"value":":","variable":false},{"value":"port","variable":true},{"value":"/x","variable":false},' +
  '{"value":"[","variable":true},{"value":"y","variable":false},{"value":"]","variable":true}]}';

/** The probe's instance, with `payload`. */
function probeInstance(payload: unknown, enabled = true): ServiceInstance {
  return serviceInstance({
    name: 'name',
    id: 'id',
    address: '127.0.0.1',
    port: 10,
    sslPort: 20,
    payload,
    registrationTimeUTC: 1234,
    uriSpec: '{scheme}://{address}:{port}/x{[}y{]}',
    enabled,
  });
}

/** What Curator wrote for the probe's instance with a payload written as `payloadJson`. */
function curatorJson(payloadJson: string, enabledField = ''): string {
  return (
    `{"name":"name","id":"id","address":"127.0.0.1","port":10,"sslPort":20,"payload":${payloadJson},` +
    `"registrationTimeUTC":1234,"serviceType":"DYNAMIC","uriSpec":${URI_SPEC_JSON}${enabledField}}`
  );
}

const compatible = new JsonInstanceSerializer();

describe("Curator's JsonInstanceSerializer bytes", () => {
  it.each([
    ['no payload', null, 'null'],
    ['a string', 'thing', '"thing"'],
    ['a 32-bit integer', 5, '5'],
    ['a double', 1.5, '1.5'],
    ['a boolean', true, 'true'],
    ['a long (beyond 32 bits): wrapped with its class', 5_000_000_000, '["java.lang.Long",5000000000]'],
    [
      'an object: @class first, nested values untyped',
      { a: 'b', n: 1, nested: { x: [1, 2] } },
      '{"@class":"java.util.LinkedHashMap","a":"b","n":1,"nested":{"x":[1,2]}}',
    ],
    ['an array: wrapped with its class', ['x', 'y'], '["java.util.ArrayList",["x","y"]]'],
  ])('writes %s as Curator does', (_what, payload, json) => {
    expect(compatible.serialize(probeInstance(payload)).toString('utf8')).toBe(curatorJson(json));
  });

  it('writes an object payload with the payload class Curator reads it as (a bean)', () => {
    const serializer = new JsonInstanceSerializer({ payloadClass: 'Probe$Details' });
    expect(serializer.serialize(probeInstance({ region: 'eu', weight: 3 })).toString()).toBe(
      curatorJson('{"@class":"Probe$Details","region":"eu","weight":3}'),
    );
    // A declared Long wraps even a small number, as Curator's Long payload is written.
    const longs = new JsonInstanceSerializer({ payloadClass: 'java.lang.Long' });
    expect(longs.serialize(probeInstance(5)).toString()).toBe(curatorJson('["java.lang.Long",5]'));
  });

  it("writes null fields as null and leaves 'enabled' out in compatible mode (Curator's default)", () => {
    const bare = serviceInstance({
      name: 'n',
      id: 'i',
      address: null,
      registrationTimeUTC: 0,
      serviceType: 'STATIC',
    });
    expect(compatible.serialize(bare).toString()).toBe(
      '{"name":"n","id":"i","address":null,"port":null,"sslPort":null,"payload":null,"registrationTimeUTC":0,"serviceType":"STATIC","uriSpec":null}',
    );
  });

  it("writes 'enabled' last with compatibleSerializationMode: false, and refuses to drop a disabled instance otherwise", () => {
    const full = new JsonInstanceSerializer({ compatibleSerializationMode: false });
    expect(full.serialize(probeInstance(null, false)).toString()).toBe(
      curatorJson('null', ',"enabled":false'),
    );
    expect(() => compatible.serialize(probeInstance(null, false))).toThrow(/CURATOR-275/);
  });

  it('escapes strings as Jackson does: upper-case \\u escapes for controls and surrogates, the rest raw', () => {
    const name = 'a/b"c\\d\n\t\u0001\u001f\u007f é \u2028 😀 <>&\'';
    const json = compatible
      .serialize(serviceInstance({ name: 'n', id: 'i', address: name }))
      .toString('utf8');
    // Jackson 2.14's writeValueAsBytes of the same string:
    expect(json).toContain(
      '"address":"a/b\\"c\\\\d\\n\\t\\u0001\\u001F\u007f é \u2028 \\uD83D\\uDE00 <>&\'"',
    );
    expect(compatible.deserialize(Buffer.from(json)).address).toBe(name);
  });
});

describe("reading Curator's JSON", () => {
  const read = (json: string): ServiceInstance => compatible.deserialize(Buffer.from(json));

  it('reads every field of what Curator wrote, the payload without its type id', () => {
    const instance = read(curatorJson('{"@class":"Probe$Details","region":"eu","weight":3}'));
    expect(instance).toEqual({
      name: 'name',
      id: 'id',
      address: '127.0.0.1',
      port: 10,
      sslPort: 20,
      payload: { region: 'eu', weight: 3 },
      registrationTimeUTC: 1234,
      serviceType: 'DYNAMIC',
      uriSpec: parseUriSpec('{scheme}://{address}:{port}/x{[}y{]}'),
      enabled: true,
    });
    expect(read(curatorJson('["java.util.ArrayList",["x","y"]]')).payload).toEqual(['x', 'y']);
    expect(read(curatorJson('["java.lang.Long",5000000000]')).payload).toBe(5_000_000_000);
    expect(read(curatorJson('"thing"')).payload).toBe('thing');
    expect(read(curatorJson('null')).payload).toBeNull();
  });

  it("takes Curator's defaults for missing fields and ignores unknown ones (an instance without 'enabled' is enabled)", () => {
    expect(read('{}')).toEqual({
      name: '',
      id: '',
      address: null,
      port: null,
      sslPort: null,
      payload: null,
      registrationTimeUTC: 0,
      serviceType: ServiceType.DYNAMIC,
      uriSpec: null,
      enabled: true,
    });
    const later = read('{"name":"n","id":"i","enabled":false,"extra":{"a":1},"serviceType":"PERMANENT"}');
    expect(later.enabled).toBe(false);
    expect(later.serviceType).toBe('PERMANENT');
  });

  it('round-trips every kind of payload', () => {
    const full = new JsonInstanceSerializer({ compatibleSerializationMode: false });
    for (const payload of [null, 'x', 7, 2.5, false, 2 ** 40, { a: [1, { b: null }] }, [1, 'two']]) {
      const instance = probeInstance(payload, false);
      expect(full.deserialize(full.serialize(instance))).toEqual(instance);
    }
  });

  it('rejects data that is not an instance with InstanceFormatError', () => {
    for (const bad of ['not json', '[1]', '{"port":"10"}', '{"serviceType":"ELSEWHERE"}', '{"uriSpec":[]}']) {
      expect(() => read(bad)).toThrow(InstanceFormatError);
    }
  });
});

describe("UriSpec (Curator's TestUriSpec)", () => {
  it('splits a template into literal and variable parts, braces escaped as {[} and {]}', () => {
    expect(parseUriSpec('{one}two-three-{[}four{]}-five{six}').parts).toEqual([
      { value: 'one', variable: true },
      { value: 'two-three-', variable: false },
      { value: '[', variable: true },
      { value: 'four', variable: false },
      { value: ']', variable: true },
      { value: '-five', variable: false },
      { value: 'six', variable: true },
    ]);
    expect(buildUri(parseUriSpec('{one}two-three-{[}four{]}-five{six}'), undefined, { one: 1, six: 6 })).toBe(
      '1two-three-{four}-five6',
    );
    expect(parseUriSpec('{one}{ two }three').parts).toEqual([
      { value: 'one', variable: true },
      { value: 'two', variable: true },
      { value: 'three', variable: false },
    ]);
  });

  it('rejects unbalanced braces', () => {
    expect(() => parseUriSpec('{a{b}}')).toThrow(TypeError);
    expect(() => parseUriSpec('a}')).toThrow(TypeError);
    expect(() => parseUriSpec('{a')).toThrow(TypeError);
  });

  it('fills in the scheme: http, or https when the instance has an SSL port', () => {
    const plain = serviceInstance({ name: 'foo', id: 'x', port: 5, uriSpec: '{scheme}://foo.com' });
    expect(buildUriSpec(plain)).toBe('http://foo.com');
    expect(buildUriSpec({ ...plain, sslPort: 5 })).toBe('https://foo.com');
  });

  it("fills in the instance's fields, variables given overriding them", () => {
    const instance = serviceInstance({
      name: 'foo',
      id: 'bar',
      address: '1.2.3.4',
      port: 5,
      sslPort: 6,
      registrationTimeUTC: 789,
      serviceType: ServiceType.PERMANENT,
      uriSpec:
        '{scheme}://{address}:{port}:{ssl-port}/{name}/{id}/{registration-time-utc}/{service-type}{missing}',
    });
    expect(buildUriSpec(instance, { scheme: 'test' })).toBe('test://1.2.3.4:5:6/foo/bar/789/permanent');
  });
});

describe("an instance's defaults (Curator's ServiceInstance.builder())", () => {
  it('gets a UUID id, the time now, DYNAMIC, enabled, and no ports, payload or spec', () => {
    const before = Date.now();
    const instance = serviceInstance({ name: 'svc', address: '127.0.0.1' });
    expect(instance.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(instance.registrationTimeUTC).toBeGreaterThanOrEqual(before);
    expect(instance).toMatchObject({
      serviceType: 'DYNAMIC',
      enabled: true,
      port: null,
      sslPort: null,
      payload: null,
      uriSpec: null,
    });
    expect(() => serviceInstance({ name: 'a/b' })).toThrow(TypeError);
    expect(() => serviceInstance({ name: 'a', port: 1.5 })).toThrow(TypeError);
  });
});
