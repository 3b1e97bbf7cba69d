import { type FourLetterWordOptions, fourLetterWord } from '../index.js';
import { serverMode } from './readiness.js';
import { HarnessOperationUnsupportedError, type ServerHandle, type ServerMode } from './server-handle.js';

/**
 * A server named by ZK_CONNECT that the harness only talks to: process operations throw
 * HarnessOperationUnsupportedError, four-letter words go to the first host of the connect string.
 */
export class ExternalServer implements ServerHandle {
  readonly backend = 'external' as const;
  readonly host: string;
  readonly port: number;
  /** The connect string as given, including every host and any chroot. */
  readonly connectString: string;
  readonly id = 1;
  readonly pid = undefined;
  readonly dataDir = undefined;
  readonly logFile = undefined;

  constructor(connectString: string) {
    this.connectString = connectString;
    const first = connectString.split('/')[0]!.split(',')[0]!.trim();
    // host:port, [v6]:port, or a bare host meaning the default client port 2181.
    const match = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d+))?$/.exec(first);
    if (!match) throw new Error(`ZK_CONNECT=${JSON.stringify(connectString)} does not start with host:port`);
    this.host = match[1] ?? match[2]!;
    this.port = match[3] === undefined ? 2181 : Number(match[3]);
  }

  /** Always true: the harness cannot know, and does not control, the external server's process. */
  get running(): boolean {
    return true;
  }

  async kill(): Promise<void> {
    throw new HarnessOperationUnsupportedError('kill', this.backend);
  }

  async stop(): Promise<void> {
    throw new HarnessOperationUnsupportedError('stop', this.backend);
  }

  async restart(): Promise<void> {
    throw new HarnessOperationUnsupportedError('restart', this.backend);
  }

  async pause(): Promise<void> {
    throw new HarnessOperationUnsupportedError('pause', this.backend);
  }

  async resume(): Promise<void> {
    throw new HarnessOperationUnsupportedError('resume', this.backend);
  }

  fourLetterWord(command: string, options?: FourLetterWordOptions): Promise<string> {
    return fourLetterWord(this.host, this.port, command, options);
  }

  mode(options?: FourLetterWordOptions): Promise<ServerMode | undefined> {
    return serverMode(this.host, this.port, options);
  }
}
