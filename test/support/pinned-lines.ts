import { pinned, SKIPPED_IMAGES, type PinnedDigests } from './example-images.js';

// The function's promise for files kpt writes back: only image values change, and each one
// changes exactly by `@sha256:…` appended to the user's spelling. Comments, quoting, key order
// and everything else must survive, so the check is a line-by-line comparison.

/**
 * A line holding an image reference: a container's `image:` or an image volume's
 * `reference:`, with an optional list dash, optional quotes and an optional trailing comment.
 */
const IMAGE_LINE = /^(\s*(?:-\s+)?(?:image|reference):\s+)(["']?)([^"'\s#]+)\2(\s*(?:#.*)?)$/;

/** What {@link checkPinnedTree} found. */
export interface PinCheck {
  /** Readable discrepancies, `file:line: …`; empty when the tree is as expected. */
  readonly problems: readonly string[];
  /** How many image lines were pinned as expected. */
  readonly pinnedLines: number;
}

/**
 * Compares a tree before and after the function ran (as read by `readTree`).
 * Every image line of a pushed image must have become `<original>@<digest>`, skipped images
 * must be untouched, and every other line must be unchanged.
 */
export function checkPinnedTree(
  before: ReadonlyMap<string, string>,
  after: ReadonlyMap<string, string>,
  digests: PinnedDigests,
): PinCheck {
  const problems: string[] = [];
  let pinnedLines = 0;
  for (const file of after.keys()) {
    if (!before.has(file)) problems.push(`${file}: file was created`);
  }
  for (const [file, original] of before) {
    const current = after.get(file);
    if (current === undefined) {
      problems.push(`${file}: file was deleted`);
      continue;
    }
    const result = checkPinnedFile(file, original, current, digests);
    problems.push(...result.problems);
    pinnedLines += result.pinnedLines;
  }
  return { problems, pinnedLines };
}

/** {@link checkPinnedTree} for one file. */
export function checkPinnedFile(file: string, original: string, current: string, digests: PinnedDigests): PinCheck {
  const problems: string[] = [];
  let pinnedLines = 0;
  const oldLines = original.split('\n');
  const newLines = current.split('\n');
  if (oldLines.length !== newLines.length) {
    problems.push(`${file}: had ${oldLines.length} lines, now ${newLines.length}`);
  }
  const count = Math.min(oldLines.length, newLines.length);
  for (let index = 0; index < count; index += 1) {
    const oldLine = oldLines[index] ?? '';
    const newLine = newLines[index] ?? '';
    const expected = expectedLine(oldLine, digests);
    if (expected.problem !== undefined) problems.push(`${file}:${index + 1}: ${expected.problem}`);
    if (newLine !== expected.line) {
      problems.push(`${file}:${index + 1}: expected ${JSON.stringify(expected.line)}, got ${JSON.stringify(newLine)}`);
    } else if (expected.line !== oldLine) {
      pinnedLines += 1;
    }
  }
  return { problems, pinnedLines };
}

function expectedLine(line: string, digests: PinnedDigests): { line: string; problem?: string } {
  const match = IMAGE_LINE.exec(line);
  if (match === null) return { line };
  const [, prefix = '', quote = '', reference = '', rest = ''] = match;
  if (SKIPPED_IMAGES.includes(reference)) return { line };
  if (!digests.has(reference)) {
    return { line, problem: `image \`${reference}\` is neither pushed nor skipped; add it to test/support/example-images.ts` };
  }
  return { line: `${prefix}${quote}${pinned(reference, digests)}${quote}${rest}` };
}
