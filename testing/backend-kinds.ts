// The kinds of backend a harness server can run on, as types only: every module that starts or
// describes a server names them, and backend.ts (which picks one) imports those modules, so the
// names live apart from it.

/** Where harness servers come from: an already running server, local JVMs, or Docker containers. */
export type BackendKind = 'external' | 'local' | 'docker';

/** A server the harness does not control, named by `ZK_CONNECT` (standalone use only). */
export interface ExternalBackend {
  readonly kind: 'external';
  /** The connect string exactly as given in `ZK_CONNECT`. */
  readonly connectString: string;
}

/** ZooKeeper run as child JVMs from a local install. */
export interface LocalBackend {
  readonly kind: 'local';
  /** The java executable: `$JAVA_HOME/bin/java`, else `java` found on PATH. */
  readonly java: string;
  /** Jar files (and directories) for `java -cp`, in order. */
  readonly classPath: readonly string[];
  /** Where the jars came from, for error messages. */
  readonly source: string;
}

/** ZooKeeper run in containers through testcontainers. */
export interface DockerBackend {
  readonly kind: 'docker';
  /** Image reference, `zookeeper:3.8.0` unless `ZOOKIT_ZK_IMAGE` says otherwise. */
  readonly image: string;
}

/** The backend chosen for one standalone server or one ensemble. */
export type Backend = ExternalBackend | LocalBackend | DockerBackend;
