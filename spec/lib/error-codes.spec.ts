// Every error the client raises itself carries a stable string `code` (ERR_ZOOKIT_*), as server
// errors carry their numeric code and codeName. The table below is the contract: renaming a code,
// or exporting a new error class without one, fails here. docs/errors.md#codes

import * as zookit from '../../index.js';
import * as protocol from '../../protocol/index.js';
import * as testing from '../../testing/index.js';

/** Each client-side error class, an instance of it, and its code. Keep in step with docs/errors.md. */
const CODES: ReadonlyArray<[name: string, make: () => Error, code: string]> = [
  [
    'InvalidArgumentError',
    () => new zookit.InvalidArgumentError('version', 'bad'),
    'ERR_ZOOKIT_INVALID_ARGUMENT',
  ],
  ['InvalidPathError', () => new zookit.InvalidPathError('a', 'relative'), 'ERR_ZOOKIT_INVALID_PATH'],
  ['InvalidAclError', () => new zookit.InvalidAclError('empty'), 'ERR_ZOOKIT_INVALID_ACL'],
  ['ValueTooLargeError', () => new zookit.ValueTooLargeError(2, 1), 'ERR_ZOOKIT_VALUE_TOO_LARGE'],
  [
    'ConnectionClosedError',
    () => new zookit.ConnectionClosedError('stopped'),
    'ERR_ZOOKIT_CONNECTION_CLOSED',
  ],
  [
    'ConnectionFailedError',
    () =>
      new zookit.ConnectionFailedError([
        { host: '127.0.0.1', port: 1, code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:1' },
      ]),
    'ERR_ZOOKIT_CONNECTION_FAILED',
  ],
  [
    'TlsFileError',
    () => new zookit.TlsFileError('certFile', '/etc/tls/tls.crt', 'cannot be read (ENOENT)'),
    'ERR_ZOOKIT_TLS_FILE',
  ],
  ['RetryFailedError', () => new zookit.RetryFailedError('gave up', 3), 'ERR_ZOOKIT_RETRY_FAILED'],
  ['ForceRetryError', () => new zookit.ForceRetryError(), 'ERR_ZOOKIT_FORCE_RETRY'],
  ['RolledBackError', () => new zookit.RolledBackError(), 'ERR_ZOOKIT_ROLLED_BACK'],
  [
    'TransactionFailedError',
    () =>
      new zookit.TransactionFailedError(
        { index: 0, op: 'check', path: '/a', error: new zookit.BadVersionError(undefined, '/a') },
        [],
      ),
    'ERR_ZOOKIT_TRANSACTION_FAILED',
  ],
  ['ProtocolError', () => new zookit.ProtocolError('bad bytes'), 'ERR_ZOOKIT_PROTOCOL'],
  [
    'InboundFrameTooLargeError',
    () => new zookit.InboundFrameTooLargeError(9, 1),
    'ERR_ZOOKIT_INBOUND_FRAME_TOO_LARGE',
  ],
  [
    'OutboundFrameTooLargeError',
    () => new zookit.OutboundFrameTooLargeError(9, 1),
    'ERR_ZOOKIT_OUTBOUND_FRAME_TOO_LARGE',
  ],
  ['UnsafeRequestError', () => new zookit.UnsafeRequestError('check'), 'ERR_ZOOKIT_UNSAFE_REQUEST'],
  ['HandlerTimeoutError', () => new zookit.HandlerTimeoutError('late'), 'ERR_ZOOKIT_TIMEOUT'],
  ['WorkerTaskError', () => new zookit.WorkerTaskError('failed'), 'ERR_ZOOKIT_WORKER_TASK'],
  ['WorkerArgumentError', () => new zookit.WorkerArgumentError('a function'), 'ERR_ZOOKIT_WORKER_ARGUMENT'],
  ['WorkerExitError', () => new zookit.WorkerExitError('exited'), 'ERR_ZOOKIT_WORKER_EXIT'],
  [
    'WorkerPoolOptionsError',
    () => new zookit.WorkerPoolOptionsError('pool and shared'),
    'ERR_ZOOKIT_WORKER_POOL_OPTIONS',
  ],
  [
    'WorkerPoolClosedError',
    () => new zookit.WorkerPoolClosedError('terminated'),
    'ERR_ZOOKIT_WORKER_POOL_CLOSED',
  ],
  ['SaslError', () => new zookit.SaslError('bad rspauth'), 'ERR_ZOOKIT_SASL'],
  [
    'WatchQueueOverflowError',
    () => new zookit.WatchQueueOverflowError(10),
    'ERR_ZOOKIT_WATCH_QUEUE_OVERFLOW',
  ],
  ['LockTimeoutError', () => new zookit.LockTimeoutError('late', '/lock', 1000), 'ERR_ZOOKIT_LOCK_TIMEOUT'],
  ['CancelledError', () => new zookit.CancelledError(), 'ERR_ZOOKIT_CANCELLED'],
  [
    'MaxLeasesMismatchError',
    () => new zookit.MaxLeasesMismatchError('/sem', 1, 2),
    'ERR_ZOOKIT_MAX_LEASES_MISMATCH',
  ],
  [
    'LeadershipLostError',
    () => new zookit.LeadershipLostError('/election', 'session lost'),
    'ERR_ZOOKIT_LEADERSHIP_LOST',
  ],
  [
    'IllegalMonitorStateError',
    () => new zookit.IllegalMonitorStateError('not held', '/lock'),
    'ERR_ZOOKIT_ILLEGAL_MONITOR_STATE',
  ],
  [
    'CounterOutcomeUnknownError',
    () => new zookit.CounterOutcomeUnknownError('/counter', 1),
    'ERR_ZOOKIT_COUNTER_OUTCOME_UNKNOWN',
  ],
  [
    'WriteOutcomeUnknownError',
    () => new zookit.WriteOutcomeUnknownError('/count', new Error('lost')),
    'ERR_ZOOKIT_WRITE_OUTCOME_UNKNOWN',
  ],
  [
    'InstanceFormatError',
    () => new zookit.InstanceFormatError('not a JSON object'),
    'ERR_ZOOKIT_INSTANCE_FORMAT',
  ],
  [
    'HarnessOperationUnsupportedError',
    () => new testing.HarnessOperationUnsupportedError('kill', 'external'),
    'ERR_ZOOKIT_HARNESS_UNSUPPORTED',
  ],
  [
    'KerberosUnavailableError',
    () => new zookit.KerberosUnavailableError(),
    'ERR_ZOOKIT_KERBEROS_UNAVAILABLE',
  ],
  ['GssapiError', () => new zookit.GssapiError('no credentials'), 'ERR_ZOOKIT_GSSAPI'],
  ['ServerStartError', () => new testing.ServerStartError('no java', false), 'ERR_ZOOKIT_SERVER_START'],
  ['KdcStartError', () => new testing.KdcStartError('no krb5kdc'), 'ERR_ZOOKIT_KDC_START'],
  [
    'PortUnavailableError',
    () => new testing.PortUnavailableError('port 2181 is in use', 2181),
    'ERR_ZOOKIT_PORT_UNAVAILABLE',
  ],
];

/** Every error class the three entries export, server errors (ZooKeeperError) aside. */
function exportedClientErrorClasses(): string[] {
  const names = new Set<string>();
  for (const entry of [zookit, protocol, testing] as Array<Record<string, unknown>>) {
    for (const [name, value] of Object.entries(entry)) {
      if (typeof value !== 'function' || !(value.prototype instanceof Error)) continue;
      if (value === zookit.ZooKeeperError || value.prototype instanceof zookit.ZooKeeperError) continue;
      names.add(name);
    }
  }
  return [...names].sort();
}

describe('client-side error codes', () => {
  it.each(CODES)('%s has the code in the table, and its name', (name, make, code) => {
    const error = make();
    expect((error as Error & { code: unknown }).code).toBe(code);
    expect(error.name).toBe(name);
    expect(error.constructor.name).toBe(name);
  });

  it('are unique and all in the ERR_ZOOKIT_ namespace', () => {
    const codes = CODES.map(([, , code]) => code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) expect(code).toMatch(/^ERR_ZOOKIT_[A-Z_]+$/);
  });

  it('cover every error class the package exports (a new class needs a code and a row here)', () => {
    expect(exportedClientErrorClasses()).toEqual(CODES.map(([name]) => name).sort());
  });

  it('are strings, while a server error keeps its numeric code and codeName', () => {
    const server = zookit.errorFromCode(-101, '/a');
    expect([server.code, server.codeName]).toEqual([-101, 'NONODE']);
    for (const [, make] of CODES) expect(typeof (make() as Error & { code: unknown }).code).toBe('string');
  });

  it('appear in JSON with the name and message', () => {
    expect(JSON.parse(JSON.stringify(new zookit.InvalidPathError('a', 'relative')))).toEqual({
      name: 'InvalidPathError',
      message: 'invalid path "a": relative',
      code: 'ERR_ZOOKIT_INVALID_PATH',
      argument: 'path',
      path: 'a',
    });
    expect(JSON.parse(JSON.stringify(zookit.errorFromCode(-101, '/a')))).toEqual({
      name: 'NoNodeError',
      message: 'NONODE (-101): /a',
      code: -101,
      codeName: 'NONODE',
      path: '/a',
    });
  });
});
