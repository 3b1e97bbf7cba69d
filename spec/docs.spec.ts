// Comments cite the facts the code relies on by a file of docs/ and a heading in it
// (`docs/protocol.md#multi`). Every citation must lead somewhere: the file exists in this
// repository, and the heading too.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ROOMS = [
  'index.ts',
  'lib',
  'handlers',
  'protocol',
  'recipes',
  'testing',
  'cli',
  'spec',
  'examples',
  'bench',
];

function sourceFiles(path: string): string[] {
  if (statSync(path).isFile()) return path.endsWith('.ts') ? [path] : [];
  return readdirSync(path)
    .filter((name) => name !== 'node_modules')
    .flatMap((name) => sourceFiles(join(path, name)));
}

/** GitHub's anchor for a Markdown heading: lower case, punctuation dropped, spaces as dashes. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

function anchorsIn(doc: string): Set<string> {
  const text = readFileSync(doc, 'utf8');
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchorOf(m[1]!)));
}

describe('citations of docs/', () => {
  const citations = ROOMS.flatMap(sourceFiles).flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(/docs\/([\w-]+\.md)(?:#([\w-]+))?/g)].map((m) => ({
      file,
      doc: join('docs', m[1]!),
      anchor: m[2],
    })),
  );

  it('are there to check (the code cites each page of docs/)', () => {
    expect(new Set(citations.map((c) => c.doc))).toEqual(
      new Set(readdirSync('docs').map((name) => join('docs', name))),
    );
  });

  it('each name a file and a heading that exist', () => {
    const broken = citations.filter(({ doc, anchor }) => {
      try {
        return anchor !== undefined && !anchorsIn(doc).has(anchor);
      } catch {
        return true; // no such file
      }
    });
    expect(broken).toEqual([]);
  });

  it('never point at notes outside the repository', () => {
    const outside = ROOMS.flatMap(sourceFiles).filter((file) =>
      /\b(PROTOCOL|KAZOO|CURATOR|DESIGN|STYLE)\.md\b/.test(readFileSync(file, 'utf8')),
    );
    expect(outside).toEqual([]);
  });
});
