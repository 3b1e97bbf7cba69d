// Curator's UriSpec: a URI template such as `{scheme}://{address}:{port}/api`, kept in a service
// instance's JSON as its parsed parts (`{"parts":[{"value":"scheme","variable":true}, ...]}`), so a
// reader fills it in without parsing text. The parts, not the text, are what Curator stores and
// compares, so zookit parses the template the way Curator's StringTokenizer does: `{` opens a
// variable (trimmed), `}` closes it, and `{[}` / `{]}` stand for literal braces.

/** One token of a URI template: a literal run of text, or the name of a variable to fill in. */
export interface UriSpecPart {
  /** The text, or the variable's name. */
  readonly value: string;
  /** Whether `value` names a variable. */
  readonly variable: boolean;
}

/** A parsed URI template, as Curator writes it in an instance's JSON (`uriSpec`). */
export interface UriSpec {
  /** The tokens in order. */
  readonly parts: readonly UriSpecPart[];
}

/** The variable names Curator fills in from an instance (`UriSpec.FIELD_*`). */
export const UriSpecField = {
  scheme: 'scheme',
  name: 'name',
  id: 'id',
  address: 'address',
  port: 'port',
  sslPort: 'ssl-port',
  registrationTimeUTC: 'registration-time-utc',
  serviceType: 'service-type',
  /** Always replaced by a literal `{`. */
  openBrace: '[',
  /** Always replaced by a literal `}`. */
  closeBrace: ']',
} as const;

/** What `buildUri` reads from an instance (a ServiceInstance has all of it). */
export interface UriSpecSource {
  /** `{name}`. */
  readonly name: string;
  /** `{id}`. */
  readonly id: string;
  /** `{address}` ('' when null). */
  readonly address: string | null;
  /** `{port}` ('' when null). */
  readonly port: number | null;
  /** `{ssl-port}` ('' when null); its presence makes `{scheme}` https. */
  readonly sslPort: number | null;
  /** `{registration-time-utc}`, ms since the epoch. */
  readonly registrationTimeUTC: number;
  /** `{service-type}`, in lower case. */
  readonly serviceType: string;
}

/**
 * Parses a URI template as Curator's `new UriSpec(text)` does. Throws a TypeError for a `{` inside
 * a variable, a `}` outside one, or a variable left open.
 */
export function parseUriSpec(text: string): UriSpec {
  const parts: UriSpecPart[] = [];
  let inside = false;
  for (const token of text.split(/([{}])/)) {
    if (token === '') continue;
    if (token === '{') {
      if (inside) throw new TypeError(`uri spec ${JSON.stringify(text)}: { is not allowed inside a variable`);
      inside = true;
    } else if (token === '}') {
      if (!inside) throw new TypeError(`uri spec ${JSON.stringify(text)}: } must follow a {`);
      inside = false;
    } else {
      parts.push({ value: inside ? token.trim() : token, variable: inside });
    }
  }
  if (inside) throw new TypeError(`uri spec ${JSON.stringify(text)}: the last variable is not closed`);
  return { parts };
}

/**
 * Fills in a URI template (Curator's `UriSpec.build`). Variables come from `variables` first, then
 * from `instance` (name, id, address, port, ssl-port, registration-time-utc, service-type in lower
 * case; a missing address or port is ''), then the defaults: `scheme` is `https` when the
 * instance has an SSL port and `http` otherwise, `[` and `]` are braces. A variable with no value
 * is left out.
 */
export function buildUri(
  spec: UriSpec,
  instance?: UriSpecSource,
  variables: Readonly<Record<string, unknown>> = {},
): string {
  const values = new Map<string, unknown>([
    [UriSpecField.openBrace, '{'],
    [UriSpecField.closeBrace, '}'],
    [UriSpecField.scheme, 'http'],
  ]);
  if (instance !== undefined) {
    values.set(UriSpecField.name, instance.name);
    values.set(UriSpecField.id, instance.id);
    values.set(UriSpecField.address, instance.address ?? '');
    values.set(UriSpecField.port, instance.port ?? '');
    values.set(UriSpecField.sslPort, instance.sslPort ?? '');
    values.set(UriSpecField.registrationTimeUTC, instance.registrationTimeUTC);
    values.set(UriSpecField.serviceType, instance.serviceType.toLowerCase());
    if (instance.sslPort !== null) values.set(UriSpecField.scheme, 'https');
  }
  for (const [name, value] of Object.entries(variables)) values.set(name, value);
  let uri = '';
  for (const part of spec.parts) {
    if (!part.variable) uri += part.value;
    else {
      const value = values.get(part.value);
      if (value !== undefined && value !== null) uri += String(value);
    }
  }
  return uri;
}

/** The instance's own URI: its `uriSpec` filled in from it and `variables`; '' without a spec. */
export function buildUriSpec(
  instance: UriSpecSource & { readonly uriSpec: UriSpec | null },
  variables: Readonly<Record<string, unknown>> = {},
): string {
  return instance.uriSpec === null ? '' : buildUri(instance.uriSpec, instance, variables);
}
