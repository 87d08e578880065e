// fn/main.ts runs the esbuild bundles with V8 code caches. These tests run copies of the built
// dist/fn whose caches are missing, made for another build, or corrupt: the function must work
// the same, and DEBUG=1 must say why the cache was not used.
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCaptured, type DigesterRun } from '../support/run-digester.js';

const BUILT = fileURLToPath(new URL('../../fn/', import.meta.url));
const PACKAGE_JSON = fileURLToPath(new URL('../../../package.json', import.meta.url));
const EMPTY_LIST = 'apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n';
const EMPTY_OUTPUT = `${EMPTY_LIST}results:\n- message: resolved 0 image(s) (0 unique), skipped 0, failed 0\n  severity: info\n`;
/** An image on a loopback port nothing listens on: registry.cjs loads, the connection is refused. */
const REFUSED_LIST = `apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
- apiVersion: v1
  kind: Pod
  metadata:
    name: web
  spec:
    containers:
    - name: app
      image: 127.0.0.1:1/team/app:v1
functionConfig:
  apiVersion: v1
  kind: ConfigMap
  metadata:
    name: digester
  data:
    deadline: 1s
`;

describe('main.js, the loader of the bundles and their code caches', () => {
  let root: string;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'digester-loader-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  /** A copy of the package as installed: package.json, and dist/fn's main.js, bundles and caches. */
  async function install(name: string): Promise<string> {
    const dir = join(root, name);
    await mkdir(join(dir, 'dist', 'fn'), { recursive: true });
    await copyFile(PACKAGE_JSON, join(dir, 'package.json'));
    for (const file of await readdir(BUILT)) {
      if (file === 'main.js' || /\.cjs(\.cache)?$/.test(file)) await copyFile(join(BUILT, file), join(dir, 'dist', 'fn', file));
    }
    return join(dir, 'dist', 'fn');
  }

  function run(fnDir: string, input: string): Promise<DigesterRun> {
    return runCaptured(process.execPath, [join(fnDir, 'main.js')], { input, env: { DEBUG: '1' } });
  }

  it('uses the caches the build wrote, saying nothing about them', async () => {
    const fnDir = await install('as-built');
    const empty = await run(fnDir, EMPTY_LIST);
    assert.equal(empty.code, 0, empty.stderr);
    assert.equal(empty.stdout, EMPTY_OUTPUT);
    const refused = await run(fnDir, REFUSED_LIST);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /Pod\/web spec\.containers\[0\]\.image: could not resolve `127\.0\.0\.1:1\/team\/app:v1`/);
    assert.doesNotMatch(`${empty.stderr}${refused.stderr}`, /code cache|cache rejected/);
    // Only once registry.cjs, and with it undici, is loaded (fn/main.ts keepWebAssemblyOnLiftoff).
    assert.doesNotMatch(empty.stderr, /Liftoff/);
    assert.match(refused.stderr, /^digester: WebAssembly \(undici's llhttp\) stays on Liftoff: no background tier-up$/m);
  });

  // src/registry/builtins.ts and fn/bundle.ts's lazy-http2 and lazy-assert: what a run needs only on
  // some paths (a reason phrase, hashing a manifest, a credential helper, CA files, HTTP/2, a failed
  // assertion) must not load.
  it('loads no built-in the run did not need: http2, tls, crypto, child_process, assert', async () => {
    const fnDir = await install('lean');
    const report = join(root, 'lean-builtins.cjs');
    await writeFile(report, "process.on('exit', () => process.stderr.write('builtins: ' + process.moduleLoadList.join(',') + '\\n'));\n");
    // Over plain http: on its own a loopback registry is tried with https first, which needs tls.
    const overHttp = REFUSED_LIST.replace(
      /functionConfig:[^]*$/,
      'functionConfig:\n  apiVersion: fn.digester.dev/v1alpha1\n  kind: Digester\n  metadata:\n    name: digester\n  deadline: 1s\n  registries:\n  - host: 127.0.0.1:1\n    endpoint: http://127.0.0.1:1\n',
    );
    const refused = await runCaptured(process.execPath, ['--require', report, join(fnDir, 'main.js')], { input: overHttp });
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /could not resolve `127\.0\.0\.1:1\/team\/app:v1`/);
    const loaded = (/^builtins: (.*)$/m.exec(refused.stderr)?.[1] ?? '').split(',');
    assert.ok(loaded.includes('NativeModule net'), 'registry.cjs was not loaded');
    for (const name of ['http2', 'tls', 'crypto', 'child_process', 'assert']) assert.ok(!loaded.includes(`NativeModule ${name}`), `${name} was loaded`);
  });

  it('runs without caches, and says each one is missing when its bundle loads', async () => {
    const fnDir = await install('no-cache');
    await rm(join(fnDir, 'digester.cjs.cache'));
    await rm(join(fnDir, 'registry.cjs.cache'));
    const empty = await run(fnDir, EMPTY_LIST);
    assert.equal(empty.stdout, EMPTY_OUTPUT);
    assert.match(empty.stderr, /^digester: no code cache: .*digester\.cjs\.cache/m);
    assert.doesNotMatch(empty.stderr, /registry\.cjs\.cache/, 'an empty list must not load the registry client');
    const refused = await run(fnDir, REFUSED_LIST);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^digester: no code cache: .*registry\.cjs\.cache/m);
  });

  it('ignores a cache made for another build of the bundle', async () => {
    const fnDir = await install('other-build');
    const bundle = join(fnDir, 'digester.cjs');
    // A rebuild changes the build id on the bundle's last line (fn/bundle.ts).
    const source = await readFile(bundle, 'latin1');
    await writeFile(bundle, source.replace(/[0-9a-f]{64}\n$/, `${'0'.repeat(64)}\n`), 'latin1');
    const empty = await run(fnDir, EMPTY_LIST);
    assert.equal(empty.stdout, EMPTY_OUTPUT);
    assert.match(empty.stderr, /^digester: code cache .*digester\.cjs\.cache ignored: it was made for another build$/m);
  });

  it('compiles as usual when V8 rejects a corrupt cache', async () => {
    const fnDir = await install('corrupt');
    const cache = join(fnDir, 'digester.cjs.cache');
    const data = await readFile(cache);
    // Keep the build id line, garble V8's part.
    const idEnd = data.indexOf(0x0a) + 1;
    data.fill(0x5a, idEnd + 16, idEnd + 64);
    await writeFile(cache, data);
    const empty = await run(fnDir, EMPTY_LIST);
    assert.equal(empty.code, 0, empty.stderr);
    assert.equal(empty.stdout, EMPTY_OUTPUT);
    assert.match(empty.stderr, /^digester: digester\.cjs\.cache rejected by V8/m);
  });

  it('without its bundle, exits 3 with one line that says how to make it', async () => {
    const fnDir = await install('no-bundle');
    await rm(join(fnDir, 'digester.cjs'));
    const result = await run(fnDir, EMPTY_LIST);
    assert.equal(result.code, 3);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /^digester: internal error: cannot load digester\.cjs: ENOENT[^\n]*\(npm run build makes it\)\n$/);
  });
});
