import { SCALAR_STYLE } from 'js-yaml';
import type { NodeId, YamlTree } from './yaml-tree.js';

// Converts a subtree to plain data, for the few places that need values
// rather than source text (the functionConfig). Plain scalars resolve with
// the YAML 1.2 core schema, as kpt and kustomize (go-yaml v3) read them.

const NULL = /^(?:~|null|Null|NULL|)$/;
const BOOL = /^(?:true|True|TRUE|false|False|FALSE)$/;
const INT = /^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$/;
const FLOAT = /^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;

/** The type a plain scalar resolves to under the core schema. */
export type ScalarType = 'null' | 'boolean' | 'number' | 'string';

/** Tells how a scalar resolves: quoted and block scalars and `!!str` are always strings. */
export function scalarType(tree: YamlTree, node: NodeId): ScalarType {
  const { source } = tree;
  const event = tree.scalar(node);
  if (event.tagStart >= 0) {
    const tag = source.slice(event.tagStart, event.tagEnd);
    if (tag === '!!str' || tag === '!') return 'string';
  }
  if (event.style !== SCALAR_STYLE.PLAIN) return 'string';
  const text = source.slice(event.valueStart, event.valueEnd);
  if (NULL.test(text)) return 'null';
  if (BOOL.test(text)) return 'boolean';
  if (INT.test(text) || FLOAT.test(text)) return 'number';
  return 'string';
}

/** Thrown when alias expansion would exceed the budget (a "billion laughs" document). */
export class AliasBudgetError extends Error {
  readonly code = 'ERR_YAML_ALIASES';
  constructor(limit: number) {
    super(`YAML expands to more than ${limit} nodes through aliases; refusing to expand it`);
    this.name = 'AliasBudgetError';
  }
}

/** Converts a subtree to plain data, expanding at most `budget` nodes. */
export function toPlainValue(tree: YamlTree, node: NodeId | undefined, budget = 100_000): unknown {
  let remaining = budget;
  const convert = (current: NodeId | undefined): unknown => {
    if (current === undefined) return null;
    if (--remaining < 0) throw new AliasBudgetError(budget);
    switch (tree.kind(current)) {
      case 'alias':
        return convert(tree.deref(current));
      case 'seq':
        return tree.items(current).map(convert);
      case 'map': {
        const result: Record<string, unknown> = {};
        tree.forEachEntry(current, (key, value) => {
          const keyNode = tree.deref(key);
          if (tree.kind(keyNode) !== 'scalar') return;
          Object.defineProperty(result, tree.scalarValue(keyNode), { value: convert(value), enumerable: true, writable: true, configurable: true });
        });
        return result;
      }
      case 'scalar': {
        const text = tree.scalarValue(current);
        switch (scalarType(tree, current)) {
          case 'null':
            return null;
          case 'boolean':
            return text.toLowerCase() === 'true';
          case 'number':
            return parseNumber(text);
          default:
            return text;
        }
      }
    }
  };
  return convert(node);
}

function parseNumber(text: string): number {
  if (/^0o/.test(text)) return parseInt(text.slice(2), 8);
  if (/^0x/.test(text)) return parseInt(text.slice(2), 16);
  if (/\.(inf|Inf|INF)$/.test(text)) return text.startsWith('-') ? -Infinity : Infinity;
  if (/\.(nan|NaN|NAN)$/.test(text)) return NaN;
  return Number(text);
}
