// The top allocation sites of sampling heap profiles (`.heapprofile`, as bench/ab.ts writes with
// AB_HEAP=dir): `node .build/bench/heap-sites.js <file>... [--top N] [--ops N]` prints, per file, the share
// of sampled bytes by allocating function (self size, summed over every place it appears in the
// call tree), as a markdown table. Samples include objects the GC had already freed, so the shares
// are of everything allocated, not of what stayed alive. With `--ops` (the requests of the profiled
// interval), each site's sampled bytes per request too.

import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: ProfileNode[];
}

/** Self bytes by "function (file:line)", over the whole tree. */
export function sitesOf(root: ProfileNode): Map<string, number> {
  const sites = new Map<string, number>();
  const visit = (node: ProfileNode): void => {
    if (node.selfSize > 0) {
      const { functionName, url, lineNumber } = node.callFrame;
      const file =
        url === ''
          ? ''
          : ` (${url.replace(/^.*\/\.build\//, '').replace(/^node:/, 'node:')}:${lineNumber + 1})`;
      const key = `${functionName || '(anonymous)'}${file}`;
      sites.set(key, (sites.get(key) ?? 0) + node.selfSize);
    }
    for (const child of node.children) visit(child);
  };
  visit(root);
  return sites;
}

function main(): void {
  const args = process.argv.slice(2);
  const topAt = args.indexOf('--top');
  const top = topAt >= 0 ? Number(args.splice(topAt, 2)[1]) : 12;
  const opsAt = args.indexOf('--ops');
  const ops = opsAt >= 0 ? Number(args.splice(opsAt, 2)[1]) : undefined;
  for (const file of args) {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as { head: ProfileNode };
    const sites = [...sitesOf(profile.head).entries()].sort((a, b) => b[1] - a[1]);
    const total = sites.reduce((n, [, bytes]) => n + bytes, 0);
    console.log(`\n${basename(file)}: ${(total / 1e6).toFixed(1)} MB sampled\n`);
    const perOp = (bytes: number): string => (ops === undefined ? '' : ` ${Math.round(bytes / ops)} |`);
    console.log(`| share |${ops === undefined ? '' : ' B/op |'} allocation site |`);
    console.log(`| ----: |${ops === undefined ? '' : ' ---: |'} --------------- |`);
    for (const [site, bytes] of sites.slice(0, top))
      console.log(`| ${((100 * bytes) / total).toFixed(1)}% |${perOp(bytes)} \`${site}\` |`);
    if (ops !== undefined) console.log(`| 100% |${perOp(total)} all (${ops} requests) |`);
  }
}

if (require.main === module) main();
