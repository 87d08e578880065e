import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nonBlocking, pinnedList } from '../support/pinned-list.js';
import { DIGESTER_BIN, runCaptured } from '../support/run-digester.js';

// fn/stdin.ts, through the built function: blocking reads of descriptor 0, and the stream for what
// a non-blocking descriptor has not delivered yet. Every image is pinned already, so no registry.

// About 600 KB: more than one read of a pipe (64 KB) or of digester's buffer (256 KB).
const { list: LIST, summary: SUMMARY } = pinnedList(3_000);

/** `text` as UTF-8 in `count` pieces, each cut inside a multi-byte character when one is near. */
function pieces(text: string, count: number): Buffer[] {
  const bytes = Buffer.from(text, 'utf8');
  const cuts = Array.from({ length: count - 1 }, (_, i) => {
    const near = Math.floor(((i + 1) * bytes.length) / count);
    const coffee = bytes.indexOf('☕', near);
    return coffee === -1 ? near : coffee + 1;
  });
  return [0, ...cuts].map((start, i) => bytes.subarray(start, cuts[i] ?? bytes.length));
}

describe('reading stdin', () => {
  it('takes a ResourceList that arrives in pieces, with pauses, whole', async () => {
    const run = await runCaptured(process.execPath, [DIGESTER_BIN], { input: pieces(LIST, 4), pauseMs: 50 });
    assert.equal(run.stderr, '');
    assert.equal(run.code, 0);
    assert.equal(run.stdout, `${LIST}${SUMMARY}`);
  });

  it('appends what a non-blocking stdin delivers after EAGAIN to what it had read', async () => {
    const run = await runCaptured('perl', [...nonBlocking('STDIN'), process.execPath, DIGESTER_BIN], { input: pieces(LIST, 3), pauseMs: 100 });
    assert.equal(run.stderr, '');
    assert.equal(run.code, 0);
    assert.equal(run.stdout, `${LIST}${SUMMARY}`);
  });

  it('keeps a byte order mark, as it keeps every other byte', async () => {
    const run = await runCaptured(process.execPath, [DIGESTER_BIN], { input: `\uFEFF${LIST}` });
    assert.equal(run.code, 0);
    assert.equal(run.stdout, `\uFEFF${LIST}${SUMMARY}`);
  });
});
