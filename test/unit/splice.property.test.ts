import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { load } from 'js-yaml';
import { processResourceList, type ProcessOutcome } from '../../src/krm/index.js';
import { EverythingSource, fakeDigest } from '../support/fake-source.js';
import { resourceListArb } from '../support/yaml-arbitraries.js';
import { indentation, Printer, type ImageLeaf, type Occurrence, type Path, type ResourceListDoc } from '../support/yaml-printer.js';

// Property tests for the KRM processor: ResourceLists are generated as YAML
// text from a small tree, printed by hand in block and flow styles (js-yaml's
// dump would only ever write one style), then the output is checked against
// js-yaml's reading of the input and against the same tree printed with the
// images pinned. FC_SEED=<n> and FC_RUNS=<n> explore further.
const seed = Number(process.env.FC_SEED ?? 20_240_102);
const runs = (numRuns: number): fc.Parameters<unknown> => ({ seed, numRuns: Number(process.env.FC_RUNS ?? numRuns), includeErrorInReport: true });

// ---------------------------------------------------------------------------
// The properties

type Plan = 'local' | 'refused' | 'pinned' | 'missing' | 'resolve';

/** What digester must do with one image field; `shared` are images a non-image field aliases. */
function planOf(occurrence: Omit<Occurrence, 'path'>, shared: ReadonlySet<ImageLeaf>): Plan {
  const { image } = occurrence.scalar;
  if (occurrence.local) return 'local';
  if (shared.has(occurrence.scalar)) return 'refused';
  if (image.hasDigest) return 'pinned';
  return image.missing ? 'missing' : 'resolve';
}

const pinSuffix = (leaf: ImageLeaf): string => `@${fakeDigest(leaf.image.key)}`;

/** `spec.template.spec.containers[1].image`, as results name a field. */
const fieldPath = (path: Path): string =>
  path
    .slice(2)
    .map((part, index) => (typeof part === 'number' ? `[${part}]` : index === 0 ? part : `.${part}`))
    .join('');

function setPath(root: unknown, path: Path, value: unknown): void {
  let node = root as Record<string | number, unknown>;
  for (const part of path.slice(0, -1)) node = node[part] as Record<string | number, unknown>;
  node[path[path.length - 1]!] = value;
}

/**
 * Finds the one stretch where `after` differs from `before`: what was removed
 * (nothing, or a `null` results value) and what was inserted there.
 */
function changedStretch(before: string, after: string): { removed: string; inserted: string } {
  let prefix = 0;
  while (prefix < before.length && before[prefix] === after[prefix]) prefix++;
  let suffix = 0;
  while (suffix < before.length - prefix && suffix < after.length - prefix && before[before.length - 1 - suffix] === after[after.length - 1 - suffix]) suffix++;
  const removed = before.slice(prefix, before.length - suffix);
  assert.match(removed, /^(?:null|~)?$/, `the output differs from the expected text beyond one insertion at offset ${prefix}:\n${JSON.stringify(after.slice(Math.max(0, prefix - 80), prefix + 80))}\nexpected\n${JSON.stringify(before.slice(Math.max(0, prefix - 80), prefix + 80))}`);
  return { removed, inserted: after.slice(prefix, after.length - suffix) };
}

async function run(input: string): Promise<ProcessOutcome> {
  return processResourceList(input, { env: {}, createSource: () => new EverythingSource() });
}

async function checkDocument(doc: ResourceListDoc, crlf: boolean): Promise<void> {
  const newline = (text: string): string => (crlf ? text.replace(/\n/g, '\r\n') : text);
  const reader = new Printer(() => '', doc.localItems);
  const input = newline(reader.print(doc));
  const plans = reader.occurrences.map((occurrence) => planOf(occurrence, reader.shared));
  const pinned = new Printer((leaf, local) => (planOf({ scalar: leaf, local }, reader.shared) === 'resolve' ? pinSuffix(leaf) : ''), doc.localItems);
  const expectedBody = newline(pinned.print(doc));

  const loadedInput = load(input) as Record<string, unknown>;
  reader.occurrences.forEach((occurrence) => {
    // The printer put each image where it says it did.
    let value: unknown = loadedInput;
    for (const part of occurrence.path) value = (value as Record<string | number, unknown>)[part];
    assert.equal(value, occurrence.scalar.image.text, `image at ${occurrence.path.join('.')} in the generated input`);
  });

  const outcome = await run(input);
  const resolved = reader.occurrences.filter((_, index) => plans[index] === 'resolve');
  const failed = reader.occurrences.filter((_, index) => plans[index] === 'missing' || plans[index] === 'refused');
  const alreadyPinned = plans.filter((plan) => plan === 'pinned').length;
  const uniqueKeys = new Set(resolved.map((occurrence) => occurrence.scalar.image.key));
  const skipped = alreadyPinned === 0 ? '0' : `${alreadyPinned} (${alreadyPinned} already pinned)`;
  assert.equal(outcome.results.at(-1)?.message, `resolved ${resolved.length} image(s) (${uniqueKeys.size} unique), skipped ${skipped}, failed ${failed.length}`);
  assert.deepEqual(
    outcome.results.filter((result) => result.severity === 'error').map((result) => result.field?.path).sort(),
    failed.map((occurrence) => fieldPath(occurrence.path)).sort(),
  );
  assert.equal(outcome.exitCode, failed.length > 0 ? 1 : 0);
  assert.equal(outcome.edits, new Set(resolved.map((occurrence) => occurrence.scalar)).size, 'one edit per pinned scalar');

  // (a) The output reads as the input with the images pinned and the results appended.
  const expected = load(input) as Record<string, unknown>;
  for (const occurrence of resolved) setPath(expected, occurrence.path, occurrence.scalar.image.text + pinSuffix(occurrence.scalar));
  const earlier = (expected.results ?? []) as unknown[];
  expected.results = [...earlier, ...(JSON.parse(JSON.stringify(outcome.results)) as unknown[])];
  assert.deepEqual(load(outcome.output), expected);

  // (b) The text is the input with `@digest` after each pinned image, plus one inserted results block.
  const { removed, inserted } = changedStretch(expectedBody, outcome.output);
  assert.match(inserted, /resolved \d+ image\(s\)/);
  if (removed !== '') assert.ok(doc.resultsWereNull, `only a null results value may be replaced, not ${JSON.stringify(removed)}`);
  if (!doc.hasResults && !doc.root.style.flow) assert.match(inserted, new RegExp(`^(?:\\r?\\n)?${indentation(doc.rootIndent)}results:\\r?\\n`));
  if (crlf) assert.doesNotMatch(outcome.output, /(?<!\r)\n/, 'every line break stays CRLF');

  // (c) A second run pins nothing and only appends results.
  const again = await run(outcome.output);
  assert.equal(again.edits, 0);
  assert.equal(changedStretch(outcome.output, again.output).removed, '');
}

describe('processResourceList properties', () => {
  for (const crlf of [false, true]) {
    it(`${crlf ? 'CRLF' : 'LF'} documents in every style: only image scalars change, results are appended, a second run changes nothing`, async () => {
      await fc.assert(
        fc.asyncProperty(resourceListArb(), (doc) => checkDocument(doc, crlf)),
        runs(100),
      );
    });
  }

  it(
    'a byte order mark before the first key is not indentation',
    async () => {
      // The minimal counterexample. The function keeps a BOM on stdin too (fn/stdin.ts), as the CLI does in files.
      const input = '\uFEFFapiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n';
      const outcome = await run(input);
      assert.equal(outcome.output, `${input}results:\n- message: resolved 0 image(s) (0 unique), skipped 0, failed 0\n  severity: info\n`);
    },
  );
});
