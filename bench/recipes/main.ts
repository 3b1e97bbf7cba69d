// Standalone recipe benchmark: `npx tsc -p tsconfig.dev.json && node .build/bench/recipes/main.js`.
// Starts its own standalone server (pinned as bench/run.ts pins it), runs runRecipeBench and prints
// the section. Environment: RECIPES_ROUNDS (3), RECIPES_SECONDS (5), RECIPES_SMOKE=1,
// RECIPES_WORKLOADS / RECIPES_PEERS (comma lists), RECIPES_ZOOKIT_PROCESSES=each, RECIPES_JSON (a
// file for the raw figures), BENCH_PIN=0.

import { writeFileSync } from 'node:fs';
import { startTestingServer } from '../../testing/index.js';
import { pinProcess, planCpus } from '../cpu-pinning.js';
import type { RecipePeer, RecipeWorkload } from './contract.js';
import { renderRecipeSection } from './report.js';
import { runRecipeBench } from './run.js';

/** The server's JVM, as bench/run.ts starts it. */
const SERVER_JVM_FLAGS = ['-Xms512m', '-Xmx512m', '-XX:+UseG1GC'];

async function main(): Promise<void> {
  const env = process.env;
  const list = (name: string) =>
    env[name]
      ?.split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  const server = await startTestingServer({ jvmFlags: SERVER_JVM_FLAGS, logLevel: 'warn' });
  try {
    const cpus = planCpus(env);
    if ('server' in cpus) {
      pinProcess(server.pid!, cpus.server);
      pinProcess(process.pid, cpus.client);
    }
    const figures = await runRecipeBench({
      connectString: server.connectString,
      rounds: Number(env['RECIPES_ROUNDS'] ?? 3),
      seconds: Number(env['RECIPES_SECONDS'] ?? 5),
      smoke: env['RECIPES_SMOKE'] === '1',
      cpus,
      zookitProcesses: env['RECIPES_ZOOKIT_PROCESSES'] === 'each' ? 'each' : 'one',
      workloads: list('RECIPES_WORKLOADS') as RecipeWorkload[] | undefined,
      peers: list('RECIPES_PEERS') as RecipePeer[] | undefined,
      log: (line) => process.stderr.write(`${line}\n`),
    });
    if (env['RECIPES_JSON']) writeFileSync(env['RECIPES_JSON'], JSON.stringify(figures, null, 2));
    process.stdout.write(`${renderRecipeSection(figures).markdown}\n`);
  } finally {
    await server.close();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
