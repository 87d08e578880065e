import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DIGESTER_BIN, runCaptured } from '../support/run-digester.js';

// fn/stdout.ts, through the built function: blocking writes to descriptor 1, and the stream for what
// a non-blocking descriptor would not take. Every image is pinned already, so no registry.

const pod = (index: number): string => `- apiVersion: v1
  kind: Pod
  metadata:
    name: pod-${index} # café ☕, a multi-byte comment
  spec:
    containers:
    - name: app
      image: registry.example/app-${index % 7}@sha256:${String(index % 10).repeat(64)}
`;
// About 1.2 MB: more than a pipe or a socket pair holds while nobody reads it.
const PODS = 6_000;
const LIST = `apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n${Array.from({ length: PODS }, (_, i) => pod(i)).join('')}`;
const SUMMARY = `results:\n- message: resolved 0 image(s) (0 unique), skipped ${PODS} (${PODS} already pinned), failed 0\n  severity: info\n`;

/** perl (perl-base, on every Debian) sets O_NONBLOCK on the stdout it hands to node. */
const NON_BLOCKING = ['-MFcntl', '-e', 'fcntl(STDOUT, F_SETFL, fcntl(STDOUT, F_GETFL, 0) | O_NONBLOCK) or die "fcntl: $!"; exec @ARGV or die "exec: $!"'];

describe('writing stdout', () => {
  it('writes the whole ResourceList to a reader that starts late', async () => {
    const run = await runCaptured(process.execPath, [DIGESTER_BIN], { input: LIST, readDelayMs: 200 });
    assert.equal(run.stderr, '');
    assert.equal(run.code, 0);
    assert.equal(run.stdout, `${LIST}${SUMMARY}`);
  });

  it('hands the rest to the stream when a non-blocking stdout is full (EAGAIN)', async () => {
    const run = await runCaptured('perl', [...NON_BLOCKING, process.execPath, DIGESTER_BIN], { input: LIST, readDelayMs: 200 });
    assert.equal(run.stderr, '');
    assert.equal(run.code, 0);
    assert.equal(run.stdout, `${LIST}${SUMMARY}`);
  });
});
