// One registered service instance, as curator-x-discovery models it: the fields of Curator's
// ServiceInstance (its JSON is in instance-json.ts), the ServiceType that decides the kind of znode
// it lives in, and the builder defaults of `ServiceInstance.builder()`: a random UUID for the id,
// the host's first non-loopback address, the registration time now, DYNAMIC, enabled.

import { networkInterfaces } from 'node:os';
import { parseUriSpec, type UriSpec } from './uri-spec.js';

/**
 * How an instance is registered (Curator's ServiceType): DYNAMIC is an ephemeral node, gone with
 * the session; DYNAMIC_SEQUENTIAL an ephemeral sequential one (`<id><10 digits>`); STATIC and
 * PERMANENT persistent nodes, which outlive the session.
 */
export const ServiceType = {
  DYNAMIC: 'DYNAMIC',
  STATIC: 'STATIC',
  PERMANENT: 'PERMANENT',
  DYNAMIC_SEQUENTIAL: 'DYNAMIC_SEQUENTIAL',
} as const;
/** One of ServiceType's names. */
export type ServiceType = (typeof ServiceType)[keyof typeof ServiceType];

/** Curator's ServiceInstance: one instance of a named service. Never mutated: a change is a new object. */
export interface ServiceInstance<P = unknown> {
  /** The service's name: the instance lives at `<basePath>/<name>/<id>`. */
  readonly name: string;
  /** Unique among the service's instances. */
  readonly id: string;
  /** Where to reach it (host name or IP address), or null. */
  readonly address: string | null;
  /** Its plain port, or null. */
  readonly port: number | null;
  /** Its TLS port, or null; with one, a uriSpec's `{scheme}` is `https`. */
  readonly sslPort: number | null;
  /** Anything JSON can hold, or null (instance-json.ts says how Curator types it). */
  readonly payload: P | null;
  /** When it was registered: ms since the epoch, UTC. */
  readonly registrationTimeUTC: number;
  /** The kind of its znode: ephemeral (DYNAMIC), ephemeral sequential, or persistent. */
  readonly serviceType: ServiceType;
  /** A URI template to reach it (`buildUriSpec` fills it in), or null. */
  readonly uriSpec: UriSpec | null;
  /**
   * Whether providers may hand it out. Curator's default serializer does not write this field
   * (CURATOR-275), so it only travels with `compatibleSerializationMode: false`.
   */
  readonly enabled: boolean;
}

/** The fields of a new instance: `name` is required, every other field has Curator's builder default. */
export interface ServiceInstanceInit<P = unknown> {
  /** The service's name. */
  name: string;
  /** Default: a random UUID. */
  id?: string;
  /** Default: the host's first non-loopback address (`localAddresses()[0]`), or null. */
  address?: string | null;
  /** Default: null. */
  port?: number | null;
  /** Default: null. */
  sslPort?: number | null;
  /** Default: null. */
  payload?: P | null;
  /** Default: now (ms since the epoch). */
  registrationTimeUTC?: number;
  /** Default: DYNAMIC. */
  serviceType?: ServiceType;
  /** A parsed spec, or a template (`{scheme}://{address}:{port}`) to parse. */
  uriSpec?: UriSpec | string | null;
  /** Default: true. */
  enabled?: boolean;
}

/** A new instance from `init` and Curator's builder defaults. Throws a TypeError for a bad field. */
export function serviceInstance<P = unknown>(init: ServiceInstanceInit<P>): ServiceInstance<P> {
  const instance: ServiceInstance<P> = {
    name: init.name,
    id: init.id ?? globalThis.crypto.randomUUID(),
    address: init.address !== undefined ? init.address : (localAddresses()[0] ?? null),
    port: init.port ?? null,
    sslPort: init.sslPort ?? null,
    payload: init.payload ?? null,
    registrationTimeUTC: init.registrationTimeUTC ?? Date.now(),
    serviceType: init.serviceType ?? ServiceType.DYNAMIC,
    uriSpec: typeof init.uriSpec === 'string' ? parseUriSpec(init.uriSpec) : (init.uriSpec ?? null),
    enabled: init.enabled ?? true,
  };
  checkInstance(instance);
  return instance;
}

/** Throws a TypeError when a field could not be written as Curator's ServiceInstance. */
export function checkInstance(instance: ServiceInstance<unknown>): void {
  if (typeof instance.name !== 'string' || instance.name === '' || instance.name.includes('/'))
    throw new TypeError(`a service name must be a non-empty string without '/': ${String(instance.name)}`);
  if (typeof instance.id !== 'string' || instance.id === '' || instance.id.includes('/'))
    throw new TypeError(`an instance id must be a non-empty string without '/': ${String(instance.id)}`);
  for (const field of ['port', 'sslPort'] as const) {
    const value = instance[field];
    // A Java Integer.
    if (value !== null && !(Number.isInteger(value) && value >= -(2 ** 31) && value < 2 ** 31))
      throw new TypeError(`${field} must be a 32-bit integer or null: ${value}`);
  }
  if (!Number.isSafeInteger(instance.registrationTimeUTC))
    throw new TypeError(`registrationTimeUTC must be an integer (ms): ${instance.registrationTimeUTC}`);
  if (!Object.values(ServiceType).includes(instance.serviceType))
    throw new TypeError(`not a ServiceType: ${String(instance.serviceType)}`);
}

/** The create flags of an instance's node: ephemeral for the DYNAMIC types, sequential for DYNAMIC_SEQUENTIAL. */
export function nodeModeOf(serviceType: ServiceType): { ephemeral: boolean; sequence: boolean } {
  return {
    ephemeral: serviceType === ServiceType.DYNAMIC || serviceType === ServiceType.DYNAMIC_SEQUENTIAL,
    sequence: serviceType === ServiceType.DYNAMIC_SEQUENTIAL,
  };
}

/**
 * The host's addresses Curator's builder picks from (`getAllLocalIPs` with its default filter):
 * neither loopback nor link-local. IPv4 addresses come first, then IPv6.
 */
export function localAddresses(): string[] {
  const v4: string[] = [];
  const v6: string[] = [];
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.internal) continue;
      if (address.family === 'IPv4' && !address.address.startsWith('169.254.')) v4.push(address.address);
      if (address.family === 'IPv6' && !/^fe[89ab]/i.test(address.address)) v6.push(address.address);
    }
  }
  return [...v4, ...v6];
}

/**
 * Whether two instances are the same in every field, payload compared deeply (Curator's
 * `ServiceInstance.equals`): what the sticky strategy and the down-instance policy compare.
 */
export function instancesEqual(a: ServiceInstance<unknown>, b: ServiceInstance<unknown>): boolean {
  return (
    a === b ||
    (a.name === b.name &&
      a.id === b.id &&
      a.address === b.address &&
      a.port === b.port &&
      a.sslPort === b.sslPort &&
      a.registrationTimeUTC === b.registrationTimeUTC &&
      a.serviceType === b.serviceType &&
      a.enabled === b.enabled &&
      deepEqual(a.uriSpec, b.uriSpec) &&
      deepEqual(a.payload, b.payload))
  );
}

/** Structural equality of JSON values (object keys in any order, as Java's Map.equals). */
function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const other = b as unknown[];
    return a.length === other.length && a.every((item, i) => deepEqual(item, other[i]));
  }
  const aKeys = Object.keys(a);
  const bRecord = b as Record<string, unknown>;
  return (
    aKeys.length === Object.keys(b).length &&
    aKeys.every(
      (key) => Object.hasOwn(bRecord, key) && deepEqual((a as Record<string, unknown>)[key], bRecord[key]),
    )
  );
}
