import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  isLinkLocalHost,
  isLoopbackHost,
  parseEndpointUrl,
  resolveEndpoint,
  resolveEndpoints,
  validateMapping,
  type RegistryMapping,
} from '../../src/registry/endpoint.js';

describe('resolveEndpoint', () => {
  const table: ReadonlyArray<readonly [string, string, readonly RegistryMapping[], { host: string; schemes: string[]; insecure: boolean }]> = [
    ['docker hub', 'docker.io', [], { host: 'registry-1.docker.io', schemes: ['https'], insecure: false }],
    ['docker hub by index name', 'index.docker.io', [], { host: 'registry-1.docker.io', schemes: ['https'], insecure: false }],
    ['docker hub by api name', 'registry-1.docker.io', [], { host: 'registry-1.docker.io', schemes: ['https'], insecure: false }],
    ['a public registry', 'ghcr.io', [], { host: 'ghcr.io', schemes: ['https'], insecure: false }],
    ['loopback ip with port', '127.0.0.1:5000', [], { host: '127.0.0.1:5000', schemes: ['https', 'http'], insecure: true }],
    ['localhost', 'localhost:5000', [], { host: 'localhost:5000', schemes: ['https', 'http'], insecure: true }],
    ['ipv6 loopback', '[::1]:5000', [], { host: '[::1]:5000', schemes: ['https', 'http'], insecure: true }],
    ['insecure mapping without endpoint', 'reg.internal:5000', [{ host: 'reg.internal:5000', insecure: true }], { host: 'reg.internal:5000', schemes: ['https', 'http'], insecure: true }],
    ['mirror for docker hub', 'docker.io', [{ host: 'docker.io', endpoint: 'https://mirror.example.com' }], { host: 'mirror.example.com', schemes: ['https'], insecure: false }],
    ['mirror keyed by an alias', 'docker.io', [{ host: 'index.docker.io', endpoint: 'mirror.example.com:5000' }], { host: 'mirror.example.com:5000', schemes: ['https'], insecure: false }],
    ['explicit http endpoint wins', 'quay.io', [{ host: 'quay.io', endpoint: 'http://airgap.local:5000' }], { host: 'airgap.local:5000', schemes: ['http'], insecure: true }],
    ['explicit https to loopback does not fall back', 'local', [{ host: 'local', endpoint: 'https://127.0.0.1:5443' }], { host: '127.0.0.1:5443', schemes: ['https'], insecure: true }],
    ['mapping host is case-insensitive', 'GHCR.io', [{ host: 'ghcr.io', endpoint: 'https://ghcr-mirror' }], { host: 'ghcr-mirror', schemes: ['https'], insecure: false }],
    ['other hosts are not mapped', 'gcr.io', [{ host: 'ghcr.io', endpoint: 'https://ghcr-mirror' }], { host: 'gcr.io', schemes: ['https'], insecure: false }],
  ];
  for (const [name, registry, mappings, expected] of table) {
    it(`maps ${name}: ${registry}`, () => {
      const endpoint = resolveEndpoint(registry, mappings);
      assert.deepEqual({ host: endpoint.host, schemes: [...endpoint.schemes], insecure: endpoint.insecure }, expected);
      assert.equal(endpoint.registry, registry);
    });
  }
});

describe('isLoopbackHost', () => {
  const table: ReadonlyArray<readonly [string, boolean]> = [
    ['localhost', true],
    ['localhost:5000', true],
    ['LOCALHOST:5000', true],
    ['127.0.0.1', true],
    ['127.0.0.2', true],
    ['127.255.255.254:80', true],
    ['[::1]:5000', true],
    ['[::1]', true],
    ['[0:0:0:0:0:0:0:1]:5000', true],
    ['::1', true],
    ['127.example.com', false],
    ['127.0.0.1.nip.io:5000', false],
    ['localhost.example.com', false],
    ['128.0.0.1', false],
    ['[::2]:5000', false],
    ['10.0.0.1:5000', false],
    ['docker.io', false],
  ];
  for (const [host, loopback] of table) {
    it(`${host} is ${loopback ? '' : 'not '}loopback`, () => {
      assert.equal(isLoopbackHost(host), loopback);
    });
  }
});

describe('parseEndpointUrl', () => {
  const good: ReadonlyArray<readonly [string, { scheme?: string; host: string }]> = [
    ['https://mirror.example.com', { scheme: 'https', host: 'mirror.example.com' }],
    ['https://mirror.example.com/', { scheme: 'https', host: 'mirror.example.com' }],
    ['http://10.0.0.5:5000', { scheme: 'http', host: '10.0.0.5:5000' }],
    ['mirror.example.com:5000', { host: 'mirror.example.com:5000' }],
    ['http://[::1]:5000', { scheme: 'http', host: '[::1]:5000' }],
  ];
  for (const [input, expected] of good) {
    it(`accepts ${input}`, () => assert.deepEqual(parseEndpointUrl(input), expected));
  }
  const bad: ReadonlyArray<readonly [string, RegExp]> = [
    ['https://mirror.example.com/v2/', /without path/],
    ['ftp://mirror.example.com', /scheme must be http or https/],
    ['https://user:pw@mirror.example.com', /without path or credentials/],
    ['https://', /expected \[http\[s\]:\/\/\]host\[:port\]/],
  ];
  for (const [input, message] of bad) {
    it(`rejects ${input}`, () => assert.throws(() => parseEndpointUrl(input), message));
  }
});

describe('resolveEndpoints', () => {
  it('keeps the order of endpoints, each with its own scheme', () => {
    const mappings: RegistryMapping[] = [{ host: 'docker.io', endpoints: ['http://mirror.lan:5000', 'https://mirror.example.com', 'registry-1.docker.io'] }];
    const endpoints = resolveEndpoints('docker.io', mappings);
    assert.deepEqual(
      endpoints.map((e) => ({ host: e.host, schemes: [...e.schemes], insecure: e.insecure })),
      [
        { host: 'mirror.lan:5000', schemes: ['http'], insecure: true },
        { host: 'mirror.example.com', schemes: ['https'], insecure: false },
        { host: 'registry-1.docker.io', schemes: ['https'], insecure: false },
      ],
    );
  });

  it('is the host itself without a mapping', () => {
    assert.deepEqual(resolveEndpoints('ghcr.io').map((e) => e.host), ['ghcr.io']);
  });

  it('carries caFile to every endpoint and skips verification only when mapped insecure', () => {
    const [secure] = resolveEndpoints('reg.lan', [{ host: 'reg.lan', caFile: '/ca.pem' }]);
    assert.equal(secure?.caFile, '/ca.pem');
    assert.equal(secure?.skipTlsVerify, undefined);
    const [insecure] = resolveEndpoints('reg.lan', [{ host: 'reg.lan', insecure: true }]);
    assert.equal(insecure?.skipTlsVerify, true);
    // Loopback may fall back to http, but its certificates are still checked.
    assert.equal(resolveEndpoint('127.0.0.1:5000').skipTlsVerify, undefined);
  });
});

describe('validateMapping', () => {
  const bad: ReadonlyArray<readonly [string, RegistryMapping, RegExp]> = [
    ['endpoint and endpoints', { host: 'a.test', endpoint: 'https://m', endpoints: ['https://n'] }, /set endpoint or endpoints, not both/],
    ['an empty endpoints list', { host: 'a.test', endpoints: [] }, /endpoints is empty/],
    ['a bad endpoint in the list', { host: 'a.test', endpoints: ['https://m', 'ftp://n'] }, /scheme must be http or https/],
    ['an empty caFile', { host: 'a.test', caFile: ' ' }, /caFile is empty/],
  ];
  for (const [name, mapping, message] of bad) {
    it(`rejects ${name}`, () => assert.throws(() => validateMapping(mapping), message));
  }
  it('accepts a mirror list with a CA', () => validateMapping({ host: 'a.test', endpoints: ['https://m', 'http://n:5000'], caFile: '/ca.pem', insecure: true }));
});

describe('isLinkLocalHost', () => {
  const table: ReadonlyArray<readonly [string, boolean]> = [
    ['169.254.169.254', true],
    ['169.254.169.254:80', true],
    ['169.254.0.1', true],
    ['[fe80::1]', true],
    ['[fe80::1]:8080', true],
    ['[febf::1]', true],
    ['[::ffff:169.254.169.254]', true],
    ['169.255.0.1', false],
    ['10.0.0.1', false],
    ['[fec0::1]', false],
    ['[fe8::1]', false],
    ['[::1]', false],
    ['metadata.example', false],
  ];
  for (const [host, expected] of table) {
    it(`${host} is ${expected ? '' : 'not '}link-local`, () => assert.equal(isLinkLocalHost(host), expected));
  }
});
