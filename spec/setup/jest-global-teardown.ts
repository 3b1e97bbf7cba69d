// jest.config.js globalTeardown. Loaded by jest outside the module mapper, so it imports only Node
// built-ins; the pid-file layout (`<pid>.pid`) matches process-registry.ts.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/**
 * SIGKILLs every server process (and kazoo driver, spec/peers/kazoo.ts) still listed in the run
 * directory (left by a worker that died or was killed) and removes the directory with any data
 * directories inside it.
 */
export default async function globalTeardown(): Promise<void> {
  const runDir = process.env['ZOOKIT_HARNESS_RUN_DIR'];
  if (!runDir) return;
  let names: string[] = [];
  try {
    names = readdirSync(runDir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.endsWith('.pid')) continue;
    const pid = Number.parseInt(readFileSync(join(runDir, name), 'utf8'), 10);
    if (Number.isInteger(pid) && pid > 0 && isHarnessProcess(pid)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Exited meanwhile.
      }
    }
  }
  rmSync(runDir, { recursive: true, force: true });
  delete process.env['ZOOKIT_HARNESS_RUN_DIR'];
}

/**
 * Guards against pid reuse: the pid must still run a ZooKeeper main class or the kazoo driver.
 * Where /proc does not exist (macOS), a live pid is trusted.
 */
function isHarnessProcess(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes('org.apache.zookeeper') || cmdline.includes('kazoo_driver.py');
  } catch {
    return process.platform !== 'linux';
  }
}
