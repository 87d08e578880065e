import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { installPlugin, PluginExistsError, pluginPath, pluginRoots, wrapperScript } from '../../fn/kustomize-plugin-install.js';
import { DIGESTER_BIN, runDigester } from '../support/run-digester.js';

// The installer writes where kustomize looks (KUSTOMIZE_PLUGIN_HOME, XDG_CONFIG_HOME, HOME/.config,
// HOME, first existing wins); the plugin reads a Digester config file and a YAML stream. These tests
// need no registry: resolving against one is test/e2e/kubectl-kustomize.test.ts.

const PLUGIN = join('fn.digester.dev', 'v1alpha1', 'digester', 'Digester');
const run = promisify(execFile);

let scratch = '';
before(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'digester-plugin-unit-'));
});
after(async () => {
  if (scratch !== '') await rm(scratch, { recursive: true, force: true });
});

/** A fresh directory inside the scratch dir. */
let dirs = 0;
async function freshDir(name: string): Promise<string> {
  const dir = join(scratch, `${name}-${(dirs += 1)}`);
  await mkdir(dir, { recursive: true });
  return dir;
}

describe('kustomize plugin paths', () => {
  const home = '/home/ada';
  for (const [name, env, first] of [
    ['XDG_CONFIG_HOME unset: $HOME/.config', {}, '/home/ada/.config/kustomize/plugin'],
    ['XDG_CONFIG_HOME empty: $HOME/.config', { XDG_CONFIG_HOME: '' }, '/home/ada/.config/kustomize/plugin'],
    ['XDG_CONFIG_HOME set', { XDG_CONFIG_HOME: '/etc/xdg' }, '/etc/xdg/kustomize/plugin'],
    ['KUSTOMIZE_PLUGIN_HOME before XDG_CONFIG_HOME', { KUSTOMIZE_PLUGIN_HOME: '/opt/plugins', XDG_CONFIG_HOME: '/etc/xdg' }, '/opt/plugins'],
    ['KUSTOMIZE_PLUGIN_HOME empty is unset', { KUSTOMIZE_PLUGIN_HOME: '', XDG_CONFIG_HOME: '/etc/xdg' }, '/etc/xdg/kustomize/plugin'],
  ] as const) {
    it(`${name}: ${first}`, () => {
      const roots = pluginRoots(env, home).map((root) => root.dir);
      assert.equal(roots[0], first);
      // kustomize falls back to these two, in this order, when nothing earlier exists.
      assert.deepEqual(roots.slice(-2), ['/home/ada/.config/kustomize/plugin', '/home/ada/kustomize/plugin']);
    });
  }

  it('the executable is <root>/<apiVersion>/<lowercase kind>/<kind>', () => {
    assert.equal(pluginPath('/root/p'), '/root/p/fn.digester.dev/v1alpha1/digester/Digester');
  });
});

describe('kustomize plugin wrapper', () => {
  it('runs node with main.js kustomize-plugin and passes every argument on', () => {
    assert.equal(
      wrapperScript('/usr/bin/node', '/opt/digester/dist/fn/main.js').split('\n')[2],
      'exec "/usr/bin/node" "/opt/digester/dist/fn/main.js" kustomize-plugin "$@"',
    );
  });

  for (const entry of ['/opt/my tools/main.js', '/opt/$HOME/main.js', '/opt/`id`/main.js', '/opt/"q"/main.js', '/opt/back\\slash/main.js', "/opt/it's/main.js"]) {
    it(`quotes ${JSON.stringify(entry)} so sh passes it on unchanged`, async () => {
      // /bin/echo stands in for node: it prints the arguments the wrapper passed it.
      const script = join(await freshDir('wrapper'), 'Digester');
      await writeFile(script, wrapperScript('/bin/echo', entry), { mode: 0o755 });
      const { stdout } = await run(script, ['/tmp/kust-plugin-config-1', 'two words']);
      assert.equal(stdout, `${entry} kustomize-plugin /tmp/kust-plugin-config-1 two words\n`);
    });
  }
});

describe('digester install-kustomize-plugin', () => {
  const program = { nodePath: '/usr/bin/node', entryPath: '/opt/digester/dist/fn/main.js' };

  it('writes an executable wrapper under $XDG_CONFIG_HOME, mode 0755 whatever the umask, and creates the dirs', async () => {
    const base = await freshDir('xdg');
    const previous = process.umask(0o077);
    try {
      const outcome = await installPlugin({ env: { XDG_CONFIG_HOME: join(base, 'config') }, home: join(base, 'home'), force: false, ...program });
      assert.equal(outcome.path, join(base, 'config', 'kustomize', 'plugin', PLUGIN));
      assert.equal(outcome.action, 'installed');
      assert.equal(outcome.root.from, 'XDG_CONFIG_HOME');
      assert.equal((await stat(outcome.path)).mode & 0o777, 0o755);
      assert.equal(await readFile(outcome.path, 'utf8'), wrapperScript(program.nodePath, program.entryPath));
    } finally {
      process.umask(previous);
    }
  });

  it('without XDG_CONFIG_HOME installs under $HOME/.config', async () => {
    const home = await freshDir('home');
    const outcome = await installPlugin({ env: {}, home, force: false, ...program });
    assert.equal(outcome.path, join(home, '.config', 'kustomize', 'plugin', PLUGIN));
    assert.equal(outcome.shadowed, undefined);
  });

  it('with KUSTOMIZE_PLUGIN_HOME installs there', async () => {
    const base = await freshDir('plugin-home');
    const env = { KUSTOMIZE_PLUGIN_HOME: join(base, 'plugins'), XDG_CONFIG_HOME: join(base, 'config') };
    const outcome = await installPlugin({ env, home: base, force: false, ...program });
    assert.equal(outcome.path, join(base, 'plugins', PLUGIN));
  });

  it('says which plugin root it shadows when it creates an earlier one', async () => {
    const home = await freshDir('shadow');
    await mkdir(join(home, 'kustomize', 'plugin'), { recursive: true });
    const outcome = await installPlugin({ env: {}, home, force: false, ...program });
    assert.equal(outcome.path, join(home, '.config', 'kustomize', 'plugin', PLUGIN));
    assert.equal(outcome.shadowed?.dir, join(home, 'kustomize', 'plugin'));
  });

  it('a second run changes nothing, and restores the mode of an identical file', async () => {
    const home = await freshDir('again');
    const first = await installPlugin({ env: {}, home, force: false, ...program });
    await chmod(first.path, 0o644);
    const second = await installPlugin({ env: {}, home, force: false, ...program });
    assert.equal(second.action, 'unchanged');
    assert.equal((await stat(second.path)).mode & 0o777, 0o755);
  });

  it('refuses to replace a different file without --force, and replaces it with --force', async () => {
    const home = await freshDir('force');
    const path = join(home, '.config', 'kustomize', 'plugin', PLUGIN);
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, '#!/bin/sh\nexec someone-else "$@"\n', { mode: 0o700 });

    await assert.rejects(installPlugin({ env: {}, home, force: false, ...program }), PluginExistsError);
    assert.equal(await readFile(path, 'utf8'), '#!/bin/sh\nexec someone-else "$@"\n');

    const outcome = await installPlugin({ env: {}, home, force: true, ...program });
    assert.equal(outcome.action, 'replaced');
    assert.equal(await readFile(path, 'utf8'), wrapperScript(program.nodePath, program.entryPath));
    assert.equal((await stat(path)).mode & 0o777, 0o755);
  });

  it('the command installs a wrapper for this node and the real path of dist/fn/main.js, then reports it up to date', async () => {
    const configHome = await freshDir('cli');
    const path = join(configHome, 'kustomize', 'plugin', PLUGIN);
    const first = await runDigester('', { XDG_CONFIG_HOME: configHome }, ['install-kustomize-plugin']);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout, `digester: installed the kustomize plugin at ${path}\n`);
    assert.equal(await readFile(path, 'utf8'), wrapperScript(process.execPath, await realpath(DIGESTER_BIN)));

    const second = await runDigester('', { XDG_CONFIG_HOME: configHome }, ['install-kustomize-plugin']);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.stdout, `digester: the kustomize plugin at ${path} is up to date\n`);
  });

  it('the command exits 1 naming --force when another file is in the way', async () => {
    const configHome = await freshDir('cli-taken');
    const path = join(configHome, 'kustomize', 'plugin', PLUGIN);
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, 'not ours\n');
    const result = await runDigester('', { XDG_CONFIG_HOME: configHome }, ['install-kustomize-plugin']);
    assert.equal(result.code, 1);
    assert.equal(result.stderr, `digester: ${path} already exists and is not this digester's wrapper; rerun with --force to replace it\n`);
    const forced = await runDigester('', { XDG_CONFIG_HOME: configHome }, ['install-kustomize-plugin', '--force']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(forced.stdout, `digester: replaced the file at ${path} with the kustomize plugin\n`);
  });

  it('an unknown option is a usage error', async () => {
    const result = await runDigester('', { XDG_CONFIG_HOME: await freshDir('cli-usage') }, ['install-kustomize-plugin', '--dir=/x']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /unknown argument "--dir=\/x"/);
  });
});

describe('digester kustomize-plugin', () => {
  // check mode needs no registry: every unpinned image is an error, pinned ones pass.
  const CHECK = 'apiVersion: fn.digester.dev/v1alpha1\nkind: Digester\nmetadata:\n  name: digester\nmode: check\n';
  const PINNED = `sha256:${'a'.repeat(64)}`;
  const deployment = (image: string) =>
    [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata:',
      '  annotations:',
      '    kustomize.config.k8s.io/id: |',
      '      kind: Deployment',
      '  name: web',
      'spec:',
      '  template:',
      '    spec:',
      '      containers:',
      `      - image: ${image}`,
      '        name: web',
      '',
    ].join('\n');
  const stream = `${deployment(`nginx:1.27@${PINNED}`)}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata: {a: "1"}\n`;

  async function configFile(text: string): Promise<string> {
    const file = join(await freshDir('config'), 'kust-plugin-config-1');
    await writeFile(file, text);
    return file;
  }

  it('passes a stream whose images are all pinned through byte for byte', async () => {
    const result = await runDigester(stream, {}, ['kustomize-plugin', await configFile(CHECK)]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, stream);
    assert.equal(result.stderr, '');
  });

  it('an image that is not pinned: exit 1, one stderr line naming the resource and field', async () => {
    const result = await runDigester(deployment('nginx:1.27'), {}, ['kustomize-plugin', await configFile(CHECK)]);
    assert.equal(result.code, 1);
    assert.equal(result.stderr, 'digester: Deployment/web spec.template.spec.containers[0].image: image `nginx:1.27` is not pinned to a digest\n');
  });

  it('runs through the installed wrapper, the way kustomize runs it', async () => {
    const home = await freshDir('wrapper-run');
    const { path } = await installPlugin({ env: {}, home, force: false, nodePath: process.execPath, entryPath: DIGESTER_BIN });
    const config = await configFile(CHECK);
    const child = execFile(path, [config]);
    child.stdin?.end(stream);
    const output: string[] = [];
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => output.push(chunk));
    const code = await new Promise((resolve) => child.on('close', resolve));
    assert.equal(code, 0);
    assert.equal(output.join(''), stream);
  });

  for (const [name, args, config, input, message] of [
    ['no config file', [], undefined, '', /^digester kustomize-plugin: expected the config file as the only argument; see/],
    ['argsOneLiner words after the config file', ['--verbose'], CHECK, '', /^digester kustomize-plugin: unexpected argument\(s\) after the config file: --verbose;/],
    ['a config file that does not exist', ['/nonexistent/digester.yaml'], undefined, '', /^digester: cannot read the Digester config file \/nonexistent\/digester\.yaml: ENOENT/],
    ['an unknown config field', [], `${CHECK}argsOneLiner: --verbose\n`, '', /^digester: invalid Digester functionConfig: functionConfig: unknown field "argsOneLiner"$/m],
    ['an invalid duration', [], `${CHECK}timeout: soon\n`, '', /^digester: functionConfig\.timeout: invalid duration "soon"/],
    ['malformed config YAML', [], 'kind: [Digester\n', '', /^digester: .*kust-plugin-config-1: malformed YAML at line \d+, column \d+/],
    ['a malformed stream', [], CHECK, 'kind: [Deployment\n', /^digester: malformed YAML at line \d+, column \d+/],
  ] as const) {
    it(`${name}: exit 2, one line on stderr, nothing on stdout`, async () => {
      const file = config === undefined ? undefined : await configFile(config);
      const argv = file === undefined ? ['kustomize-plugin', ...args] : ['kustomize-plugin', file, ...args];
      const result = await runDigester(input, {}, argv);
      assert.equal(result.code, 2, result.stderr);
      assert.equal(result.stdout, '');
      assert.match(result.stderr, message);
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    });
  }
});
