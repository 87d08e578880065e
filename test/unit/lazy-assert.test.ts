// fn/lazy-assert.ts: what undici's require('node:assert') gets in the registry bundle.
import assert from 'node:assert/strict';
import { AssertionError } from 'node:assert';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { LAZY_ASSERT_SOURCE } from '../../fn/lazy-assert.js';

/** Runs the shim as CommonJS, with a require that records what it loads. */
function loadShim(): { readonly shim: ((value: unknown, message?: string) => void) & Record<string, unknown>; readonly required: string[] } {
  const required: string[] = [];
  const real = createRequire(import.meta.url);
  const module = { exports: {} as unknown };
  const require = (id: string): unknown => {
    required.push(id);
    return real(id);
  };
  new Function('require', 'module', 'exports', LAZY_ASSERT_SOURCE)(require, module, module.exports);
  return { shim: module.exports as never, required };
}

describe('the lazy node:assert undici gets in the registry bundle', () => {
  it('checks a condition that holds without loading node:assert', () => {
    const { shim, required } = loadShim();
    shim(true);
    shim(1, 'a message');
    assert.equal(typeof shim, 'function');
    assert.deepEqual(required, []);
  });

  it('throws node’s own AssertionError when the condition fails', () => {
    const { shim, required } = loadShim();
    assert.throws(() => shim(false, 'the socket must be open'), (error: unknown) => error instanceof AssertionError && error.message === 'the socket must be open');
    assert.throws(() => shim(0), AssertionError);
    assert.deepEqual(required, ['node:assert']);
  });

  it('serves any other member from the real module', () => {
    const { shim, required } = loadShim();
    assert.throws(() => (shim['strictEqual'] as (a: unknown, b: unknown) => void)(1, 2), AssertionError);
    assert.equal(shim['AssertionError'], AssertionError);
    assert.deepEqual(required, ['node:assert']);
  });
});
