// `npm run demo`: pins every example under examples/ against a throwaway local registry and
// shows what changed. Needs only `npm ci`, a build, and the OS packages docker-registry and kpt.
import { cp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { digesterConfig, EXAMPLE_IMAGES, MAPPED_REGISTRIES, pushExampleImages, registriesBlock, type PinnedDigests } from './example-images.js';
import { DIFF, DIGESTER, KPT, KUSTOMIZE, requireExecutables, runTool, type ToolRun } from './example-tools.js';
import { appendSetting, createExampleWorkspace, readTree, replaceOnce, type ExampleWorkspace } from './example-workspace.js';
import { collectImages } from './manifest-images.js';
import { checkPinnedTree } from './pinned-lines.js';
import { startRegistry, type TestRegistry } from './registry.js';

/** A step that did not do what the demo promises; the message is all the user needs. */
class DemoFailure extends Error {
  override readonly name = 'DemoFailure';
}

function section(title: string): void {
  process.stdout.write(`\n=== ${title} ===\n`);
}

function indent(text: string): string {
  const trimmed = text.trimEnd();
  return trimmed === '' ? '' : `${trimmed.replace(/^/gm, '  ')}\n`;
}

/** Runs a tool in the workspace, echoing the command and kpt/kustomize's progress output. */
async function step(workspace: ExampleWorkspace, file: string, args: readonly string[], name: string): Promise<ToolRun> {
  process.stdout.write(`$ ${name} ${args.join(' ')}\n`);
  const run = await runTool(file, args, { cwd: workspace.root });
  process.stdout.write(indent(run.stderr));
  if (run.code !== 0) throw new DemoFailure(`${name} ${args[0] ?? ''} exited ${String(run.code)}:\n${run.stdout}${run.stderr}`);
  return run;
}

/** Prints `diff -u` output; exit 1 (files differ) is the expected outcome, 0 means nothing was pinned. */
async function showDiff(workspace: ExampleWorkspace, args: readonly string[]): Promise<void> {
  const run = await runTool(DIFF, ['-u', ...args], { cwd: workspace.root });
  if (run.code === 0) throw new DemoFailure(`diff ${args.join(' ')}: nothing changed`);
  if (run.code !== 1) throw new DemoFailure(`diff ${args.join(' ')} exited ${String(run.code)}: ${run.stderr}`);
  process.stdout.write(run.stdout);
}

/** Copies an example aside as `before/<name>`, runs `pin`, then diffs and checks the files kpt rewrote. */
async function pinInPlace(
  workspace: ExampleWorkspace,
  name: string,
  digests: PinnedDigests,
  pin: () => Promise<ToolRun>,
): Promise<void> {
  const dir = workspace.example(name);
  await cp(dir, join(workspace.root, 'before', name), { recursive: true });
  const original = await readTree(dir);
  await pin();
  await showDiff(workspace, ['-r', join('before', name), join('examples', name)]);
  const check = checkPinnedTree(original, await readTree(dir), digests);
  if (check.problems.length > 0) throw new DemoFailure(`examples/${name}:\n${check.problems.join('\n')}`);
  process.stdout.write(`ok: ${check.pinnedLines} image line(s) pinned, nothing else changed\n`);
}

async function demoPlain(workspace: ExampleWorkspace, registry: TestRegistry, digests: PinnedDigests): Promise<void> {
  section('examples/plain: kpt fn eval --exec');
  await writeFile(join(workspace.root, 'digester-config.yaml'), digesterConfig(registry.url));
  const args = ['fn', 'eval', 'examples/plain', '--exec', './dist/fn/main.js', '--fn-config', 'digester-config.yaml'];
  await pinInPlace(workspace, 'plain', digests, () => step(workspace, KPT, args, 'kpt'));
}

async function demoKptPackage(workspace: ExampleWorkspace, registry: TestRegistry, digests: PinnedDigests): Promise<void> {
  section('examples/kpt-package: kpt fn render (Kptfile pipeline)');
  await appendSetting(join(workspace.example('kpt-package'), 'digester.yaml'), 'registries', registriesBlock(registry.url));
  const args = ['fn', 'render', 'examples/kpt-package', '--allow-exec'];
  await pinInPlace(workspace, 'kpt-package', digests, () => step(workspace, KPT, args, 'kpt'));
}

/** kustomize prints a build rather than editing files, so the diff is the build without the transformer against the build with it. */
async function demoKustomize(workspace: ExampleWorkspace, registry: TestRegistry): Promise<void> {
  section('examples/kustomize-overlay: kustomize build (exec transformer)');
  const example = workspace.example('kustomize-overlay');
  await appendSetting(join(example, 'overlay', 'digester.yaml'), 'registries', registriesBlock(registry.url));
  await cp(join(example, 'overlay'), join(example, 'unpinned'), { recursive: true });
  await replaceOnce(join(example, 'unpinned', 'kustomization.yaml'), 'transformers:\n  - digester.yaml\n', '');

  const build = ['build', '--enable-alpha-plugins', '--enable-exec'];
  const unpinned = await step(workspace, KUSTOMIZE, [...build, 'examples/kustomize-overlay/unpinned'], 'kustomize');
  const pinned = await step(workspace, KUSTOMIZE, [...build, 'examples/kustomize-overlay/overlay'], 'kustomize');
  await writeFile(join(workspace.root, 'build-unpinned.yaml'), unpinned.stdout);
  await writeFile(join(workspace.root, 'build-pinned.yaml'), pinned.stdout);
  await showDiff(workspace, [
    '--label',
    'kustomize build (without digester)',
    '--label',
    'kustomize build (with digester)',
    'build-unpinned.yaml',
    'build-pinned.yaml',
  ]);
  const unpinnedImages = collectImages(pinned.stdout).filter(({ image }) => !/@sha256:[0-9a-f]{64}$/.test(image));
  if (unpinnedImages.length > 0) {
    throw new DemoFailure(`not pinned: ${unpinnedImages.map(({ resource, image }) => `${resource} ${image}`).join(', ')}`);
  }
  process.stdout.write(`ok: ${collectImages(pinned.stdout).length} image(s) pinned in the build\n`);
}

async function main(): Promise<void> {
  await requireExecutables(KPT, KUSTOMIZE, DIGESTER, DIFF);
  section('local registry');
  const registry = await startRegistry({ mode: 'anonymous' });
  let workspace: ExampleWorkspace | undefined;
  try {
    process.stdout.write(`docker-registry at ${registry.url}; ${MAPPED_REGISTRIES.join(' and ')} are routed to it\n`);
    const digests = await pushExampleImages(registry);
    for (const image of EXAMPLE_IMAGES) {
      process.stdout.write(`pushed ${image.reference.padEnd(46)} ${image.kind.padEnd(20)} ${digests.get(image.reference) ?? ''}\n`);
    }
    workspace = await createExampleWorkspace();
    process.stdout.write(`examples copied to ${workspace.root}\n`);
    await demoPlain(workspace, registry, digests);
    await demoKptPackage(workspace, registry, digests);
    await demoKustomize(workspace, registry);
    section('done: all three examples pinned');
  } finally {
    await workspace?.remove();
    await registry.stop();
  }
}

try {
  await main();
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`\ndemo failed: ${message}\n`);
  process.exitCode = 1;
}
