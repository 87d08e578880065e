import { dump } from 'js-yaml';
import { UnusableInputError } from './resource-list.js';
import type { Result } from './results.js';
import { columnOf, flowCloserAfter, lastChild, nodeEnd, type Edit } from './splice.js';
import { deref, getEntry, startOf, type MapNode } from './yaml-tree.js';
import { scalarType } from './yaml-value.js';

// Results are appended as text, so the rest of the ResourceList (including
// results other functions wrote before us) stays byte for byte.

/** The edit that appends `results` to the ResourceList's `results` list, creating it when absent. */
export function appendResultsEdit(source: string, root: MapNode, results: readonly Result[]): Edit | undefined {
  if (results.length === 0) return undefined;
  const newline = source.includes('\r\n') ? '\r\n' : '\n';
  const value = getEntry(root, 'results');
  if (value === undefined) return addResultsKey(source, root, results, newline);

  const existing = deref(value);
  if (existing?.kind === 'seq' && existing.flow) {
    const last = lastChild(existing);
    const at = last === undefined ? existing.start + 1 : nodeEnd(source, last);
    const items = results.map((result) => JSON.stringify(result)).join(', ');
    return { start: at, end: at, text: last === undefined ? items : `, ${items}` };
  }
  if (existing?.kind === 'seq' && value.kind !== 'alias') {
    const at = afterLine(source, nodeEnd(source, existing));
    const indent = ' '.repeat(columnOf(source, existing.start));
    return { start: at.position, end: at.position, text: at.prefix + blockItems(results, indent, newline) };
  }
  if (existing?.kind === 'scalar' && value.kind === 'scalar' && scalarType(source, existing) === 'null') {
    // `results:` or `results: null`: a flow list reads the same in block and flow context.
    const { valueStart, valueEnd } = existing.event;
    const flow = `[${results.map((result) => JSON.stringify(result)).join(', ')}]`;
    return { start: valueStart, end: valueEnd, text: valueStart === valueEnd ? ` ${flow}` : flow };
  }
  throw new UnusableInputError('ResourceList.results must be a list');
}

function addResultsKey(source: string, root: MapNode, results: readonly Result[], newline: string): Edit {
  const last = lastChild(root);
  const firstKey = root.keys[0];
  if (root.flow) {
    const at = last === undefined ? root.start + 1 : nodeEnd(source, last);
    const list = `"results": [${results.map((result) => JSON.stringify(result)).join(', ')}]`;
    const separator = last === undefined ? '' : ',';
    const multiline = firstKey !== undefined && source.slice(root.start, startOf(firstKey)).includes('\n');
    const indent = firstKey === undefined ? '' : ' '.repeat(columnOf(source, startOf(firstKey)));
    const text = multiline ? `${separator}${newline}${indent}${list}` : `${separator} ${list}`;
    if (last === undefined) flowCloserAfter(source, at);
    return { start: at, end: at, text };
  }
  const at = afterLine(source, last === undefined ? root.start : nodeEnd(source, last));
  const column = firstKey === undefined ? 0 : columnOf(source, startOf(firstKey));
  const indent = ' '.repeat(column);
  return { start: at.position, end: at.position, text: `${at.prefix}${indent}results:${newline}${blockItems(results, indent, newline)}` };
}

/** Renders results as block sequence items at the given indentation. */
function blockItems(results: readonly Result[], indent: string, newline: string): string {
  const text = dump(results, { lineWidth: -1, noRefs: true });
  return text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => `${indent}${line}${newline}`)
    .join('');
}

/** The start of the line after `position`, and a line break to add first when the text ends without one. */
function afterLine(source: string, position: number): { position: number; prefix: string } {
  if (position === 0 || source.charAt(position - 1) === '\n') return { position, prefix: '' };
  const newline = source.indexOf('\n', position);
  if (newline !== -1) return { position: newline + 1, prefix: '' };
  return { position: source.length, prefix: source.includes('\r\n') ? '\r\n' : '\n' };
}
