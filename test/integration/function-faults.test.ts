import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { load } from 'js-yaml';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { runDigester } from '../support/run-digester.js';

// The whole function, as a process, in front of registries that misbehave:
// the output is always written, what resolved is kept, and the rest fails
// with a result saying why.

interface Output {
  items: Array<{ spec: { containers: Array<{ image: string }> } }>;
  results: Array<{ message: string; severity: string; field?: { path: string } }>;
}

describe('digester with faulty registries', () => {
  let registry: TestRegistry;
  let proxy: FaultProxy;
  let healthy: string;

  before(async () => {
    registry = await startRegistry({ mode: 'anonymous' });
    await registry.push('team/app', 'v1', 'oci-manifest');
    await registry.push('team/other', 'v2', 'docker-schema2');
    proxy = await startFaultProxy(registry.url);
    healthy = `${registry.host}/team/app:v1`;
  });

  after(async () => {
    await proxy?.close();
    await registry?.stop();
  });

  const resourceList = (images: readonly string[], config: string): string =>
    `apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
- apiVersion: v1
  kind: Pod
  metadata: {name: p}
  spec:
    containers:
${images.map((image, i) => `    - {name: c${i}, image: ${image}}`).join('\n')}
functionConfig:
  apiVersion: fn.digester.dev/v1alpha1
  kind: Digester
  metadata: {name: d}
${config}`;

  it('a stalled registry ends at the run deadline; images resolved elsewhere are kept', async () => {
    proxy.setRules([{ path: /\/manifests\//, action: { kind: 'stall' } }]);
    const stalled = `${proxy.host}/team/other:v2`;
    const run = await runDigester(resourceList([healthy, stalled], '  deadline: 1s\n  timeout: 30s\n'));
    assert.equal(run.code, 1, run.stderr);
    const output = load(run.stdout) as Output;
    assert.match(output.items[0]?.spec.containers[0]?.image ?? '', /^127\.0\.0\.1:\d+\/team\/app:v1@sha256:[0-9a-f]{64}$/);
    assert.equal(output.items[0]?.spec.containers[1]?.image, stalled);
    const error = output.results.find((result) => result.severity === 'error');
    assert.equal(error?.field?.path, 'spec.containers[1].image');
    assert.match(error?.message ?? '', /^could not resolve `127\.0\.0\.1:\d+\/team\/other:v2` \(127\.0\.0\.1:\d+\/team\/other\): timed out after 1s$/);
  });

  it('rides out 429 with Retry-After and 503, then pins', async () => {
    proxy.setRules([
      { method: 'HEAD', path: /\/manifests\//, times: 1, action: { kind: 'respond', status: 429, headers: { 'retry-after': '0' } } },
      { method: 'HEAD', path: /\/manifests\//, times: 1, action: { kind: 'respond', status: 503 } },
    ]);
    const run = await runDigester(resourceList([`${proxy.host}/team/other:v2`], ''));
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.equal(proxy.count('HEAD', /\/v2\/team\/other\/manifests\/v2$/) >= 3, true);
    assert.match(run.stdout, /team\/other:v2@sha256:[0-9a-f]{64}/);
  });

  it('a registry that keeps failing gives one clear error result and exit 1, never a stack trace', async () => {
    proxy.setRules([{ method: 'HEAD', path: /\/manifests\//, action: { kind: 'respond', status: 502 } }]);
    const run = await runDigester(resourceList([healthy, `${proxy.host}/team/other:v2`], ''));
    assert.equal(run.code, 1);
    const output = load(run.stdout) as Output;
    const errors = output.results.filter((result) => result.severity === 'error');
    assert.equal(errors.length, 1);
    assert.match(errors[0]?.message ?? '', /502/);
    assert.doesNotMatch(run.stderr, /\n\s+at /);
    assert.match(output.items[0]?.spec.containers[0]?.image ?? '', /@sha256:/);
  });

  it('a registry that is down costs one ping with its retries, not one per image', async () => {
    proxy.setRules([{ method: 'GET', path: /^\/v2\/$/, action: { kind: 'respond', status: 503 } }]);
    const before = proxy.count('GET', /^\/v2\/$/);
    const images = Array.from({ length: 30 }, (_, i) => `${proxy.host}/team/other:t${i}`);
    const run = await runDigester(resourceList(images, ''));
    assert.equal(run.code, 1);
    assert.equal(proxy.count('GET', /^\/v2\/$/) - before, 4, 'one ping, retried up to 4 attempts');
    assert.equal((load(run.stdout) as Output).results.filter((result) => result.severity === 'error').length, 30);
  });

  // Block-style containers: the pings leave before the list is parsed (src/krm/head-start.ts).
  const blockList = (images: readonly string[]): string =>
    resourceList([], '').replace('    containers:\n', `    containers:\n${images.map((image, i) => `    - name: c${i}\n      image: ${image}\n`).join('')}`);

  it('a ping sent before the parse is the run\'s only ping, and each image costs one HEAD', async () => {
    proxy.setRules([]);
    const pings = proxy.count('GET', /^\/v2\/$/);
    const heads = proxy.count('HEAD', /\/manifests\//);
    const run = await runDigester(blockList([`${proxy.host}/team/app:v1`, `${proxy.host}/team/other:v2`, `${proxy.host}/team/app:v1`]), { DEBUG: '1' });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /pinging 127\.0\.0\.1:\d+ while the list is parsed/);
    assert.match(run.stderr, /kept the pings sent to 127\.0\.0\.1:\d+ before the parse/);
    assert.equal(proxy.count('GET', /^\/v2\/$/) - pings, 1);
    assert.equal(proxy.count('HEAD', /\/manifests\//) - heads, 2);
    assert.equal(run.stdout.match(/@sha256:[0-9a-f]{64}/g)?.length, 3);
  });

  it('a registry that is down when pinged before the parse still costs one ping with its retries', async () => {
    proxy.setRules([{ method: 'GET', path: /^\/v2\/$/, action: { kind: 'respond', status: 503 } }]);
    const before = proxy.count('GET', /^\/v2\/$/);
    const run = await runDigester(blockList(Array.from({ length: 10 }, (_, i) => `${proxy.host}/team/other:t${i}`)), { DEBUG: '1' });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /while the list is parsed/);
    assert.equal(proxy.count('GET', /^\/v2\/$/) - before, 4, 'one ping, retried up to 4 attempts');
    assert.equal((load(run.stdout) as Output).results.filter((result) => result.severity === 'error').length, 10);
  });

  it('many images in flight share the deadline without listener warnings', async () => {
    proxy.setRules([]);
    const tags = Array.from({ length: 24 }, (_, i) => `w${i}`);
    await Promise.all(tags.map((tag) => registry.push('team/wide', tag, 'oci-manifest')));
    const run = await runDigester(resourceList(tags.map((tag) => `${registry.host}/team/wide:${tag}`), '  concurrency: 16\n'));
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '');
  });
});
