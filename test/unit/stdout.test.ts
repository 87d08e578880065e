import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nonBlocking, pinnedList } from '../support/pinned-list.js';
import { DIGESTER_BIN, runCaptured } from '../support/run-digester.js';

// fn/stdout.ts, through the built function: blocking writes to descriptor 1, and the stream for what
// a non-blocking descriptor would not take. Every image is pinned already, so no registry.

// About 1.2 MB: more than a pipe or a socket pair holds while nobody reads it.
const { list: LIST, summary: SUMMARY } = pinnedList(6_000);

describe('writing stdout', () => {
  it('writes the whole ResourceList to a reader that starts late', async () => {
    const run = await runCaptured(process.execPath, [DIGESTER_BIN], { input: LIST, readDelayMs: 200 });
    assert.equal(run.stderr, '');
    assert.equal(run.code, 0);
    assert.equal(run.stdout, `${LIST}${SUMMARY}`);
  });

  it('hands the rest to the stream when a non-blocking stdout is full (EAGAIN)', async () => {
    const run = await runCaptured('perl', [...nonBlocking('STDOUT'), process.execPath, DIGESTER_BIN], { input: LIST, readDelayMs: 200 });
    assert.equal(run.stderr, '');
    assert.equal(run.code, 0);
    assert.equal(run.stdout, `${LIST}${SUMMARY}`);
  });
});
