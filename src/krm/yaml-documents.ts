import { EVENT_ID, YAMLException, parseEvents, type Event } from 'js-yaml';
import { YamlTree, type NodeId } from './yaml-tree.js';

// Parses a YAML stream with js-yaml's event parser and indexes the events in one pass: where each
// collection closes, each node's parent, what each alias points at. The same pass refuses what
// YAML forbids and the parser lets through: duplicate keys and aliases to unknown anchors.

/** A parsed YAML stream: one tree, with a root in it per document. */
export interface YamlStream {
  readonly tree: YamlTree;
  readonly documents: readonly YamlDocument[];
}

/** One document of a stream: its root, and whether it uses aliases at all. */
export interface YamlDocument {
  readonly root: NodeId | undefined;
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

/** Mappings with this many keys get a set of key names for the duplicate check; smaller ones are scanned. */
const LARGE_MAP_KEYS = 16;

/** Parses a YAML stream into one tree, with a root per document. */
export function parseYamlStream(source: string, limits: ParseLimits = {}): YamlStream {
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
  return indexEvents(source, events);
}

function indexEvents(source: string, events: readonly Event[]): YamlStream {
  const close = new Int32Array(events.length);
  const parent = new Int32Array(events.length);
  const targets = new Map<NodeId, NodeId>();
  const aliases = new Map<NodeId, NodeId[]>();
  const tree = new YamlTree({ source, events, close, parent, targets, aliases });
  const documents: YamlDocument[] = [];
  const syntaxError = (reason: string, offset: number): YamlSyntaxError => {
    const before = source.slice(0, offset);
    return new YamlSyntaxError(reason, before.split('\n').length, offset - before.lastIndexOf('\n'));
  };

  // The open collections, innermost last; for each, how many children it has so far. The keys of
  // every open mapping sit in one shared array, each mapping's from keyBase on: no array per mapping.
  const open: NodeId[] = [];
  const childCount: number[] = [];
  const keyBase: number[] = [];
  const keys: NodeId[] = [];
  const largeMaps = new Map<NodeId, Set<string>>();
  let anchors = new Map<string, NodeId>();
  let document: { root: NodeId | undefined; hasAliases: boolean; nodeCount: number } | undefined;

  const isDuplicateKey = (map: NodeId, key: NodeId, from: number): boolean => {
    const count = keys.length - from;
    if (count < LARGE_MAP_KEYS) {
      for (let i = from; i < keys.length; i++) {
        const other = tree.deref(keys[i] as NodeId);
        if (tree.kind(other) === 'scalar' && tree.sameScalar(other, key)) return true;
      }
      return false;
    }
    let names = largeMaps.get(map);
    if (names === undefined) {
      names = new Set();
      for (let i = from; i < keys.length; i++) {
        const other = tree.deref(keys[i] as NodeId);
        if (tree.kind(other) === 'scalar') names.add(tree.scalarValue(other));
      }
      largeMaps.set(map, names);
    }
    const name = tree.scalarValue(key);
    if (names.has(name)) return true;
    names.add(name);
    return false;
  };

  const attach = (node: NodeId): void => {
    if (document === undefined) return;
    document.nodeCount++;
    const depth = open.length - 1;
    if (depth < 0) {
      parent[node] = -1;
      document.root = node;
      return;
    }
    const container = open[depth] as NodeId;
    parent[node] = container;
    const index = (childCount[depth] as number) + 1;
    childCount[depth] = index;
    // In a mapping, odd children are keys. YAML forbids duplicate keys and kpt and kustomize (go-yaml
    // v3) refuse them; readers that accept them disagree on which value wins, so an image could slip
    // through unpinned.
    if (events[container]?.type !== EVENT_ID.MAPPING || index % 2 === 0) return;
    const key = tree.deref(node);
    if (tree.kind(key) === 'scalar' && isDuplicateKey(container, key, keyBase[depth] as number)) {
      throw syntaxError(`duplicate mapping key ${JSON.stringify(tree.scalarValue(key))}`, tree.startOf(node));
    }
    keys.push(node);
  };

  const anchor = (node: NodeId, event: { anchorStart: number; anchorEnd: number }): void => {
    if (event.anchorStart >= 0) anchors.set(source.slice(event.anchorStart, event.anchorEnd), node);
  };

  for (let i = 0; i < events.length; i++) {
    const event = events[i] as Event;
    switch (event.type) {
      case EVENT_ID.DOCUMENT:
        document = { root: undefined, hasAliases: false, nodeCount: 0 };
        anchors = new Map();
        break;
      case EVENT_ID.MAPPING:
      case EVENT_ID.SEQUENCE:
        anchor(i, event);
        attach(i);
        open.push(i);
        childCount.push(0);
        keyBase.push(keys.length);
        break;
      case EVENT_ID.SCALAR:
        anchor(i, event);
        attach(i);
        break;
      case EVENT_ID.ALIAS: {
        const name = source.slice(event.anchorStart, event.anchorEnd);
        const target = anchors.get(name);
        if (target === undefined) throw syntaxError(`unknown anchor ${JSON.stringify(name)} referenced by an alias`, tree.startOf(i));
        if (document !== undefined) document.hasAliases = true;
        targets.set(i, target);
        const list = aliases.get(target);
        if (list === undefined) aliases.set(target, [i]);
        else list.push(i);
        attach(i);
        break;
      }
      case EVENT_ID.POP:
        if (open.length > 0) {
          close[open.pop() as NodeId] = i;
          childCount.pop();
          keys.length = keyBase.pop() as number;
        } else if (document !== undefined) {
          documents.push(document);
          document = undefined;
        }
        break;
    }
  }
  return { tree, documents };
}

/**
 * The number of nodes the document holds once every alias is expanded, as
 * kpt, kustomize and kubectl will expand it; Infinity for a recursive alias.
 * Memoized, so a "billion laughs" document is measured without expanding it.
 */
export function expandedSize(tree: YamlTree, root: NodeId | undefined): number {
  const memo = new Map<NodeId, number>();
  const inProgress = new Set<NodeId>();
  const size = (node: NodeId | undefined): number => {
    if (node === undefined) return 1;
    if (tree.kind(node) === 'alias') return size(tree.deref(node));
    const known = memo.get(node);
    if (known !== undefined) return known;
    if (inProgress.has(node)) return Number.POSITIVE_INFINITY;
    inProgress.add(node);
    let total = 1;
    const kind = tree.kind(node);
    if (kind === 'map') tree.forEachEntry(node, (key, value) => (total += size(key) + size(value)));
    if (kind === 'seq') for (const item of tree.items(node)) total += size(item);
    inProgress.delete(node);
    memo.set(node, total);
    return total;
  };
  return size(root);
}
