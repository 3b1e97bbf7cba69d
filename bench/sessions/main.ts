// The many-sessions benchmark on its own: `node .build/bench/sessions/main.js` after
// `npx tsc -p tsconfig.dev.json`. Options: --clients N (1000), --idle S (20), --handlers
// sequential,worker-shared, --session-timeout MS (10000), --smoke (20 clients, 2 s idle), --out FILE (also write the section
// there). Prints the markdown section and exits 1 if a handler failed to run (never for a goal).

import { writeFileSync } from 'node:fs';
import type { SessionsHandler } from './figures.js';
import { runSessionsBench } from './sessions-bench.js';
import { renderSessionsSection } from './sessions-report.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? undefined : process.argv[i + 1];
}

async function main(): Promise<void> {
  const smoke = process.argv.includes('--smoke');
  const figures = await runSessionsBench({
    clients: Number(arg('clients') ?? (smoke ? 20 : 1000)),
    idleSeconds: Number(arg('idle') ?? (smoke ? 2 : 20)),
    handlers: (arg('handlers') ?? 'sequential,worker-shared').split(',') as SessionsHandler[],
    smoke,
    sessionTimeoutMs: arg('session-timeout') === undefined ? undefined : Number(arg('session-timeout')),
  });
  const { markdown } = renderSessionsSection(figures);
  process.stdout.write(`\n${markdown}`);
  const out = arg('out');
  if (out !== undefined) writeFileSync(out, markdown);
  console.log(`\nBENCH-SESSIONS-JSON ${JSON.stringify(figures)}`);
  process.exitCode = figures.failures.length > 0 ? 1 : 0;
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 2;
});
