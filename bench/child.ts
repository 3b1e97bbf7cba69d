// One measurement in a process of its own, so the CPU time and resident memory it reports are the
// client's alone. run.ts forks it with a JSON spec as its only argument; it prints one line,
// `BENCH-RESULT <json>` or `BENCH-ERROR <message>`, and exits.

import { type ChildSpec, ERROR_PREFIX, RESULT_PREFIX } from './child-spec.js';
import { createClient, type WatchingClient } from './clients/client.js';
import { type RawConnection, rawClose, rawConnect, runRaw } from './clients/raw.js';
import { connectTimes, drive, issuerFor, watchFigure } from './driver.js';

/** The raw session as something to connect and close, for the time-to-connect figure. */
class RawConnector {
  private connection: RawConnection | undefined;

  async connect(connectString: string): Promise<void> {
    this.connection = await rawConnect(connectString);
  }

  async close(): Promise<void> {
    if (this.connection !== undefined) await rawClose(this.connection);
  }
}

/** How long a child waits for its client to close before it exits anyway, ms. */
const CLOSE_GRACE_MS = 3000;

async function main(): Promise<void> {
  // Forked with an IPC channel: if run.ts dies, the channel closes and so do we.
  process.on('disconnect', () => process.exit(3));
  const spec = JSON.parse(process.argv[2] ?? '') as ChildSpec;
  let client: WatchingClient | undefined;
  try {
    let result: unknown;
    switch (spec.mode) {
      case 'measure':
        if (spec.client === 'raw') {
          result = await runRaw(spec.connectString, spec.workload, spec.window, spec);
        } else {
          client = await createClient(spec.client);
          await client.connect(spec.connectString);
          result = await drive(issuerFor(client, spec.workload, `c${process.pid}`), spec.window, spec);
        }
        break;
      case 'connect': {
        const name = spec.client;
        // Loaded once before the clock: module loading is not part of connecting.
        if (name !== 'raw') await createClient(name);
        const create = name === 'raw' ? async () => new RawConnector() : () => createClient(name);
        result = { connectMs: await connectTimes(create, spec.connectString, spec.count) };
        break;
      }
      case 'watches':
        client = await createClient(spec.client);
        // The memory figures go out before the cut as well: a client that then hangs (the native
        // one can, for minutes) still has them reported. run.ts keeps the last result line.
        result = await watchFigure(client, spec.connectString, spec.count, spec.deadlineMs, spec.kind, (f) =>
          process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(f)}\n`),
        );
        break;
    }
    process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
  } catch (error) {
    process.stdout.write(`${ERROR_PREFIX}${(error as Error)?.message ?? String(error)}\n`);
    process.exitCode = 1;
  }
  const closing = client?.close();
  await Promise.race([closing, new Promise((resolve) => setTimeout(resolve, CLOSE_GRACE_MS))]).catch(
    () => {},
  );
  process.exit();
}

void main();
