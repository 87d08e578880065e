import { SCALAR_STYLE } from 'js-yaml';
import type { NodeId, YamlTree } from './yaml-tree.js';

/** A replacement of `source[start, end)` with `text`; `start === end` inserts. */
export interface Edit {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/** Applies non-overlapping edits to the original text; everything else is copied byte for byte. */
export function applyEdits(source: string, edits: readonly Edit[]): string {
  const sorted = [...edits].sort((a, b) => a.start - b.start || a.end - b.end);
  const parts: string[] = [];
  let cursor = 0;
  for (const edit of sorted) {
    if (edit.start < cursor) throw new Error(`overlapping edits at offset ${edit.start}`);
    parts.push(source.slice(cursor, edit.start), edit.text);
    cursor = edit.end;
  }
  parts.push(source.slice(cursor));
  return parts.join('');
}

/**
 * The edit that appends `suffix` to a scalar's value in place. The suffix
 * (`@sha256:…`) needs no escaping in any style, so inserting it right after
 * the last character of the value keeps the scalar's quoting as written. For
 * block scalars (`|-`, `>-`) the value ends before the trailing line break.
 */
export function appendToScalar(tree: YamlTree, node: NodeId, suffix: string): Edit {
  const { source } = tree;
  const event = tree.scalar(node);
  let position = event.valueEnd;
  if (event.style === SCALAR_STYLE.LITERAL_BLOCK || event.style === SCALAR_STYLE.FOLDED_BLOCK) {
    while (position > event.valueStart && /\s/.test(source.charAt(position - 1))) position--;
  }
  return { start: position, end: position, text: suffix };
}

/** The offset just past a node's text: closing quote or bracket included. */
export function nodeEnd(tree: YamlTree, node: NodeId): number {
  switch (tree.kind(node)) {
    case 'alias':
      return tree.aliasEnd(node);
    case 'scalar': {
      const { style, valueEnd } = tree.scalar(node);
      return style === SCALAR_STYLE.SINGLE_QUOTED || style === SCALAR_STYLE.DOUBLE_QUOTED ? valueEnd + 1 : valueEnd;
    }
    case 'map':
    case 'seq': {
      const last = tree.lastChild(node);
      const contentEnd = last === undefined ? tree.startOf(node) + 1 : nodeEnd(tree, last);
      return tree.isFlow(node) ? flowCloserAfter(tree.source, contentEnd) + 1 : contentEnd;
    }
  }
}

/** Finds the `]` or `}` that closes a flow collection, skipping blanks, commas and comments. */
export function flowCloserAfter(source: string, from: number): number {
  let position = from;
  while (position < source.length) {
    const char = source.charAt(position);
    if (char === ']' || char === '}') return position;
    if (char === '#') {
      const newline = source.indexOf('\n', position);
      position = newline === -1 ? source.length : newline;
    } else if (/[\s,]/.test(char)) {
      position++;
    } else {
      throw new Error(`unexpected ${JSON.stringify(char)} at offset ${position} while looking for the end of a flow collection`);
    }
  }
  throw new Error('unterminated flow collection');
}

/** The offset of the start of the line holding `position`. */
export function lineStart(source: string, position: number): number {
  return source.lastIndexOf('\n', position - 1) + 1;
}

/** The column of `position` in its line, not counting a byte order mark at the start of the text. */
export function columnOf(source: string, position: number): number {
  const start = lineStart(source, position);
  return position - start - (start === 0 && source.charCodeAt(0) === 0xfeff ? 1 : 0);
}
