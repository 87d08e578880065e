import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { shareSource, type Progress } from '../../fn/cli-source.js';
import type { DigestSource } from '../../src/resolve/index.js';
import { fakeDigest } from '../support/fake-source.js';

/** A source that records calls and answers each resolve after a turn of the event loop. */
function recordingSource(): DigestSource & { readonly calls: string[]; peak: number } {
  let inFlight = 0;
  const source = {
    calls: [] as string[],
    peak: 0,
    warm: (registry: string) => void source.calls.push(`warm ${registry}`),
    prepare: async (target: { registry: string; repository: string }) => void source.calls.push(`prepare ${target.registry}/${target.repository}`),
    async resolveDigest(target: { registry: string; repository: string; reference: string }) {
      const key = `${target.registry}/${target.repository}:${target.reference}`;
      source.calls.push(`resolve ${key}`);
      source.peak = Math.max(source.peak, ++inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight--;
      return fakeDigest(key);
    },
  };
  return source;
}

const target = (repository: string) => ({ registry: 'registry.test', repository, reference: 'v1' });

describe('shareSource (the CLI run over many files)', () => {
  it('passes warm() through, so the registry is pinged while the files are scanned', () => {
    const inner = recordingSource();
    shareSource(inner, 4).warm?.('registry.test');
    assert.deepEqual(inner.calls, ['warm registry.test']);
  });

  // resolveAll waits for prepare() (the registry's ping and token) before taking a slot; without it
  // here, resolves waiting for one registry's token would hold the run's slots from the others.
  it('passes prepare() through, outside the concurrency limit', async () => {
    const inner = recordingSource();
    const shared = shareSource(inner, 1);
    await Promise.all([shared.prepare?.(target('a')), shared.prepare?.(target('b'))]);
    assert.deepEqual(inner.calls, ['prepare registry.test/a', 'prepare registry.test/b']);
  });

  it('resolves each target once and keeps to the concurrency across callers', async () => {
    const inner = recordingSource();
    const progress: Progress[] = [];
    const shared = shareSource(inner, 3, (state) => progress.push(state));
    const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    const first = names.map((name) => shared.resolveDigest(target(name)));
    const again = names.map((name) => shared.resolveDigest(target(name)));
    const digests = await Promise.all([...first, ...again]);
    assert.deepEqual(digests, [...names, ...names].map((name) => fakeDigest(`registry.test/${name}:v1`)));
    assert.equal(inner.calls.length, names.length);
    assert.equal(inner.peak, 3);
    assert.deepEqual(progress.at(-1), { done: 8, total: 8, registries: [] });
  });
});
