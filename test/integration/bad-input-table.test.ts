import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { load } from 'js-yaml';
import type { OutputResult } from '../support/function-run.js';
import { textBeforeResults } from '../support/odd-resource-list.js';
import { runDigester } from '../support/run-digester.js';

// Every bad input, run through the built binary, with the exact message a user reads. Input that is
// not a usable ResourceList: exit 2, one line on stderr, nothing on stdout. A bad functionConfig or
// a bad image: exit 1, the ResourceList written back unchanged with an error result, and the same
// message on stderr. No row needs a registry: each fails before any request is made.

const HEAD = 'apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n';
/** A Pod whose one image is `image` (YAML source text). */
const pod = (image: string): string =>
  `${HEAD}items:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: p}\n  spec:\n    containers:\n    - name: c\n      image: ${image}\n`;
/** Ten aliases of the previous anchor, `levels` deep: 10^levels nodes once expanded. */
const aliasBomb = (levels: number, indent: string): string =>
  Array.from({ length: levels }, (_, i) =>
    i === 0 ? `${indent}l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n` : `${indent}l${i}: &l${i} [${Array(10).fill(`*l${i - 1}`).join(', ')}]\n`,
  ).join('');
const nested = (depth: number): string => `${HEAD}items: []\ndeep: ${'['.repeat(depth)}${']'.repeat(depth)}\n`;
const typed = (...lines: string[]): string =>
  `${HEAD}functionConfig:\n  apiVersion: fn.digester.dev/v1alpha1\n  kind: Digester\n  metadata: {name: d}\n${lines.map((l) => `  ${l}\n`).join('')}`;
const configMap = (...lines: string[]): string =>
  `${HEAD}functionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: d}\n  data:\n${lines.map((l) => `    ${l}\n`).join('')}`;

/** A name, the input, the exact stderr message (a RegExp only for rows whose message src/ has yet to choose) and, for a known src/ bug, a todo. */
type UnusableRow = readonly [name: string, input: string, message: string | RegExp, todo?: string];
const MALFORMED = (line: number, reason: string): RegExp =>
  new RegExp(`^malformed YAML at line ${line}, column \\d+: ${reason.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);

const unusable: readonly UnusableRow[] = [
  ['empty stdin', '', 'empty input: expected a ResourceList on stdin'],
  ['only blank lines', '  \n\n', 'empty input: expected a ResourceList on stdin'],
  ['malformed YAML: a bad indentation', `${HEAD}items:\n- kind: Pod\n   metadata: x\n`, 'malformed YAML at line 5, column 12: bad indentation of a mapping entry'],
  ['malformed YAML: a tab in the indentation', `${HEAD}items:\n\t- a\n`, 'malformed YAML at line 4, column 1: tab characters must not be used in indentation'],
  ['malformed YAML: an unclosed flow sequence', `${HEAD}items: [\n`, 'malformed YAML at line 4, column 1: deficient indentation'],
  [
    'a multi-document stream',
    `${HEAD}items: []\n---\n${HEAD}items: []\n`,
    'expected one ResourceList document, found 2 YAML documents (a multi-document stream is not a ResourceList)',
  ],
  ['a list at the top level', '- a\n- b\n', 'expected a ResourceList mapping at the top level'],
  ['items is a mapping', `${HEAD}items: {a: 1}\n`, 'ResourceList.items must be a list of resources'],
  ['items is a string', `${HEAD}items: pods\n`, 'ResourceList.items must be a list of resources'],
  ['an item that is not a mapping', `${HEAD}items:\n- just a string\n`, 'ResourceList.items[0] must be a resource mapping'],
  ['kind List', 'apiVersion: v1\nkind: List\nitems: []\n', 'expected kind ResourceList, got "List"'],
  ['no kind', 'apiVersion: v1\nitems: []\n', 'expected kind ResourceList, got no kind'],
  [
    'a ResourceList of apiVersion v1',
    'apiVersion: v1\nkind: ResourceList\nitems: []\n',
    'unsupported ResourceList apiVersion "v1": expected config.kubernetes.io/v1 or config.kubernetes.io/v1alpha1',
  ],
  ['results that are not a list', `${HEAD}items: []\nresults: {a: 1}\n`, 'ResourceList.results must be a list'],
  [
    'an alias bomb (10^7 nodes)',
    `${HEAD}items: []\n${aliasBomb(7, '')}`,
    'YAML aliases expand to more than 1000000 extra nodes (a "billion laughs" document?); refusing the input',
  ],
  ['nesting 101 deep', nested(100), 'malformed YAML at line 4, column 106: nesting exceeded maxDepth (100)'],
  // YAML 1.2 §7.1: an alias to an anchor not yet defined is an error; kpt and kustomize (go-yaml) refuse the document.
  ['an alias to an undefined anchor, as an image', pod('*nowhere'), MALFORMED(10, 'unknown anchor "nowhere" referenced by an alias')],
  [
    'an alias to an undefined anchor, as a label',
    pod('nginx@sha256:' + 'a'.repeat(64)).replace('metadata: {name: p}', 'metadata: {name: p, labels: *nowhere}'),
    MALFORMED(6, 'unknown anchor "nowhere" referenced by an alias'),
  ],
  // go-yaml v3 (kpt, kustomize) refuses duplicate keys; digester reads the first `items` while other readers take the last.
  [
    'a duplicate items key',
    `${HEAD}items: []\nitems:\n- {apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: nginx}]}}\n`,
    'malformed YAML at line 4, column 1: duplicate mapping key "items"',
  ],
];

describe('bad input: not a usable ResourceList', () => {
  for (const [name, input, message, todo] of unusable) {
    it(`${name}: exit 2, "${String(message)}"`, todo === undefined ? {} : { todo }, async () => {
      const run = await runDigester(input);
      assert.equal(run.code, 2, run.stderr);
      assert.equal(run.stdout, '');
      assert.equal(run.stderr.split('\n').length, 2, 'one line on stderr');
      if (typeof message === 'string') assert.equal(run.stderr, `digester: ${message}\n`);
      else assert.match(run.stderr.replace(/^digester: |\n$/g, ''), message);
    });
  }

  it('nesting exactly 100 deep is accepted', async () => {
    const run = await runDigester(nested(99));
    assert.equal(run.code, 0, run.stderr);
  });
});

const badConfigs: ReadonlyArray<readonly [name: string, input: string, message: string]> = [
  ['an unknown Digester field', typed('skipPrefix: [gcr.io/]'), 'invalid Digester functionConfig: functionConfig: unknown field "skipPrefix"'],
  [
    'a Digester field of the wrong type',
    typed('concurrency: many'),
    'invalid Digester functionConfig: functionConfig.concurrency: invalid input: expected number, received string',
  ],
  [
    'skipPrefixes as a string',
    typed('skipPrefixes: gcr.io/'),
    'invalid Digester functionConfig: functionConfig.skipPrefixes: invalid input: expected array, received string',
  ],
  ['a bad duration', typed('timeout: 30 seconds'), 'functionConfig.timeout: invalid duration "30 seconds": use e.g. 30s, 2m or 1m30s'],
  ['a zero duration', typed('deadline: 0s'), 'functionConfig.deadline: invalid duration "0s": use e.g. 30s, 2m or 1m30s'],
  ['an ftp endpoint', typed('registries: [{host: a.test, endpoint: "ftp://a.test"}]'), 'invalid Digester functionConfig: functionConfig.registries[0].endpoint: invalid URL'],
  [
    'an endpoint with a path',
    typed('registries: [{host: a.test, endpoint: "https://a.test/v2"}]'),
    'invalid functionConfig.registries: invalid registry endpoint "https://a.test/v2": expected [http[s]://]host[:port] without path or credentials',
  ],
  ['a ConfigMap with an unknown key', configMap('skip-prefix: gcr.io/'), 'invalid ConfigMap functionConfig: functionConfig.data: unknown field "skip-prefix"'],
  ['a ConfigMap concurrency of 0', configMap('concurrency: "0"'), 'functionConfig.data.concurrency: must be between 1 and 256'],
  ['a ConfigMap concurrency that is not a number', configMap('concurrency: lots'), 'invalid ConfigMap functionConfig: functionConfig.data.concurrency: expected a whole number'],
  ['a ConfigMap timeout that is not a duration', configMap('timeout: soon'), 'functionConfig.data.timeout: invalid duration "soon": use e.g. 30s, 2m or 1m30s'],
  ['a functionConfig of kind Secret', `${HEAD}functionConfig:\n  apiVersion: v1\n  kind: Secret\n`, 'functionConfig: unsupported kind "Secret": use a ConfigMap or fn.digester.dev/v1alpha1 Digester'],
  [
    'an alias bomb inside the functionConfig (10^5 nodes)',
    `${HEAD}functionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n${aliasBomb(5, '  ')}`,
    'YAML expands to more than 100000 nodes through aliases; refusing to expand it',
  ],
];

describe('bad input: an invalid functionConfig', () => {
  for (const [name, config, message] of badConfigs) {
    it(`${name}: exit 1, "${message}", nothing pinned`, async () => {
      // Items go first so the config error is appended after the functionConfig, as kpt would see it.
      const input = config.replace(HEAD, `${HEAD}items:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: p}\n  spec: {containers: [{name: c, image: nginx:1.27}]}\n`);
      const run = await runDigester(input);
      assert.equal(run.code, 1, run.stderr);
      assert.equal(textBeforeResults(run.stdout), input);
      assert.deepEqual((load(run.stdout) as { results: OutputResult[] }).results, [{ message, severity: 'error' }]);
      assert.equal(run.stderr, `digester: ${message}\n`);
    });
  }
});

const badImages: ReadonlyArray<readonly [name: string, image: string, message: string]> = [
  ['an empty string', '""', 'invalid image reference "": empty reference'],
  ['a blank string', '" "', 'invalid image reference " ": contains whitespace'],
  ['a space before the tag', '"nginx :1.27"', 'invalid image reference "nginx :1.27": contains whitespace'],
  ['an uppercase repository', 'example.com/Team/app:v1', 'invalid image reference "example.com/Team/app:v1": repository name "Team/app" must be lowercase'],
  ['a short digest', '"nginx@sha256:abc"', 'invalid image reference "nginx@sha256:abc": sha256 digest must be 64 lowercase hex characters'],
  [
    'an image ID',
    `"${'0123456789abcdef'.repeat(4)}"`,
    `invalid image reference "${'0123456789abcdef'.repeat(4)}": a 64-character hexadecimal string is an image ID, not a repository name`,
  ],
  ['a tag of 129 characters', `nginx:${'t'.repeat(129)}`, `invalid image reference "nginx:${'t'.repeat(129)}": tag must not be longer than 128 characters`],
  ['a number', '1.5', 'image must be a string, got a number'],
  ['a boolean', 'true', 'image must be a string, got a boolean'],
  ['null', '~', 'image must be a string, got null'],
  ['a mapping', '{name: nginx}', 'image must be a string, got a mapping'],
  ['a list', '[nginx]', 'image must be a string, got a list'],
];

describe('bad input: an image that cannot be pinned', () => {
  const expectImageError = async (input: string, message: string): Promise<void> => {
    const run = await runDigester(input);
    assert.equal(run.code, 1, run.stderr);
    assert.equal(textBeforeResults(run.stdout), input);
    assert.deepEqual((load(run.stdout) as { results: OutputResult[] }).results, [
      { message, severity: 'error', resourceRef: { apiVersion: 'v1', kind: 'Pod', name: 'p' }, field: { path: 'spec.containers[0].image' } },
      { message: 'resolved 0 image(s) (0 unique), skipped 0, failed 1', severity: 'info' },
    ]);
    assert.equal(run.stderr, `digester: Pod/p spec.containers[0].image: ${message}\n`);
  };

  for (const [name, image, message] of badImages) {
    it(`${name}: exit 1, "${message}"`, () => expectImageError(pod(image), message));
  }

  it('an image anchor shared with a label: exit 1, refused', () =>
    expectImageError(
      pod('*img').replace('metadata: {name: p}', 'metadata: {name: p, labels: {image: &img nginx}}'),
      'image "nginx" is a YAML anchor or alias shared with a field that is not an image; refusing to pin it, because that field would change too',
    ),
  );
});
