import {
  COLLECTION_STYLE,
  EVENT_ID,
  SCALAR_STYLE,
  YAMLException,
  getScalarValue,
  parseEvents,
  type Event,
  type ScalarEvent,
} from 'js-yaml';

// A thin tree over js-yaml's event stream. It keeps source offsets, never
// values rewritten by a schema, so the processor can find image scalars and
// splice the original text instead of re-serializing it (which would lose
// comments, quoting, `0755`, dates and key order).

/** A scalar with its source range (quotes excluded). */
export interface ScalarNode {
  readonly kind: 'scalar';
  readonly event: ScalarEvent;
  readonly parent: CollectionNode | undefined;
  readonly anchor: string | undefined;
  /** Aliases that point at this node (only anchored nodes ever have any). */
  aliases?: AliasNode[];
}

/**
 * A mapping: `keys[i]` maps to `values[i]`, in document order. Key names are not stored: a large
 * list has hundreds of thousands of keys, and {@link getEntry} compares them in the source.
 */
export interface MapNode {
  readonly kind: 'map';
  readonly start: number;
  readonly flow: boolean;
  readonly parent: CollectionNode | undefined;
  readonly anchor: string | undefined;
  aliases?: AliasNode[];
  readonly source: string;
  readonly keys: TreeNode[];
  readonly values: TreeNode[];
}

/** A sequence. */
export interface SeqNode {
  readonly kind: 'seq';
  readonly start: number;
  readonly flow: boolean;
  readonly parent: CollectionNode | undefined;
  readonly anchor: string | undefined;
  aliases?: AliasNode[];
  readonly items: TreeNode[];
}

/** An alias (`*name`) and the node it stands for. */
export interface AliasNode {
  readonly kind: 'alias';
  readonly start: number;
  readonly end: number;
  readonly parent: CollectionNode | undefined;
  /** Anchors belong to scalars and collections, so one step reaches the node an alias stands for. */
  readonly target: AnchorableNode;
}

/** Any node with children. */
export type CollectionNode = MapNode | SeqNode;
/** Any node of the tree. */
export type TreeNode = ScalarNode | MapNode | SeqNode | AliasNode;
/** Nodes an alias may point at. */
export type AnchorableNode = ScalarNode | MapNode | SeqNode;

/** One parsed YAML document: its root and whether it uses aliases at all. */
export interface YamlDocument {
  readonly source: string;
  readonly root: TreeNode | undefined;
  readonly hasAliases: boolean;
  /** Nodes written in the text (aliases count once). */
  readonly nodeCount: number;
}

/** A YAML syntax error with a 1-based position. */
export class YamlSyntaxError extends Error {
  readonly code = 'ERR_YAML';
  constructor(reason: string, readonly line: number, readonly column: number) {
    super(`malformed YAML at line ${line}, column ${column}: ${reason}`);
    this.name = 'YamlSyntaxError';
  }
}

/** Limits that keep hostile input from exhausting the process. */
export interface ParseLimits {
  readonly maxDepth?: number;
}

/** Parses a YAML stream into one tree per document. */
export function parseYamlDocuments(source: string, limits: ParseLimits = {}): YamlDocument[] {
  let events: Event[];
  try {
    events = parseEvents(source, { maxDepth: limits.maxDepth ?? 100 });
  } catch (error) {
    if (error instanceof YAMLException) {
      const line = (error.mark?.line ?? 0) + 1;
      const column = (error.mark?.column ?? 0) + 1;
      throw new YamlSyntaxError(error.reason, line, column);
    }
    throw error;
  }
  return new TreeBuilder(source, events).build();
}

/** Decodes a scalar's value, taking the raw slice when js-yaml says it is safe to. */
export function scalarValue(source: string, node: ScalarNode): string {
  const { event } = node;
  return event.fast ? source.slice(event.valueStart, event.valueEnd) : getScalarValue(source, event);
}

/** True for a quoted scalar (single or double). */
export function isQuoted(node: ScalarNode): boolean {
  return node.event.style === SCALAR_STYLE.SINGLE_QUOTED || node.event.style === SCALAR_STYLE.DOUBLE_QUOTED;
}

/** Follows an alias to the node it stands for (an alias to an unknown anchor is a syntax error). */
export function deref(node: TreeNode): AnchorableNode;
export function deref(node: TreeNode | undefined): AnchorableNode | undefined;
export function deref(node: TreeNode | undefined): AnchorableNode | undefined {
  return node?.kind === 'alias' ? node.target : node;
}

/** Looks a key up in a mapping (following aliases on the way). */
export function getEntry(node: TreeNode | undefined, name: string): TreeNode | undefined {
  const map = deref(node);
  if (map?.kind !== 'map') return undefined;
  const { keys, source } = map;
  for (let i = 0; i < keys.length; i++) {
    const key = deref(keys[i] as TreeNode);
    if (key.kind === 'scalar' && scalarIs(source, key, name)) return map.values[i];
  }
  return undefined;
}

/** The name of a mapping key: a scalar's value, or undefined for a collection key. */
export function keyName(source: string, key: TreeNode): string | undefined {
  const node = deref(key);
  return node.kind === 'scalar' ? scalarValue(source, node) : undefined;
}

/** Whether a scalar's value is `text`, comparing in the source when it can (no string is made). */
function scalarIs(source: string, node: ScalarNode, text: string): boolean {
  const { event } = node;
  if (!event.fast) return getScalarValue(source, event) === text;
  return event.valueEnd - event.valueStart === text.length && source.startsWith(text, event.valueStart);
}

/** Whether two scalars have the same value. */
function sameScalar(source: string, a: ScalarNode, b: ScalarNode): boolean {
  const x = a.event;
  const y = b.event;
  if (!x.fast || !y.fast) return scalarValue(source, a) === scalarValue(source, b);
  const length = x.valueEnd - x.valueStart;
  if (y.valueEnd - y.valueStart !== length) return false;
  for (let i = 0; i < length; i++) if (source.charCodeAt(x.valueStart + i) !== source.charCodeAt(y.valueStart + i)) return false;
  return true;
}

/** Reads a string-valued key of a mapping, or undefined. */
export function getString(source: string, node: TreeNode | undefined, name: string): string | undefined {
  const value = deref(getEntry(node, name));
  return value?.kind === 'scalar' ? scalarValue(source, value) : undefined;
}

/** The offset where a node's text starts (a quoted scalar's opening quote). */
export function startOf(node: TreeNode): number {
  if (node.kind === 'scalar') return isQuoted(node) ? node.event.valueStart - 1 : node.event.valueStart;
  return node.start;
}

/** Whether a mapping already has a key named like `key`; records it when it does not. */
function hasKey(map: MapNode, key: ScalarNode, largeMaps: Map<MapNode, Set<string | undefined>>): boolean {
  const { keys, source } = map;
  if (keys.length < 16) {
    for (const other of keys) {
      const node = deref(other);
      if (node.kind === 'scalar' && sameScalar(source, node, key)) return true;
    }
    return false;
  }
  let names = largeMaps.get(map);
  if (names === undefined) {
    names = new Set(keys.map((other) => keyName(source, other)));
    largeMaps.set(map, names);
  }
  const name = scalarValue(source, key);
  if (names.has(name)) return true;
  names.add(name);
  return false;
}

/** Builds trees from the flat event stream with an explicit stack. */
class TreeBuilder {
  readonly #source: string;
  readonly #events: Event[];
  #anchors = new Map<string, AnchorableNode>();
  #hasAliases = false;
  #nodeCount = 0;

  constructor(source: string, events: Event[]) {
    this.#source = source;
    this.#events = events;
  }

  build(): YamlDocument[] {
    const documents: YamlDocument[] = [];
    const stack: CollectionNode[] = [];
    const pendingKeys: Array<TreeNode | undefined> = [];
    // Key sets only for large mappings; small ones are scanned (most mappings have a few keys).
    const largeMaps = new Map<MapNode, Set<string | undefined>>();
    let root: TreeNode | undefined;
    let inDocument = false;

    const attach = (node: TreeNode): void => {
      this.#nodeCount++;
      const parent = stack[stack.length - 1];
      if (parent === undefined) {
        root = node;
      } else if (parent.kind === 'seq') {
        parent.items.push(node);
      } else {
        const key = pendingKeys[pendingKeys.length - 1];
        if (key === undefined) {
          pendingKeys[pendingKeys.length - 1] = node;
        } else {
          const keyNode = deref(key);
          // YAML forbids duplicate keys and kpt and kustomize (go-yaml v3) refuse them; readers
          // that accept them disagree on which value wins, so an image could slip through unpinned.
          if (keyNode.kind === 'scalar' && hasKey(parent, keyNode, largeMaps)) {
            throw this.#syntaxError(`duplicate mapping key ${JSON.stringify(scalarValue(this.#source, keyNode))}`, startOf(key));
          }
          parent.keys.push(key);
          parent.values.push(node);
          pendingKeys[pendingKeys.length - 1] = undefined;
        }
      }
    };

    for (const event of this.#events) {
      const parent = stack[stack.length - 1];
      switch (event.type) {
        case EVENT_ID.DOCUMENT:
          inDocument = true;
          root = undefined;
          this.#anchors = new Map();
          this.#hasAliases = false;
          this.#nodeCount = 0;
          break;
        case EVENT_ID.MAPPING:
        case EVENT_ID.SEQUENCE: {
          // Object literals of one shape each, without spreads: a large list has millions of nodes.
          const start = event.start;
          const flow = event.style === COLLECTION_STYLE.FLOW;
          const anchor = this.#anchorName(event.anchorStart, event.anchorEnd);
          const node: CollectionNode =
            event.type === EVENT_ID.MAPPING
              ? { kind: 'map', start, flow, parent, anchor, source: this.#source, keys: [], values: [] }
              : { kind: 'seq', start, flow, parent, anchor, items: [] };
          this.#register(node);
          attach(node);
          stack.push(node);
          pendingKeys.push(undefined);
          break;
        }
        case EVENT_ID.SCALAR: {
          const anchor = this.#anchorName(event.anchorStart, event.anchorEnd);
          const node: ScalarNode = { kind: 'scalar', event, parent, anchor };
          this.#register(node);
          attach(node);
          break;
        }
        case EVENT_ID.ALIAS: {
          this.#hasAliases = true;
          const name = this.#source.slice(event.anchorStart, event.anchorEnd);
          const target = this.#anchors.get(name);
          if (target === undefined) throw this.#syntaxError(`unknown anchor ${JSON.stringify(name)} referenced by an alias`, event.anchorStart - 1);
          const node: AliasNode = { kind: 'alias', start: event.anchorStart - 1, end: event.anchorEnd, parent, target };
          (target.aliases ??= []).push(node);
          attach(node);
          break;
        }
        case EVENT_ID.POP:
          if (stack.length > 0) {
            stack.pop();
            pendingKeys.pop();
          } else if (inDocument) {
            documents.push({ source: this.#source, root, hasAliases: this.#hasAliases, nodeCount: this.#nodeCount });
            inDocument = false;
          }
          break;
      }
    }
    return documents;
  }

  #syntaxError(reason: string, offset: number): YamlSyntaxError {
    const before = this.#source.slice(0, offset);
    const line = before.split('\n').length;
    return new YamlSyntaxError(reason, line, offset - before.lastIndexOf('\n'));
  }

  #anchorName(start: number, end: number): string | undefined {
    return start < 0 ? undefined : this.#source.slice(start, end);
  }

  #register(node: AnchorableNode): void {
    if (node.anchor !== undefined) this.#anchors.set(node.anchor, node);
  }
}

/**
 * The number of nodes the document holds once every alias is expanded, as
 * kpt, kustomize and kubectl will expand it; Infinity for a recursive alias.
 * Memoized, so a "billion laughs" document is measured without expanding it.
 */
export function expandedSize(root: TreeNode | undefined): number {
  const memo = new Map<TreeNode, number>();
  const inProgress = new Set<TreeNode>();
  const size = (node: TreeNode | undefined): number => {
    if (node === undefined) return 1;
    if (node.kind === 'alias') return size(node.target);
    const known = memo.get(node);
    if (known !== undefined) return known;
    if (inProgress.has(node)) return Number.POSITIVE_INFINITY;
    inProgress.add(node);
    let total = 1;
    if (node.kind === 'map') for (let i = 0; i < node.keys.length; i++) total += size(node.keys[i]) + size(node.values[i]);
    if (node.kind === 'seq') for (const item of node.items) total += size(item);
    inProgress.delete(node);
    memo.set(node, total);
    return total;
  };
  return size(root);
}
