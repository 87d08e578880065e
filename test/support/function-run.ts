import assert from 'node:assert/strict';
import { load } from 'js-yaml';
import { ODD_FILE, ODD_PATHS, oddResourceList, pinnedText, textBeforeResults, type OddImages } from './odd-resource-list.js';
import { runDigester, type DigesterRun } from './run-digester.js';

// Runs the built function on the odd ResourceList and checks what a user would look at: the exit
// code, the output text (the input byte for byte but for the pinned images), the error results and
// stderr. Shared by the function-level fault tables.

/** One result of the output ResourceList. */
export interface OutputResult {
  readonly message: string;
  readonly severity: string;
  readonly resourceRef?: { readonly kind: string; readonly name: string };
  readonly field?: { readonly path: string };
  readonly file?: { readonly path: string; readonly index?: number };
}

/** What a run must show. */
export interface ExpectedRun {
  readonly images: OddImages;
  /** Extra Digester functionConfig lines. */
  readonly config?: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  /** The digest of each image that must be pinned. */
  readonly pins: Partial<Record<keyof OddImages, string>>;
  /** A full-message regex for each image that must fail. */
  readonly errors: Partial<Record<keyof OddImages, RegExp>>;
  /** Strings that must appear nowhere in stdout or stderr (passwords, tokens). */
  readonly secrets?: readonly string[];
}

/** Runs digester on the odd ResourceList and asserts the outcome; returns the run for further checks. */
export async function runOddList(expected: ExpectedRun): Promise<DigesterRun> {
  const input = oddResourceList(expected.images, expected.config);
  const run = await runDigester(input, expected.env);
  const failing = Object.keys(expected.errors) as Array<keyof OddImages>;
  const context = `stderr:\n${run.stderr}\nstdout:\n${run.stdout}`;
  assert.equal(run.code, failing.length === 0 ? 0 : 1, context);

  const pins = new Map<string, string>();
  for (const [name, digest] of Object.entries(expected.pins) as Array<[keyof OddImages, string]>) pins.set(expected.images[name], digest);
  assert.equal(textBeforeResults(run.stdout), pinnedText(input, pins), 'output differs from the input beyond the pinned images');

  const results = (load(run.stdout) as { results: OutputResult[] }).results;
  const errors = results.filter((result) => result.severity === 'error');
  assert.deepEqual(
    errors.map((error) => error.field?.path),
    failing.map((name) => ODD_PATHS[name]).sort(),
    context,
  );
  for (const name of failing) {
    const error = errors.find((candidate) => candidate.field?.path === ODD_PATHS[name]);
    assert.match(error?.message ?? '', expected.errors[name] as RegExp);
    assert.deepEqual(error?.resourceRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' });
    assert.deepEqual(error?.file, ODD_FILE);
  }
  const resolved = Object.keys(expected.pins).length;
  assert.deepEqual(results.at(-1), {
    message: `resolved ${resolved} image(s) (${resolved} unique), skipped 0, failed ${failing.length}`,
    severity: 'info',
  });

  // stderr: one line per error result, no stack trace, no secret.
  const lines = run.stderr.split('\n').filter((line) => line !== '');
  assert.equal(lines.length, failing.length, run.stderr);
  for (const line of lines) assert.match(line, /^digester: Deployment\/web spec\.template\.spec\.\S+ could not resolve /);
  assert.doesNotMatch(run.stderr, /\n\s+at /);
  for (const secret of expected.secrets ?? []) {
    assert.ok(!run.stdout.includes(secret) && !run.stderr.includes(secret), 'a secret reached the output');
  }
  return run;
}

/** Escapes text for use inside a RegExp. */
export function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `^could not resolve \`image\` (registry/repository): <reason>$` with `reason` a regex source. */
export function couldNotResolve(image: string, reason: string): RegExp {
  const name = image.slice(0, image.lastIndexOf(':'));
  return new RegExp(`^could not resolve \`${literal(image)}\` \\(${literal(name)}\\): ${reason}$`);
}
