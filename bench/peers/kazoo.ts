// kazoo in the watch figure: its driver is Python (kazoo_watches.py, next to this file in the
// repository), run through Debian's /usr/bin/python3 with python3-kazoo 2.8.0, pinned like every
// other measurement process. It answers with the same one line as a Node child.

import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ERROR_PREFIX, RESULT_PREFIX } from '../child-spec.js';
import type { WatchFigure, WatchKindName } from '../driver.js';
import { REPO_ROOT } from '../repo-root.js';

/** The interpreter kazoo is installed for (Debian's python3-kazoo). */
export const KAZOO_PYTHON = '/usr/bin/python3';

/** The table label of kazoo. */
export const KAZOO_LABEL = 'kazoo 2.8.0 (Python)';

/** The driver script; compiled code runs from .build/bench/peers, the script stays in bench/peers. */
const SCRIPT = join(REPO_ROOT, 'bench', 'peers', 'kazoo_watches.py');

/** Why kazoo cannot run here, or undefined when it can. */
export function kazooUnavailable(): string | undefined {
  const out = spawnSync(KAZOO_PYTHON, ['-c', 'import kazoo'], { encoding: 'utf8' });
  if (out.error !== undefined) return `${KAZOO_PYTHON} could not be started (${out.error.message})`;
  if (out.status !== 0) return `${KAZOO_PYTHON} cannot import kazoo (apt install python3-kazoo)`;
  return undefined;
}

/** What the kazoo driver is asked to do. */
export interface KazooWatchSpec {
  connectString: string;
  count: number;
  kind: WatchKindName;
  deadlineMs: number;
  /** Path of watch i is `${pathPrefix}${i}`. */
  pathPrefix: string;
  /** Idle before the held-memory figure, ms (driver.ts HOLD_IDLE_MS). */
  holdIdleMs: number;
  /** One sync every this many ms while idle (driver.ts IDLE_PROBE_MS). */
  idleProbeMs: number;
}

/**
 * Runs the kazoo watch figure in a Python process of its own (under `taskset -c cpus` when
 * given) and returns its figure, or the error it reported; killed after `timeoutMs`.
 */
export function runKazooWatches(
  spec: KazooWatchSpec,
  timeoutMs: number,
  cpus: string | undefined,
): Promise<{ ok: true; value: WatchFigure } | { ok: false; error: string }> {
  const argv = [SCRIPT, JSON.stringify(spec)];
  const [command, args] =
    cpus === undefined ? [KAZOO_PYTHON, argv] : ['taskset', ['-c', cpus, KAZOO_PYTHON, ...argv]];
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const lines = stdout.split('\n');
      const result = lines.find((l) => l.startsWith(RESULT_PREFIX));
      if (result !== undefined) {
        resolve({ ok: true, value: JSON.parse(result.slice(RESULT_PREFIX.length)) as WatchFigure });
        return;
      }
      const error = lines.find((l) => l.startsWith(ERROR_PREFIX))?.slice(ERROR_PREFIX.length);
      const tail = stderr.trim().split('\n').pop()?.slice(0, 300) ?? '';
      resolve({
        ok: false,
        error: error ?? `exited (${signal ?? `code ${code}`}) without a result${tail ? `: ${tail}` : ''}`,
      });
    });
  });
}
