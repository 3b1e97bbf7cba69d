// Prints the JSON of one or more bench/ab.ts runs as a markdown table: `node
// .build/bench/ab-report.js run.json...`. On a busy machine the medians of A and B alone move with
// the load; the paired figures (B / A and × raw, taken within each round and then the median over
// the rounds) compare measurements made seconds apart, under the same load.

import { readFileSync } from 'node:fs';
import type { AbResult } from './ab-child.js';
import { median } from './measurement.js';

interface Run {
  workload: string;
  window: number;
  arm: 'raw' | 'A' | 'B';
  round: number;
  result: AbResult;
}

const fmt = (n: number, digits = 1): string =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : '–';

function main(): void {
  for (const file of process.argv.slice(2)) {
    const { pinning, results } = JSON.parse(readFileSync(file, 'utf8')) as {
      pinning: string;
      results: Run[];
    };
    const rounds = Math.max(...results.map((r) => r.round));
    console.log(`\n${file}: ${pinning}; ${rounds} rounds; medians over the rounds\n`);
    console.log(
      '| workload | window | CPU µs/op raw / A / B | B ÷ A (paired) | A × raw / B × raw (paired) | p50 µs raw / A / B | alloc B/op A / B | GCs A / B (minor+major) |',
    );
    console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    const cells = [...new Set(results.map((r) => `${r.workload} ${r.window}`))];
    for (const cell of cells) {
      const [workload, w] = cell.split(' ');
      const window = Number(w);
      const of = (arm: Run['arm']): Run[] =>
        results.filter((r) => r.workload === workload && r.window === window && r.arm === arm);
      const med = (arm: Run['arm'], key: keyof AbResult): number => median(of(arm).map((r) => r.result[key]));
      const paired = (num: Run['arm'], den: Run['arm']): number => {
        const byRound = new Map(of(den).map((r) => [r.round, r.result.cpuUsPerOp]));
        return median(
          of(num)
            .filter((r) => byRound.has(r.round))
            .map((r) => r.result.cpuUsPerOp / byRound.get(r.round)!),
        );
      };
      const gcs = (arm: Run['arm']): string =>
        `${fmt(med(arm, 'minorGcs'), 0)}+${fmt(med(arm, 'majorGcs'), 0)}`;
      console.log(
        `| ${workload} | ${fmt(window, 0)} | ${fmt(med('raw', 'cpuUsPerOp'))} / ${fmt(med('A', 'cpuUsPerOp'))} / ${fmt(med('B', 'cpuUsPerOp'))}` +
          ` | ${fmt(paired('B', 'A'), 2)} | ${fmt(paired('A', 'raw'), 2)} / ${fmt(paired('B', 'raw'), 2)}` +
          ` | ${fmt(med('raw', 'p50Us'), 0)} / ${fmt(med('A', 'p50Us'), 0)} / ${fmt(med('B', 'p50Us'), 0)}` +
          ` | ${fmt(med('A', 'allocBytesPerOp'), 0)} / ${fmt(med('B', 'allocBytesPerOp'), 0)} | ${gcs('A')} / ${gcs('B')} |`,
      );
    }
  }
}

main();
