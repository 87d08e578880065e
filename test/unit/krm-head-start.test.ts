import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findContainerImages, readFunctionConfig, registriesToResolve } from '../../src/krm/head-start.js';

const HEAD = 'apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- kind: Pod\n  metadata: {name: p}\n';
const CONFIG = { apiVersion: 'v1', kind: 'ConfigMap', data: { 'skip-prefixes': 'gcr.io/' } };

describe('readFunctionConfig reads the functionConfig from its own lines', () => {
  const cases: ReadonlyArray<readonly [string, string, unknown]> = [
    ['no functionConfig at all', HEAD, null],
    ['a block mapping at the end', `${HEAD}functionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  data:\n    skip-prefixes: gcr.io/\n`, CONFIG],
    [
      'followed by results, with comments at column 0 inside and CRLF endings',
      `${HEAD}functionConfig:\r\n  apiVersion: v1\r\n# a note\r\n  kind: ConfigMap\r\n  data: {skip-prefixes: gcr.io/}\r\nresults: [{message: x}]\r\n`,
      CONFIG,
    ],
    ['before the items', `functionConfig: {apiVersion: v1, kind: ConfigMap, data: {skip-prefixes: gcr.io/}}\n${HEAD}`, CONFIG],
    ['an explicit null', `${HEAD}functionConfig: null\n`, null],
  ];
  for (const [name, text, expected] of cases) {
    it(name, () => assert.deepEqual(readFunctionConfig(text), expected));
  }

  // Undefined: the text alone cannot tell, and the run waits for the parse.
  const unclear: ReadonlyArray<readonly [string, string]> = [
    ['JSON', JSON.stringify({ kind: 'ResourceList', items: [], functionConfig: CONFIG })],
    ['named twice', `${HEAD}  annotations: {note: functionConfig}\nfunctionConfig: {kind: ConfigMap}\n`],
    ['not a top-level key', `${HEAD}  functionConfig: {kind: ConfigMap}\n`],
    ['an alias to an anchor in the items', `${HEAD}  labels: &cfg {kind: ConfigMap}\nfunctionConfig: *cfg\n`],
    ['lines that do not parse alone', `${HEAD}functionConfig: {kind: ConfigMap,\n`],
  ];
  for (const [name, text] of unclear) {
    it(`cannot tell: ${name}`, () => assert.equal(readFunctionConfig(text), undefined));
  }
});

describe('findContainerImages finds the images of container list items', () => {
  const cases: ReadonlyArray<readonly [string, string, readonly string[]]> = [
    [
      'containers, initContainers and ephemeralContainers, each image once',
      '    containers:\n    - name: a\n      image: nginx:1.27\n    - image: nginx:1.27\n    initContainers:\n    - image: busybox\n    ephemeralContainers:\n      - name: debug\n        image: "ghcr.io/acme/tools:1" # quoted\n',
      ['nginx:1.27', 'busybox', 'ghcr.io/acme/tools:1'],
    ],
    [
      'fields, comments and blank lines between the list key and the image',
      "        containers:\n        # the app\n        - name: app\n          args:\n          - --port=80\n\n          env: [{name: A, value: b}]\n          image: 'registry.example.com:5000/team/app:v2'\n",
      ['registry.example.com:5000/team/app:v2'],
    ],
    ['not pinned images only', '  containers:\n  - image: nginx@sha256:0000\n  - image: nginx:1.27@sha256:0000\n', []],
    ['a Kptfile pipeline is not a container list', 'pipeline:\n  mutators:\n    - image: gcr.io/kpt-fn/set-labels:v0.1\n', []],
    ['an image key of another mapping', 'spec:\n  image: quay.io/x/y:1\n  containers: []\n', []],
    ['flow style is left to the parse', '  containers: [{name: a, image: nginx:1.27}]\n', []],
  ];
  for (const [name, text, expected] of cases) {
    it(name, () => assert.deepEqual(findContainerImages(text), expected));
  }
});

describe('registriesToResolve', () => {
  it('keeps the order, drops skipped and invalid images, and stops at eight registries', () => {
    const images = ['nginx:1.27', 'Bad:Image', 'gcr.io/internal/x:1', 'ghcr.io/a/b:1', 'library/redis', ...Array.from({ length: 10 }, (_, i) => `r${i}.example.com/x:1`)];
    assert.deepEqual(registriesToResolve(images, ['gcr.io/internal/']), ['docker.io', 'ghcr.io', ...Array.from({ length: 6 }, (_, i) => `r${i}.example.com`)]);
  });
});
