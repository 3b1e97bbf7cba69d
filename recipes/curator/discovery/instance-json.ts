// The bytes of an instance's znode: Curator 5.4's JsonInstanceSerializer, byte for byte where a
// Java reader could care. Checked against the jar (/usr/share/java/curator-x-discovery.jar with
// Jackson 2.14), docs/curator-discovery.md#the-json:
//
// - Fields in the order Jackson writes ServiceInstance's getters: name, id, address, port, sslPort,
//   payload, registrationTimeUTC, serviceType, uriSpec, then `enabled` — which Curator's default
//   ("compatible") mode leaves out (CURATOR-275), so a disabled instance needs that mode off.
// - Every field is written, null ones as `null`.
// - The payload carries Jackson's class-name type id (`@JsonTypeInfo(use = CLASS)`), which Curator's
//   reader needs: a JSON object gets `"@class"` as its first member, an array (or any value whose
//   Java class is not String, Integer, Double or Boolean) is wrapped as `["<class>", value]`, and
//   the four "natural" scalars are written bare. A bare array is a payload Curator cannot read.
// - Strings are escaped as Jackson escapes them: control characters as `\u00XX` with upper-case
//   hex (or `\n`-style short forms), UTF-16 surrogates as `\uXXXX`, everything else raw UTF-8.
//
// Reading is lenient in Curator's way: unknown fields are ignored and a missing field takes
// Curator's default (DYNAMIC, enabled, null, 0, '').

import type { ServiceInstance } from './service-instance.js';
import { ServiceType } from './service-instance.js';
import type { UriSpec, UriSpecPart } from './uri-spec.js';

/** How instances become znode data and back (Curator's InstanceSerializer). */
export interface InstanceSerializer<P = unknown> {
  /** The znode data of `instance`; throws a TypeError for a field or payload it cannot write. */
  serialize(instance: ServiceInstance<P>): Buffer;
  /** Throws (InstanceFormatError for the JSON serializer) when the bytes are not an instance. */
  deserialize(data: Buffer): ServiceInstance<P>;
}

/** Options of JsonInstanceSerializer. */
export interface JsonInstanceSerializerOptions {
  /**
   * The Java class Curator's side reads payloads as (its `ServiceDiscoveryBuilder.builder(X.class)`),
   * written as the payload's type id when the payload is an object or array, or a scalar Jackson
   * would not write bare (`java.lang.Long`). Default: what Curator writes for a plain JSON value
   * (`java.util.LinkedHashMap` for an object, `java.util.ArrayList` for an array), which a Curator
   * discovery built for `Object.class` or `Map.class` reads.
   */
  payloadClass?: string;
  /**
   * Curator's `compatibleSerializationMode`: true (Curator's default) leaves the `enabled` field out,
   * so a disabled instance cannot be written (serialize throws a TypeError rather than lose it);
   * false writes it, as `new JsonInstanceSerializer(cls, false)` does.
   */
  compatibleSerializationMode?: boolean;
}

/** Znode data that is not a Curator ServiceInstance. */
export class InstanceFormatError extends Error {
  /** `InstanceFormatError`. */
  override readonly name = 'InstanceFormatError';
  /** Stable code (docs/errors.md#codes). */
  readonly code = 'ERR_ZOOKIT_INSTANCE_FORMAT';
}

/** The Java classes Jackson writes without a type id: their JSON form says the class. */
const NATURAL = new Set(['java.lang.String', 'java.lang.Integer', 'java.lang.Double', 'java.lang.Boolean']);
const GENERIC = new Set([undefined, 'java.lang.Object']);

/** Curator's JsonInstanceSerializer: the instance as Curator 5.4 writes and reads it. */
export class JsonInstanceSerializer<P = unknown> implements InstanceSerializer<P> {
  private readonly payloadClass: string | undefined;
  private readonly compatible: boolean;

  constructor(options: JsonInstanceSerializerOptions = {}) {
    this.payloadClass = options.payloadClass;
    this.compatible = options.compatibleSerializationMode ?? true;
  }

  /** Curator's JSON of `instance` as UTF-8; a TypeError for a disabled instance in compatible mode, or a payload that is not JSON. */
  serialize(instance: ServiceInstance<P>): Buffer {
    if (this.compatible && instance.enabled === false)
      throw new TypeError(
        `instance ${instance.id} is disabled, but Curator's compatible serialization does not write 'enabled' (CURATOR-275): use compatibleSerializationMode: false`,
      );
    const fields: string[] = [
      member('name', instance.name),
      member('id', instance.id),
      member('address', instance.address),
      member('port', instance.port),
      member('sslPort', instance.sslPort),
      `"payload":${jacksonJson(typedPayload(instance.payload, this.payloadClass))}`,
      member('registrationTimeUTC', instance.registrationTimeUTC),
      member('serviceType', instance.serviceType),
      `"uriSpec":${jacksonJson(instance.uriSpec === null ? null : { parts: instance.uriSpec.parts.map(({ value, variable }) => ({ value, variable })) })}`,
    ];
    if (!this.compatible) fields.push(member('enabled', instance.enabled));
    return Buffer.from(`{${fields.join(',')}}`, 'utf8');
  }

  /** The instance in Curator's JSON (the payload without its type id); InstanceFormatError when it is not one. */
  deserialize(data: Buffer): ServiceInstance<P> {
    let json: unknown;
    try {
      json = JSON.parse(data.toString('utf8'));
    } catch (error) {
      throw new InstanceFormatError(`not JSON: ${(error as Error).message}`);
    }
    if (!isRecord(json)) throw new InstanceFormatError('not a JSON object');
    return {
      name: field(json, 'name', 'string', ''),
      id: field(json, 'id', 'string', ''),
      address: field(json, 'address', 'string', null),
      port: field(json, 'port', 'integer', null),
      sslPort: field(json, 'sslPort', 'integer', null),
      payload: untypedPayload(json.payload) as P | null,
      registrationTimeUTC: field(json, 'registrationTimeUTC', 'integer', 0),
      serviceType: serviceTypeOf(json.serviceType),
      uriSpec: uriSpecOf(json.uriSpec),
      enabled: field(json, 'enabled', 'boolean', true),
    };
  }
}

// --- the payload's type id --------------------------------------------------------------------

/** The payload with Jackson's type id added, as Curator writes it. */
function typedPayload(payload: unknown, payloadClass: string | undefined): unknown {
  if (payload === null || payload === undefined) return null;
  const declared = GENERIC.has(payloadClass) ? undefined : payloadClass;
  if (Array.isArray(payload)) return [declared ?? 'java.util.ArrayList', payload];
  if (typeof payload === 'object') return { '@class': declared ?? 'java.util.LinkedHashMap', ...payload };
  const natural = naturalClassOf(payload);
  const javaClass = declared ?? natural;
  return NATURAL.has(javaClass) && javaClass === natural ? payload : [javaClass, payload];
}

/** The Java class Jackson would read a bare scalar as. */
function naturalClassOf(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return 'java.lang.String';
    case 'boolean':
      return 'java.lang.Boolean';
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`a payload number must be finite: ${value}`);
      if (!Number.isInteger(value)) return 'java.lang.Double';
      return value >= -(2 ** 31) && value < 2 ** 31 ? 'java.lang.Integer' : 'java.lang.Long';
    default:
      throw new TypeError(`a payload must be JSON (got a ${typeof value})`);
  }
}

/** The payload without Jackson's type id: `@class` dropped from an object, a `[class, value]` wrapper opened. */
function untypedPayload(payload: unknown): unknown {
  if (payload === undefined || payload === null) return null;
  if (Array.isArray(payload)) {
    return payload.length === 2 && typeof payload[0] === 'string' ? payload[1] : payload;
  }
  if (isRecord(payload) && typeof payload['@class'] === 'string') {
    const { '@class': _typeId, ...rest } = payload;
    return rest;
  }
  return payload;
}

// --- reading fields ---------------------------------------------------------------------------

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

type Kind = 'string' | 'integer' | 'boolean';
type KindType<K extends Kind> = K extends 'string' ? string : K extends 'integer' ? number : boolean;

/** `json[name]` when it is of `kind`; `fallback` when absent; an InstanceFormatError otherwise. */
function field<K extends Kind, F>(
  json: Record<string, unknown>,
  name: string,
  kind: K,
  fallback: F,
): KindType<K> | F {
  const value = json[name];
  if (value === undefined) return fallback;
  if (value === null) {
    if (fallback === null) return fallback;
    throw new InstanceFormatError(`${name} is null`);
  }
  const ok = kind === 'integer' ? Number.isInteger(value) : typeof value === kind;
  if (!ok)
    throw new InstanceFormatError(
      `${name} is not a${kind === 'integer' ? 'n' : ''} ${kind}: ${JSON.stringify(value)}`,
    );
  return value as KindType<K>;
}

function serviceTypeOf(value: unknown): ServiceType {
  if (value === undefined) return ServiceType.DYNAMIC;
  if (typeof value === 'string' && Object.values<string>(ServiceType).includes(value))
    return value as ServiceType;
  throw new InstanceFormatError(`serviceType is not a ServiceType: ${JSON.stringify(value)}`);
}

function uriSpecOf(value: unknown): UriSpec | null {
  if (value === undefined || value === null) return null;
  if (!isRecord(value)) throw new InstanceFormatError('uriSpec is not an object');
  if (value.parts === undefined || value.parts === null) return { parts: [] };
  if (!Array.isArray(value.parts)) throw new InstanceFormatError('uriSpec.parts is not an array');
  const parts = value.parts.map((part): UriSpecPart => {
    if (!isRecord(part)) throw new InstanceFormatError('a uriSpec part is not an object');
    return { value: field(part, 'value', 'string', ''), variable: field(part, 'variable', 'boolean', false) };
  });
  return { parts };
}

// --- writing JSON as Jackson does -------------------------------------------------------------

function member(name: string, value: string | number | boolean | null): string {
  return `"${name}":${jacksonJson(value)}`;
}

/** JSON text of a JSON value, strings escaped as Jackson escapes them. Undefined members are left out (as JSON.stringify). */
function jacksonJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return jacksonString(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`JSON has no ${value}`);
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value))
        return `[${value.map((item) => (item === undefined ? 'null' : jacksonJson(item))).join(',')}]`;
      const members: string[] = [];
      for (const [key, item] of Object.entries(value)) {
        if (item !== undefined) members.push(`${jacksonString(key)}:${jacksonJson(item)}`);
      }
      return `{${members.join(',')}}`;
    }
    default:
      throw new TypeError(`a ${typeof value} is not JSON`);
  }
}

const SHORT_ESCAPES: Readonly<Record<number, string>> = {
  8: '\\b',
  9: '\\t',
  10: '\\n',
  12: '\\f',
  13: '\\r',
  34: '\\"',
  92: '\\\\',
};

function jacksonString(text: string): string {
  let out = '"';
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const escaped =
      SHORT_ESCAPES[code] ??
      (code < 0x20 || (code >= 0xd800 && code <= 0xdfff)
        ? `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`
        : undefined);
    if (escaped === undefined) continue;
    out += text.slice(from, i) + escaped;
    from = i + 1;
  }
  return `${out}${text.slice(from)}"`;
}
