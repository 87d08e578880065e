import { dump } from 'js-yaml';
import { UnusableInputError } from './resource-list.js';
import type { Result } from './results.js';
import { columnOf, flowCloserAfter, nodeEnd, type Edit } from './splice.js';
import type { NodeId, YamlTree } from './yaml-tree.js';
import { scalarType } from './yaml-value.js';

// Results are appended as text, so the rest of the ResourceList (including
// results other functions wrote before us) stays byte for byte.

/** The edit that appends `results` to the ResourceList's `results` list, creating it when absent. */
export function appendResultsEdit(tree: YamlTree, root: NodeId, results: readonly Result[]): Edit | undefined {
  if (results.length === 0) return undefined;
  const { source } = tree;
  const newline = source.includes('\r\n') ? '\r\n' : '\n';
  const value = tree.get(root, 'results');
  if (value === undefined) return addResultsKey(tree, root, results, newline);

  const existing = tree.deref(value);
  const kind = tree.kind(existing);
  if (kind === 'seq' && tree.isFlow(existing)) {
    const last = tree.lastChild(existing);
    const at = last === undefined ? tree.startOf(existing) + 1 : nodeEnd(tree, last);
    const items = flowItems(results);
    return { start: at, end: at, text: last === undefined ? items : `, ${items}` };
  }
  if (kind === 'seq' && tree.kind(value) !== 'alias') {
    const at = afterLine(source, nodeEnd(tree, existing));
    const indent = ' '.repeat(columnOf(source, tree.startOf(existing)));
    return { start: at.position, end: at.position, text: at.prefix + blockItems(results, indent, newline) };
  }
  if (kind === 'scalar' && tree.kind(value) === 'scalar' && scalarType(tree, existing) === 'null') {
    // `results:` or `results: null`: a flow list reads the same in block and flow context.
    const { valueStart, valueEnd } = tree.scalar(existing);
    const flow = `[${flowItems(results)}]`;
    return { start: valueStart, end: valueEnd, text: valueStart === valueEnd ? ` ${flow}` : flow };
  }
  throw new UnusableInputError('ResourceList.results must be a list');
}

function addResultsKey(tree: YamlTree, root: NodeId, results: readonly Result[], newline: string): Edit {
  const { source } = tree;
  const last = tree.lastChild(root);
  const firstKey = tree.firstChild(root);
  const start = tree.startOf(root);
  if (tree.isFlow(root)) {
    const at = last === undefined ? start + 1 : nodeEnd(tree, last);
    const list = `"results": [${flowItems(results)}]`;
    const separator = last === undefined ? '' : ',';
    const multiline = firstKey !== undefined && source.slice(start, tree.startOf(firstKey)).includes('\n');
    const indent = firstKey === undefined ? '' : ' '.repeat(columnOf(source, tree.startOf(firstKey)));
    const text = multiline ? `${separator}${newline}${indent}${list}` : `${separator} ${list}`;
    if (last === undefined) flowCloserAfter(source, at);
    return { start: at, end: at, text };
  }
  const at = afterLine(source, last === undefined ? start : nodeEnd(tree, last));
  const column = firstKey === undefined ? 0 : columnOf(source, tree.startOf(firstKey));
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

/** Results as the items of a flow list: JSON, which is flow YAML. */
function flowItems(results: readonly Result[]): string {
  return results.map((result) => JSON.stringify(result)).join(', ');
}
