// The whole of bench/RESULTS.md from a run's data: the main report (report.ts) with the parts
// measured beside it — the recipe workloads, many sessions — and, for a full run, the notes on
// where the time goes behind each goal not met (bench/profiles/README.md, written from the
// profiles in bench/profiles/ and the docs they cite). run.ts writes it at the end of a run;
// render.ts writes it again from the run's JSON, so the report's wording can change without a
// new run of the figures.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderRecipeSection } from './recipes/report.js';
import { REPO_ROOT } from './repo-root.js';
import { type RunReport, renderReport } from './report.js';
import { renderSessionsSection } from './sessions/sessions-report.js';

/** The hand-written notes on the profiles behind the goals a full run did not meet. */
const PROFILE_NOTES = join(REPO_ROOT, 'bench', 'profiles', 'README.md');

export function renderFullReport(report: RunReport): string {
  const recipes = report.recipes === undefined ? undefined : renderRecipeSection(report.recipes);
  const sessions = report.sessions === undefined ? undefined : renderSessionsSection(report.sessions);
  const full = !report.quick && !report.partial;
  const notes = full && existsSync(PROFILE_NOTES) ? readFileSync(PROFILE_NOTES, 'utf8').trim() : undefined;
  return renderReport(report, {
    targets: [
      ...(recipes?.goals ?? []),
      ...(sessions?.goals ?? []).map((g) => ({ target: g.goal, status: g.status, detail: g.numbers })),
    ],
    sections: [recipes?.markdown, sessions?.markdown, notes].filter((m) => m !== undefined),
  });
}
