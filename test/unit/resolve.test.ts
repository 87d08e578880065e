import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseReference } from '../../src/reference/index.js';
import type { ManifestTarget } from '../../src/registry/client.js';
import { planImage, resolveAll, type DigestSource, type ResolveTask } from '../../src/resolve/index.js';

const task = (image: string): ResolveTask => ({ key: image, image, reference: parseReference(image) });

/** Answers `fast:*` tags at once and never answers `stall:*` ones unless aborted. */
class StallingSource implements DigestSource {
  readonly expected: ManifestTarget[] = [];
  inFlight = 0;
  maxInFlight = 0;
  aborted = 0;

  expect(targets: readonly ManifestTarget[]): void {
    this.expected.push(...targets);
  }

  async resolveDigest(target: ManifestTarget, options: { signal?: AbortSignal } = {}): Promise<string> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (target.reference.startsWith('fast')) {
        await new Promise((resolve) => setImmediate(resolve));
        return `sha256:${'a'.repeat(64)}`;
      }
      return await new Promise<string>((_, reject) => {
        options.signal?.addEventListener('abort', () => {
          this.aborted++;
          reject(new Error('aborted'));
        });
      });
    } finally {
      this.inFlight--;
    }
  }
}

describe('resolveAll', () => {
  it('announces every target first, and stays within the concurrency limit', async () => {
    const source = new StallingSource();
    const tasks = Array.from({ length: 20 }, (_, i) => task(`repo${i}:fast`));
    const results = await resolveAll(tasks, source, { concurrency: 3 });
    assert.equal(source.expected.length, 20);
    assert.equal(source.maxInFlight, 3);
    assert.equal([...results.values()].filter((result) => result.ok).length, 20);
  });

  it('keeps what resolved before the deadline and times out the rest', async () => {
    const source = new StallingSource();
    const tasks = [task('a:fast'), task('b:stall'), task('c:stall'), task('d:fast')];
    const results = await resolveAll(tasks, source, { concurrency: 2, deadlineMs: 200 });
    assert.equal(results.get('a:fast')?.ok, true);
    const timedOut = ['b:stall', 'c:stall'].map((key) => results.get(key));
    for (const result of timedOut) {
      assert.equal(result?.ok, false);
      if (result?.ok === false) assert.match(result.error.message, /^could not resolve `[bc]:stall` \(docker\.io\/library\/[bc]\): timed out after 0\.2s$/);
    }
    assert.equal(source.aborted, 2, 'in-flight requests are told to stop');
  });

  it('waits for a registry that is not ready (ping, token) without holding a slot', async () => {
    let release = (): void => undefined;
    const slowReady = new Promise<void>((resolve) => (release = resolve));
    const resolved: string[] = [];
    const source: DigestSource = {
      prepare: (target) => (target.registry === 'slow.example' ? slowReady : Promise.resolve()),
      async resolveDigest(target) {
        await new Promise((resolve) => setImmediate(resolve));
        resolved.push(target.repository);
        if (resolved.length === 4) release();
        return `sha256:${'b'.repeat(64)}`;
      },
    };
    const images = ['slow.example/a:1', 'slow.example/b:1', 'ready.example/c:1', 'ready.example/d:1', 'ready.example/e:1', 'ready.example/f:1'];
    const results = await resolveAll(images.map(task), source, { concurrency: 2 });
    assert.equal([...results.values()].filter((result) => result.ok).length, 6);
    assert.deepEqual(resolved, ['c', 'd', 'e', 'f', 'a', 'b']);
  });

  it('lets hundreds of targets wait for one registry without a listener each on the deadline', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => void warnings.push(`${warning.name}: ${warning.message}`);
    process.on('warning', onWarning);
    let release = (): void => undefined;
    const ready = new Promise<void>((resolve) => (release = resolve));
    const source: DigestSource = {
      // As the registry client's prepare does with a caller's signal: listen while waiting.
      prepare(_target: ManifestTarget, options?: { signal?: AbortSignal }) {
        const stop = (): void => undefined;
        options?.signal?.addEventListener('abort', stop);
        return ready.finally(() => options?.signal?.removeEventListener('abort', stop));
      },
      resolveDigest: async () => `sha256:${'c'.repeat(64)}`,
    };
    try {
      const pending = resolveAll(Array.from({ length: 300 }, (_, i) => task(`repo${i}:1`)), source, { concurrency: 16, deadlineMs: 60_000 });
      await new Promise((resolve) => setImmediate(resolve));
      release();
      const results = await pending;
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on a later tick
      assert.equal([...results.values()].filter((result) => result.ok).length, 300);
      assert.deepEqual(warnings, []);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('times out targets whose registry never gets ready', async () => {
    const source: DigestSource = {
      prepare: () => new Promise<void>(() => undefined),
      resolveDigest: () => Promise.reject(new Error('not reached: the deadline passes while preparing')),
    };
    const results = await resolveAll([task('a:1'), task('b:1')], source, { concurrency: 1, deadlineMs: 100 });
    for (const result of results.values()) {
      assert.equal(result.ok, false);
      if (!result.ok) assert.match(result.error.message, /: timed out after 0\.1s$/);
    }
  });

  it('still resolves a target whose preparation failed, so the failure is reported', async () => {
    const source: DigestSource = {
      prepare: () => Promise.reject(new Error('prepare must not reject, but if it does the resolve decides')),
      resolveDigest: () => Promise.reject(Object.assign(new Error('UNAUTHORIZED: authentication required (GET 401 from x)'), { code: 'ERR_REGISTRY_AUTH' })),
    };
    const result = (await resolveAll([task('nginx:1')], source, { concurrency: 1 })).get('nginx:1');
    assert.equal(result?.ok, false);
    if (result?.ok === false) assert.equal(result.error.code, 'ERR_REGISTRY_AUTH');
  });

  it('wraps a registry failure with the image and the normalized name', async () => {
    const failing: DigestSource = {
      resolveDigest: () => Promise.reject(Object.assign(new Error('MANIFEST_UNKNOWN: manifest unknown (HEAD 404 from x)'), { code: 'ERR_MANIFEST_UNKNOWN' })),
    };
    const result = (await resolveAll([task('nginx:9')], failing, { concurrency: 1 })).get('nginx:9');
    assert.equal(result?.ok, false);
    if (result?.ok === false) {
      assert.equal(result.error.message, 'could not resolve `nginx:9` (docker.io/library/nginx): MANIFEST_UNKNOWN: manifest unknown (HEAD 404 from x)');
      assert.equal(result.error.code, 'ERR_MANIFEST_UNKNOWN');
    }
  });
});

describe('planImage', () => {
  const digest = `sha256:${'b'.repeat(64)}`;
  const cases: ReadonlyArray<readonly [string, readonly string[], string]> = [
    ['nginx', [], 'resolve docker.io/library/nginx:latest'],
    ['docker.io/library/nginx:1.27', [], 'resolve docker.io/library/nginx:1.27'],
    ['nginx:1.27', [], 'resolve docker.io/library/nginx:1.27'],
    [`nginx:1.27@${digest}`, [], 'keep-pinned'],
    [`nginx@${digest}`, [], 'keep-pinned'],
    ['gcr.io/internal/app:1', ['gcr.io/internal/'], 'skip'],
    ['nginx:1.27', ['docker.io/'], 'skip'],
    ['nginx:1.27', ['ngin'], 'skip'],
    ['Nginx', [], 'invalid'],
  ];
  for (const [image, prefixes, expected] of cases) {
    it(`${image} with [${prefixes.join(', ')}] → ${expected}`, () => {
      const plan = planImage(image, prefixes);
      assert.equal(plan.action === 'resolve' ? `resolve ${plan.key}` : plan.action, expected);
    });
  }
});
