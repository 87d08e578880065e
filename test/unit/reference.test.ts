import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatReference, parseReference, pinReference } from '../../src/reference/index.js';

const H64 = 'f'.repeat(64);
const D256 = `sha256:${H64}`;
const D384 = `sha384:${'a'.repeat(96)}`;
const D512 = `sha512:${'b'.repeat(128)}`;

// Cases from distribution/reference's reference_test.go and normalize_test.go,
// plus the kubelet's digest algorithms.
const valid: ReadonlyArray<readonly [string, { registry: string; repository: string; tag?: string; digest?: string }]> = [
  ['busybox', { registry: 'docker.io', repository: 'library/busybox' }],
  ['test_com', { registry: 'docker.io', repository: 'library/test_com' }],
  ['test.com:tag', { registry: 'docker.io', repository: 'library/test.com', tag: 'tag' }],
  ['test.com:5000', { registry: 'docker.io', repository: 'library/test.com', tag: '5000' }],
  ['test.com/repo:tag', { registry: 'test.com', repository: 'repo', tag: 'tag' }],
  ['test:5000/repo', { registry: 'test:5000', repository: 'repo' }],
  ['test:5000/repo:tag', { registry: 'test:5000', repository: 'repo', tag: 'tag' }],
  [`test:5000/repo@${D256}`, { registry: 'test:5000', repository: 'repo', digest: D256 }],
  [`test:5000/repo:tag@${D256}`, { registry: 'test:5000', repository: 'repo', tag: 'tag', digest: D256 }],
  ['lowercase:Uppercase', { registry: 'docker.io', repository: 'library/lowercase', tag: 'Uppercase' }],
  ['sub-dom1.foo.com/bar/baz/quux', { registry: 'sub-dom1.foo.com', repository: 'bar/baz/quux' }],
  ['sub-dom1.foo.com/bar/baz/quux:some-long-tag', { registry: 'sub-dom1.foo.com', repository: 'bar/baz/quux', tag: 'some-long-tag' }],
  ['b.gcr.io/test.example.com/my-app:test.example.com', { registry: 'b.gcr.io', repository: 'test.example.com/my-app', tag: 'test.example.com' }],
  ['xn--n3h.com/myimage:xn--n3h.com', { registry: 'xn--n3h.com', repository: 'myimage', tag: 'xn--n3h.com' }],
  [`xn--7o8h.com/myimage:xn--7o8h.com@${D512}`, { registry: 'xn--7o8h.com', repository: 'myimage', tag: 'xn--7o8h.com', digest: D512 }],
  ['foo_bar.com:8080', { registry: 'docker.io', repository: 'library/foo_bar.com', tag: '8080' }],
  ['foo/foo_bar.com:8080', { registry: 'docker.io', repository: 'foo/foo_bar.com', tag: '8080' }],
  ['192.168.1.1', { registry: 'docker.io', repository: 'library/192.168.1.1' }],
  ['192.168.1.1:5000', { registry: 'docker.io', repository: 'library/192.168.1.1', tag: '5000' }],
  ['192.168.1.1/repo', { registry: '192.168.1.1', repository: 'repo' }],
  ['192.168.1.1:5000/repo', { registry: '192.168.1.1:5000', repository: 'repo' }],
  ['[2001:db8::1]/repo', { registry: '[2001:db8::1]', repository: 'repo' }],
  ['[2001:db8::1]:5000/repo', { registry: '[2001:db8::1]:5000', repository: 'repo' }],
  ['[2001:db8::1]:5000/repo:tag', { registry: '[2001:db8::1]:5000', repository: 'repo', tag: 'tag' }],
  [`[2001:db8::1]:5000/repo@${D256}`, { registry: '[2001:db8::1]:5000', repository: 'repo', digest: D256 }],
  ['[2001:db8::]:5000/repo', { registry: '[2001:db8::]:5000', repository: 'repo' }],
  ['[::1]:5000/repo', { registry: '[::1]:5000', repository: 'repo' }],
  ['localhost/repo', { registry: 'localhost', repository: 'repo' }],
  ['localhost:5000/repo:v1', { registry: 'localhost:5000', repository: 'repo', tag: 'v1' }],
  ['Uppercase/lowercase:tag', { registry: 'Uppercase', repository: 'lowercase', tag: 'tag' }],
  ['docker.io/busybox', { registry: 'docker.io', repository: 'library/busybox' }],
  ['index.docker.io/busybox:1.36', { registry: 'docker.io', repository: 'library/busybox', tag: '1.36' }],
  ['docker.io/library/nginx:1.27', { registry: 'docker.io', repository: 'library/nginx', tag: '1.27' }],
  ['bitnami/redis:7', { registry: 'docker.io', repository: 'bitnami/redis', tag: '7' }],
  ['registry.k8s.io/pause:3.10', { registry: 'registry.k8s.io', repository: 'pause', tag: '3.10' }],
  ['ghcr.io/a__b/c---d/e.f_g:latest', { registry: 'ghcr.io', repository: 'a__b/c---d/e.f_g', tag: 'latest' }],
  [`repo@${D384}`, { registry: 'docker.io', repository: 'library/repo', digest: D384 }],
  [`repo:${'t'.repeat(128)}`, { registry: 'docker.io', repository: 'library/repo', tag: 't'.repeat(128) }],
  ['a:_x', { registry: 'docker.io', repository: 'library/a', tag: '_x' }],
];

const invalid: ReadonlyArray<readonly [string, RegExp]> = [
  ['', /empty reference/],
  [':justtag', /expected \[registry\/\]repository/],
  [`@${D256}`, /digest|expected/],
  ['repo@sha256:ffffff', /sha256 digest must be 64/],
  [`validname@invaliddigest:${H64}`, /unsupported digest algorithm "invaliddigest"/],
  [`repo@sha256:${'F'.repeat(64)}`, /lowercase hex/],
  [`repo@sha256:${'f'.repeat(65)}`, /sha256 digest must be 64/],
  [`repo@sha512:${H64}`, /sha512 digest must be 128/],
  ['Uppercase:tag', /repository name "library\/Uppercase" must be lowercase/],
  ['test:5000/Uppercase/lowercase:tag', /must be lowercase/],
  ['docker.io/Library/nginx', /must be lowercase/],
  ['aa/asdf$$^/aa', /expected/],
  ['[fe80::1%eth0]:5000/repo', /expected/],
  ['[2001:db8::1]', /expected/],
  ['1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a', /image ID/],
  [`repo:${'t'.repeat(129)}`, /tag must not be longer than 128/],
  ['repo:-tag', /tag "-tag" must match/],
  ['foo:bar:baz', /tag "bar:baz"|expected/],
  ['-foo/bar', /expected/],
  ['foo/-bar', /expected/],
  ['a//b', /expected/],
  ['a/', /expected/],
  ['nginx 1.27', /whitespace/],
  [' nginx', /whitespace/],
  ['nginx\n', /whitespace/],
  [`${'a/'.repeat(127)}ab`, /name must not be longer than 255/],
];

describe('parseReference', () => {
  for (const [input, expected] of valid) {
    it(`parses ${JSON.stringify(input)}`, () => {
      assert.deepEqual(parseReference(input), expected);
    });
  }
  for (const [input, message] of invalid) {
    it(`rejects ${JSON.stringify(input)}`, () => {
      assert.throws(() => parseReference(input), (error: unknown) => {
        assert.equal((error as { code?: unknown }).code, 'ERR_INVALID_REFERENCE');
        assert.match((error as Error).message, message);
        assert.doesNotMatch((error as Error).message, /\n/);
        return true;
      });
    });
  }
  it('rejects non-strings with ERR_INVALID_REFERENCE', () => {
    assert.throws(() => parseReference(42 as unknown as string), { code: 'ERR_INVALID_REFERENCE' });
  });
});

describe('formatReference', () => {
  for (const [input, expected] of valid) {
    const canonical = formatReference(expected);
    it(`round-trips ${canonical}`, () => assert.equal(formatReference(parseReference(canonical)), canonical));
  }
});

describe('pinReference', () => {
  it('keeps the spelling the user wrote', () => {
    assert.equal(pinReference('nginx:1.27', D256), `nginx:1.27@${D256}`);
    assert.equal(pinReference('localhost:5000/app', D256), `localhost:5000/app@${D256}`);
  });
});
