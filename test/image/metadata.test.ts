import assert from 'node:assert/strict';
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { load } from 'js-yaml';
import * as z from 'zod/mini';
import { REPO_ROOT } from '../support/example-workspace.js';
import { packageFacts } from './image-build.js';

// fn/metadata.yaml names the published image, its source and its examples; nothing reads it at
// run time, so this keeps it from drifting away from package.json, the Dockerfile and examples/.

/** The catalog's metadata.yaml fields digester fills. */
const CatalogMetadata = z.strictObject({
  image: z.string(),
  description: z.string().check(z.minLength(1)),
  tags: z.array(z.string()),
  sourceURL: z.url(),
  examplePackageURLs: z.array(z.url()).check(z.minLength(1)),
  license: z.string(),
});
type CatalogMetadata = z.infer<typeof CatalogMetadata>;

async function readRepoFile(path: string): Promise<string> {
  return readFile(join(REPO_ROOT, path), 'utf8');
}

async function metadata(): Promise<CatalogMetadata> {
  return CatalogMetadata.parse(load(await readRepoFile('fn/metadata.yaml')));
}

test('fn/metadata.yaml: a mutator, licensed and versioned as package.json, its source the Dockerfile label', async () => {
  const meta = await metadata();
  const facts = await packageFacts();
  assert.deepEqual(meta.tags, ['mutator']);
  assert.equal(meta.license, facts.license);
  assert.equal(meta.image.split(':').at(-1), `v${facts.version}`, 'the image tag follows package.json');
  const source = /org\.opencontainers\.image\.source="([^"]+)"/.exec(await readRepoFile('Dockerfile'))?.[1];
  assert.equal(meta.sourceURL, source, "the Dockerfile's org.opencontainers.image.source label");
});

test("fn/metadata.yaml: examples/kpt-package-image's Kptfile runs the image it names", async () => {
  const kptfile = await readRepoFile('examples/kpt-package-image/Kptfile');
  assert.match(kptfile, new RegExp(`^\\s*- image: ${(await metadata()).image.replace(/[.]/g, '\\.')}$`, 'm'));
});

test('fn/metadata.yaml: every example package URL names a package under examples/ with a README', async () => {
  const meta = await metadata();
  for (const url of meta.examplePackageURLs) {
    const path = new RegExp(`^${meta.sourceURL}/tree/v[^/]+/(examples/[\\w-]+)$`).exec(url)?.[1];
    assert.ok(path !== undefined, `${url} is not ${meta.sourceURL}/tree/<tag>/examples/<name>`);
    await access(join(REPO_ROOT, path, 'README.md'));
  }
});
