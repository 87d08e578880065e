import type { DigestSource } from '../../src/resolve/index.js';
import type { ManifestTarget } from '../../src/registry/client.js';

/** A digest for a name, stable across runs, so golden files can hold it. */
export function fakeDigest(name: string): string {
  let hash = 0x811c9dc5;
  for (const char of name) hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193) >>> 0;
  return `sha256:${hash.toString(16).padStart(8, '0').repeat(8)}`;
}

/**
 * A digest source for KRM-layer tests: answers from a table keyed by
 * `registry/repository:reference`, and fails like a registry for the rest.
 * The registry itself is exercised by the integration tests.
 */
export class TableSource implements DigestSource {
  readonly requests: string[] = [];
  /**
   * The hints and calls, in order: `warm <registry>`, then `turn <registry>` when the event loop next
   * got to run; `plan` and `planned` when a plan is opened and closed; `expect <n>`; `resolve <key>`.
   */
  readonly hints: string[] = [];
  readonly #known: ReadonlySet<string>;

  constructor(known: Iterable<string>) {
    this.#known = new Set(known);
  }

  warm(registry: string): void {
    this.hints.push(`warm ${registry}`);
    // A registry client's connection needs the event loop: this records when it would have started.
    setImmediate(() => this.hints.push(`turn ${registry}`));
  }

  expect(targets: readonly ManifestTarget[]): void {
    this.hints.push(`expect ${targets.length}`);
  }

  plan(): () => void {
    this.hints.push('plan');
    return () => this.hints.push('planned');
  }

  async resolveDigest(target: ManifestTarget): Promise<string> {
    const key = `${target.registry}/${target.repository}:${target.reference}`;
    this.requests.push(key);
    this.hints.push(`resolve ${key}`);
    await new Promise((resolve) => setImmediate(resolve));
    if (!this.#known.has(key)) {
      throw Object.assign(new Error(`MANIFEST_UNKNOWN: manifest unknown (HEAD 404 from ${target.registry})`), {
        code: 'ERR_MANIFEST_UNKNOWN',
      });
    }
    return fakeDigest(key);
  }
}

/** A digest source that knows every image except those tagged `does-not-exist`. */
export class EverythingSource implements DigestSource {
  async resolveDigest(target: ManifestTarget): Promise<string> {
    const key = `${target.registry}/${target.repository}:${target.reference}`;
    if (target.reference === 'does-not-exist') {
      throw Object.assign(new Error(`MANIFEST_UNKNOWN: manifest unknown (HEAD 404 from ${target.registry})`), {
        code: 'ERR_MANIFEST_UNKNOWN',
      });
    }
    return fakeDigest(key);
  }
}
