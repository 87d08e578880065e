import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { load } from 'js-yaml';
import { CLI_TREE, writeCliTree } from '../support/cli-tree.js';
import { digesterConfig, pushExampleImages, type PinnedDigests } from '../support/example-images.js';
import { createExampleWorkspace, readTree, REPO_ROOT, type ExampleWorkspace } from '../support/example-workspace.js';
import { checkPinnedTree } from '../support/pinned-lines.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { DIGESTER_BIN } from '../support/run-digester.js';
import { runCaptured } from '../support/run-cli.js';

// examples/ci as a CI job runs it: the shell snippet on temp copies, with the
// local registry routed in through DIGESTER_CONFIG, and the workflow file.

describe('examples/ci', () => {
  let registry: TestRegistry | undefined;
  let digests: PinnedDigests = new Map();
  let workspace: ExampleWorkspace | undefined;
  let env: NodeJS.ProcessEnv = {};
  const dirs: string[] = [];

  before(async () => {
    registry = await startRegistry({ mode: 'anonymous' });
    digests = await pushExampleImages(registry);
    workspace = await createExampleWorkspace();
    const config = join(workspace.root, 'digester.yaml');
    await writeFile(config, digesterConfig(registry.url));
    env = { DIGESTER: DIGESTER_BIN, DIGESTER_CONFIG: config };
  });

  after(async () => {
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
    await workspace?.remove();
    await registry?.stop();
  });

  function script(): string {
    assert.ok(workspace, 'the workspace was not created');
    return join(workspace.root, 'examples', 'ci', 'pin-and-check.sh');
  }

  test('pin-and-check.sh pins examples/plain and its check passes', async () => {
    assert.ok(workspace);
    const plain = workspace.example('plain');
    const before = await readTree(plain);
    const run = await runCaptured(script(), ['examples/plain'], { cwd: workspace.root, env });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const check = checkPinnedTree(before, await readTree(plain), digests);
    assert.deepEqual(check.problems, []);
    assert.ok(check.pinnedLines > 0, 'no image line was pinned');
    assert.match(run.stderr, /^digester: pinned \d+ image\(s\) in 2 file\(s\), /m);
    assert.match(run.stderr, /^digester: checked \d+ image\(s\) in 2 file\(s\): 0 not pinned, /m);
  });

  test('pin-and-check.sh with no PATH works on the current directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'digester-ci-'));
    dirs.push(dir);
    await writeCliTree(dir);
    const run = await runCaptured(script(), [], { cwd: dir, env });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stderr, /pinned 5 image\(s\) in 3 file\(s\)/);
    assert.match(run.stderr, /checked 6 image\(s\) in 6 file\(s\): 0 not pinned/);
    assert.notEqual(await readFile(join(dir, 'deploy/web.yaml'), 'utf8'), CLI_TREE['deploy/web.yaml']);
  });

  test('pin-and-check.sh stops with exit 1 when an image cannot be resolved', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'digester-ci-'));
    dirs.push(dir);
    await writeCliTree(dir, { 'pod.yaml': 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - {name: a, image: nginx:0.0.0-missing}\n' });
    const run = await runCaptured(script(), ['.'], { cwd: dir, env });
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(run.stdout, /^pod\.yaml:6: Pod\/p spec\.containers\[0\]\.image: could not resolve `nginx:0\.0\.0-missing`/m);
    assert.doesNotMatch(run.stderr, /checked/, 'the check does not run after a failed resolve');
  });

  test('the GitHub workflow checks pull requests and pins on demand with the script', async () => {
    const workflow = load(await readFile(join(REPO_ROOT, 'examples', 'ci', 'github-workflow.yaml'), 'utf8')) as {
      jobs: Record<string, { steps: Array<{ run?: string }> }>;
    };
    const runs = (job: string): string[] => (workflow.jobs[job]?.steps ?? []).flatMap((step) => (step.run === undefined ? [] : [step.run]));
    assert.ok(runs('check').some((run) => /\bdigester check\b/.test(run)), 'the check job runs digester check');
    assert.ok(runs('pin').some((run) => /pin-and-check\.sh\b/.test(run)), 'the pin job runs the script');
  });
});
