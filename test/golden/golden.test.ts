import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { load } from 'js-yaml';
import { processResourceList } from '../../src/krm/index.js';
import { EverythingSource } from '../support/fake-source.js';

// Each case is a directory under test/golden/ holding input.yaml (a whole
// ResourceList, functionConfig included), expected.yaml (the output, results
// included), and optionally env.json and exit-code. UPDATE_GOLDEN=1 rewrites
// the expected files and still fails, so a person reviews the diff.

// Tests run from the project root (npm test); the cases stay in the source tree.
const root = join(process.cwd(), 'test/golden');
const update = process.env['UPDATE_GOLDEN'] === '1';

describe('golden cases', () => {
  for (const name of readdirSync(root, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort()) {
    const dir = join(root, name);
    const input = readFileSync(join(dir, 'input.yaml'), 'utf8');
    const env = existsSync(join(dir, 'env.json')) ? (JSON.parse(readFileSync(join(dir, 'env.json'), 'utf8')) as NodeJS.ProcessEnv) : {};
    const expectedExit = existsSync(join(dir, 'exit-code')) ? Number(readFileSync(join(dir, 'exit-code'), 'utf8').trim()) : 0;
    const run = (text: string) => processResourceList(text, { env, createSource: () => new EverythingSource() });

    it(`${name}: output matches expected.yaml`, async () => {
      const outcome = await run(input);
      if (update) {
        writeFileSync(join(dir, 'expected.yaml'), outcome.output);
        writeFileSync(join(dir, 'exit-code'), `${outcome.exitCode}\n`);
        assert.fail(`UPDATE_GOLDEN=1: rewrote ${name}/expected.yaml; review the diff and run again without it`);
      }
      assert.equal(outcome.output, readFileSync(join(dir, 'expected.yaml'), 'utf8'));
      assert.equal(outcome.exitCode, expectedExit);
    });

    it(`${name}: a second run over the output changes no image`, async () => {
      const first = await run(input);
      const second = await run(first.output);
      assert.equal(second.edits, 0);
      assert.equal(second.exitCode, first.exitCode);
      const items = (text: string): unknown => (load(text) as { items?: unknown }).items;
      assert.deepEqual(items(second.output), items(first.output), 'items are untouched');
    });
  }
});
