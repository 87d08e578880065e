import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { unifiedDiff } from '../../fn/cli-diff.js';
import { formatProgress, ProgressLine } from '../../fn/cli-report.js';

// The CLI's own output: the --dry-run diff and the progress line.

const labels = { before: 'a/web.yaml', after: 'b/web.yaml' };
const lines = (count: number): string[] => Array.from({ length: count }, (_, index) => `line ${index + 1}`);
const text = (parts: readonly string[]): string => parts.map((line) => `${line}\n`).join('');

describe('unifiedDiff', () => {
  it('equal texts: no diff at all', () => {
    assert.equal(unifiedDiff('a\nb\n', 'a\nb\n', labels), '');
  });

  for (const [name, before, after, expected] of [
    [
      'one changed line with three lines of context',
      text(lines(10)),
      text(lines(10).map((line) => (line === 'line 5' ? 'line 5@sha256:1' : line))),
      '--- a/web.yaml\n+++ b/web.yaml\n@@ -2,7 +2,7 @@\n line 2\n line 3\n line 4\n-line 5\n+line 5@sha256:1\n line 6\n line 7\n line 8\n',
    ],
    [
      'changes six lines apart share a hunk; further apart they get their own',
      text(lines(20)),
      text(lines(20).map((line) => (['line 2', 'line 8', 'line 18'].includes(line) ? `${line}@d` : line))),
      '--- a/web.yaml\n+++ b/web.yaml\n@@ -1,11 +1,11 @@\n line 1\n-line 2\n+line 2@d\n line 3\n line 4\n line 5\n line 6\n line 7\n-line 8\n+line 8@d\n line 9\n line 10\n line 11\n' +
        '@@ -15,6 +15,6 @@\n line 15\n line 16\n line 17\n-line 18\n+line 18@d\n line 19\n line 20\n',
    ],
    [
      'adjacent changes form one -/+ run',
      'a\nb\nc\n',
      'a\nB\nC\n',
      '--- a/web.yaml\n+++ b/web.yaml\n@@ -1,3 +1,3 @@\n a\n-b\n-c\n+B\n+C\n',
    ],
    [
      'a one-line file is a one-line range',
      'image: x\n',
      'image: x@d\n',
      '--- a/web.yaml\n+++ b/web.yaml\n@@ -1 +1 @@\n-image: x\n+image: x@d\n',
    ],
    [
      'a last line without newline is marked',
      'a\nimage: x',
      'a\nimage: x@d',
      '--- a/web.yaml\n+++ b/web.yaml\n@@ -1,2 +1,2 @@\n a\n-image: x\n\\ No newline at end of file\n+image: x@d\n\\ No newline at end of file\n',
    ],
    [
      'CRLF line endings are kept in the diff lines',
      'a\r\nimage: x\r\n',
      'a\r\nimage: x@d\r\n',
      '--- a/web.yaml\n+++ b/web.yaml\n@@ -1,2 +1,2 @@\n a\r\n-image: x\r\n+image: x@d\r\n',
    ],
  ] as const) {
    it(name, () => {
      assert.equal(unifiedDiff(before, after, labels), expected);
    });
  }
});

describe('progress line', () => {
  const capture = (isTTY: boolean): { stream: { isTTY: boolean; write(text: string): boolean }; written: string[] } => {
    const written: string[] = [];
    return { stream: { isTTY, write: (chunk: string) => written.push(chunk) > 0 }, written };
  };

  for (const [name, progress, expected] of [
    ['registries still being asked', { done: 12, total: 150, registries: ['docker.io', 'ghcr.io'] }, 'resolving 12/150 (docker.io, ghcr.io)'],
    ['more than three registries', { done: 1, total: 9, registries: ['a.io', 'b.io', 'c.io', 'd.io', 'e.io'] }, 'resolving 1/9 (a.io, b.io, c.io, +2 more)'],
    ['all done', { done: 9, total: 9, registries: [] }, 'resolving 9/9'],
  ] as const) {
    it(`formats ${name}`, () => assert.equal(formatProgress(progress), expected));
  }

  it('redraws in place with \\r on a terminal and erases itself', () => {
    const { stream, written } = capture(true);
    const line = new ProgressLine(stream, true);
    line.update({ done: 0, total: 6, registries: ['docker.io'] });
    line.update({ done: 6, total: 6, registries: [] });
    line.clear();
    assert.deepEqual(written, ['\r\x1b[Kresolving 0/6 (docker.io)', '\r\x1b[Kresolving 6/6', '\r\x1b[K']);
  });

  for (const [name, isTTY, enabled, total] of [
    ['not a terminal (CI logs)', false, true, 100],
    ['five images or fewer', true, true, 5],
    ['--quiet', true, false, 100],
  ] as const) {
    it(`stays silent: ${name}`, () => {
      const { stream, written } = capture(isTTY);
      const line = new ProgressLine(stream, enabled);
      line.update({ done: 1, total, registries: ['docker.io'] });
      line.clear();
      assert.deepEqual(written, []);
    });
  }
});
