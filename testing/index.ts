/**
 * The `zookit/testing` entry: real ZooKeeper servers and ensembles for tests, like kazoo.testing
 * and Curator's TestingServer/TestingCluster, plus the fault tools (kill, pause, server-side expiry).
 *
 * @module zookit/testing
 */

export { type ResolveBackendOptions, resolveBackend } from './backend.js';
export type { Backend, BackendKind, DockerBackend, ExternalBackend, LocalBackend } from './backend-kinds.js';
export {
  type ChaosEventWindow,
  ChaosTimeline,
  type ChaosTimelineOptions,
  formatEvent,
} from './chaos/event-log.js';
export type { InjectedFault, SkippedFault } from './chaos/fault-executor.js';
export {
  type ChaosClusterOptions,
  type ChaosReport,
  type ChaosViolationReport,
  DEFAULT_CHAOS_SESSION_TIMEOUT_MS,
  formatViolation,
  type RunChaosOptions,
  runChaos,
  type ScenarioReport,
  startChaosCluster,
} from './chaos/runner.js';
export type {
  ChaosClient,
  ChaosClientOptions,
  ChaosContext,
  ChaosEvent,
  ChaosEventLog,
  ChaosHandlerKind,
  ChaosScenario,
  ChaosViolation,
  ScenarioVerdict,
} from './chaos/scenario.js';
export {
  describeFault,
  drawSchedule,
  FAULT_KINDS,
  type FaultKind,
  type FaultTarget,
  type FaultTargetPool,
  type ScheduledFault,
  type ScheduleOptions,
} from './chaos/schedule.js';
export { SeededRandom } from './chaos/seeded-random.js';
export { expireSession, type SessionCredentials } from './expire-session.js';
export {
  FaultProxy,
  type FaultProxyOptions,
  type FaultProxyStats,
  type LostReply,
  type ProxyDirection,
} from './fault-proxy.js';
export {
  DEFAULT_TEST_REALM,
  jaasServerSection,
  KdcStartError,
  type KerberizedServer,
  startTestingKdc,
  TestingKdc,
  type TestingKdcOptions,
} from './kdc.js';
export { ServerStartError } from './local-server.js';
export { freePort, freePorts, PortUnavailableError } from './ports.js';
export { stopAllServers } from './process-registry.js';
export { parseConnectString, type RawReply, RawSession, type RawSessionOptions } from './raw-session.js';
export {
  DEFAULT_JVM_FLAGS,
  digestId,
  type SaslServerOptions,
  type ServerLogLevel,
  type ServerOptions,
  type StandaloneServerOptions,
  SUPER_DIGEST,
  SUPER_PASSWORD,
} from './server-config.js';
export {
  HarnessOperationUnsupportedError,
  type RestartOptions,
  type RestartWaitFor,
  type ServerHandle,
  type ServerMode,
} from './server-handle.js';
export {
  type ClusterWaitOptions,
  startTestingCluster,
  TestingCluster,
  type TestingClusterOptions,
} from './testing-cluster.js';
export { startTestingServer, TestingServer } from './testing-server.js';
export {
  type ClientAuth,
  type ClientCertificate,
  createTlsMaterial,
  issueClientCertificate,
  type JavaStore,
  type StoreType,
  serverSslConfig,
  type TlsMaterial,
} from './tls.js';
