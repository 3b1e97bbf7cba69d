// Runs the real `zookit` binary, as a user's shell would: the built dist/cjs/cli/main.js (the
// package's `bin`) under plain node, in a process of its own. dist/ is built once by jest's global
// setup (spec/setup/jest-global-setup.ts lists these specs), never here: a build deletes dist/.
// Each test gets its own chroot on the shared server, so tests never see each other's nodes.

import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ZooKeeperClient } from '../../index.js';

export const BIN = join(__dirname, '..', '..', 'dist', 'cjs', 'cli', 'main.js');

/** What a run of the binary left. */
export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Written to stdin, then closed (default: stdin closed at once). */
  input?: string;
  env?: Record<string, string | undefined>;
  /** SIGKILL after this many ms (default 60 s). */
  timeoutMs?: number;
  /** Called with the child once it runs (to signal it). */
  onSpawn?: (child: import('node:child_process').ChildProcess) => void;
  /** Called with each chunk of stderr as it arrives. */
  onStderr?: (text: string) => void;
  onStdout?: (text: string) => void;
}

/** `zookit ...args` with plain node; ZK_HOSTS unset unless `env` sets it. */
export function zookit(args: readonly string[], options: RunOptions = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, ZK_HOSTS: undefined, ...options.env };
    for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      options.onStdout?.(chunk);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      options.onStderr?.(chunk);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
    options.onSpawn?.(child);
  });
}

let chroots = 0;

/**
 * A fresh chroot node on `connectString` (made with a library client) and the `--hosts` value
 * that points the binary at it.
 */
export async function freshChroot(connectString: string, name: string): Promise<string> {
  const chroot = `/cli-${name}-${process.pid}-${++chroots}`;
  const zk = new ZooKeeperClient({ hosts: connectString });
  await zk.start();
  try {
    await zk.create(chroot);
  } finally {
    await zk.close();
  }
  return `${connectString}${chroot}`;
}

/** A started client on `hosts` (a chroot included), for a test to set up or check nodes. */
export async function clientOn(hosts: string, authData?: Array<[string, string]>): Promise<ZooKeeperClient> {
  const zk = new ZooKeeperClient({ hosts, ...(authData ? { authData } : {}) });
  await zk.start();
  return zk;
}
