// A unified diff (https://www.gnu.org/software/diffutils/manual/html_node/Detailed-Unified.html)
// for `digester resolve --dry-run`. Pinning appends `@sha256:…` inside a line
// and never adds or removes one, so lines are compared pairwise; no LCS needed.

const CONTEXT = 3;
const NO_NEWLINE = '\\ No newline at end of file';

/** The labels of the two sides, e.g. `a/deploy/web.yaml` and `b/deploy/web.yaml`. */
export interface DiffLabels {
  readonly before: string;
  readonly after: string;
}

/**
 * A unified diff of two texts with the same number of lines, with three lines
 * of context; empty when they are equal. Texts whose line counts differ (which
 * pinning never produces) get one hunk covering both files whole.
 */
export function unifiedDiff(before: string, after: string, labels: DiffLabels): string {
  if (before === after) return '';
  const old = splitLines(before);
  const now = splitLines(after);
  const header = `--- ${labels.before}\n+++ ${labels.after}\n`;
  if (old.length !== now.length) {
    return header + hunk(old, now, { start: 0, end: old.length }, { start: 0, end: now.length });
  }
  let body = '';
  for (const range of changedRanges(old, now)) body += hunk(old, now, range, range);
  return header + body;
}

/** A half-open range of 0-based line indexes. */
interface Range {
  readonly start: number;
  readonly end: number;
}

/** Lines with their endings kept, so `\r\n` and a missing final newline survive. */
function splitLines(text: string): string[] {
  const lines = text.split(/(?<=\n)/);
  return lines[lines.length - 1] === '' ? lines.slice(0, -1) : lines;
}

/** The changed lines grown by the context, merged where their contexts touch. */
function changedRanges(old: readonly string[], now: readonly string[]): Range[] {
  const ranges: Array<{ start: number; end: number }> = [];
  old.forEach((line, index) => {
    if (line === now[index]) return;
    const start = Math.max(0, index - CONTEXT);
    const end = Math.min(old.length, index + 1 + CONTEXT);
    const last = ranges[ranges.length - 1];
    if (last !== undefined && start <= last.end) last.end = end;
    else ranges.push({ start, end });
  });
  return ranges;
}

function hunk(old: readonly string[], now: readonly string[], from: Range, to: Range): string {
  let body = '';
  let index = from.start;
  let other = to.start;
  // Walk both sides together: equal lines are context, unequal pairs a -/+ run.
  while (index < from.end || other < to.end) {
    const removed: string[] = [];
    const added: string[] = [];
    while ((index < from.end || other < to.end) && (old[index] !== now[other] || index >= from.end || other >= to.end)) {
      if (index < from.end) removed.push(old[index++] ?? '');
      if (other < to.end) added.push(now[other++] ?? '');
    }
    body += removed.map((line) => diffLine('-', line)).join('') + added.map((line) => diffLine('+', line)).join('');
    if (index < from.end && other < to.end) {
      body += diffLine(' ', old[index] ?? '');
      index++;
      other++;
    }
  }
  return `@@ -${span(from)} +${span(to)} @@\n${body}`;
}

/** `start,count` with a 1-based start; a one-line range is just `start`, an empty one `start-1,0`, as diff -u writes them. */
function span(range: Range): string {
  const count = range.end - range.start;
  if (count === 1) return `${range.start + 1}`;
  return `${count === 0 ? range.start : range.start + 1},${count}`;
}

function diffLine(marker: string, line: string): string {
  return line.endsWith('\n') ? `${marker}${line}` : `${marker}${line}\n${NO_NEWLINE}\n`;
}
