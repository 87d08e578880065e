import { COLLECTION_STYLE, EVENT_ID, SCALAR_STYLE, getScalarValue, type Event, type ScalarEvent } from 'js-yaml';

// A tree over js-yaml's event stream that allocates nothing per node. A node is the index of the
// event that starts it; each collection knows the index of the event that closes it, so a subtree
// is skipped in one step. It keeps source offsets, never values rewritten by a schema, so the
// processor can find image scalars and splice the original text instead of re-serializing it
// (which would lose comments, quoting, `0755`, dates and key order).
//
// A large list has hundreds of thousands of nodes. An object per node, with arrays of children,
// cost more than js-yaml's parse itself, most of it in the garbage collector (README, "Benchmark").

/** A node: the index of its first event in the stream. */
export type NodeId = number;

/** What a node is. */
export type NodeKind = 'scalar' | 'map' | 'seq' | 'alias';

/** What parseYamlStream (yaml-documents.ts) hands over to build a tree. */
export interface TreeParts {
  readonly source: string;
  readonly events: readonly Event[];
  /** Per collection event, the index of the event that closes it. */
  readonly close: Int32Array;
  /** Per node, the collection it sits in, or -1 for a document root. */
  readonly parent: Int32Array;
  /** Alias → the node its anchor named (anchors belong to scalars and collections). */
  readonly targets: ReadonlyMap<NodeId, NodeId>;
  /** Anchored node → the aliases that point at it, in document order. */
  readonly aliases: ReadonlyMap<NodeId, readonly NodeId[]>;
}

/** The nodes of one YAML stream (all its documents), read from the source text. */
export class YamlTree {
  readonly source: string;
  readonly #events: readonly Event[];
  readonly #close: Int32Array;
  readonly #parent: Int32Array;
  readonly #targets: ReadonlyMap<NodeId, NodeId>;
  readonly #aliases: ReadonlyMap<NodeId, readonly NodeId[]>;

  constructor(parts: TreeParts) {
    this.source = parts.source;
    this.#events = parts.events;
    this.#close = parts.close;
    this.#parent = parts.parent;
    this.#targets = parts.targets;
    this.#aliases = parts.aliases;
  }

  kind(node: NodeId): NodeKind {
    switch (this.#events[node]?.type) {
      case EVENT_ID.SCALAR:
        return 'scalar';
      case EVENT_ID.MAPPING:
        return 'map';
      case EVENT_ID.SEQUENCE:
        return 'seq';
      case EVENT_ID.ALIAS:
        return 'alias';
      default:
        throw new Error(`event ${node} does not start a node`);
    }
  }

  /** Follows an alias to the node it stands for. */
  deref(node: NodeId): NodeId;
  deref(node: NodeId | undefined): NodeId | undefined;
  deref(node: NodeId | undefined): NodeId | undefined {
    if (node === undefined || this.#events[node]?.type !== EVENT_ID.ALIAS) return node;
    return this.#targets.get(node);
  }

  /** Whether the node (after aliases) is a mapping, sequence or scalar. */
  is(node: NodeId | undefined, kind: Exclude<NodeKind, 'alias'>): node is NodeId {
    const resolved = this.deref(node);
    return resolved !== undefined && this.kind(resolved) === kind;
  }

  /** Looks a key up in a mapping (following aliases on the way). */
  get(node: NodeId | undefined, name: string): NodeId | undefined {
    const map = this.deref(node);
    if (map === undefined || this.#events[map]?.type !== EVENT_ID.MAPPING) return undefined;
    const close = this.#close[map] as number;
    for (let key = map + 1; key < close; ) {
      const value = this.#next(key);
      const resolved = this.deref(key);
      if (this.#events[resolved]?.type === EVENT_ID.SCALAR && this.#scalarIs(resolved, name)) return value;
      key = this.#next(value);
    }
    return undefined;
  }

  /** Reads a string-valued key of a mapping, or undefined. */
  getString(node: NodeId | undefined, name: string): string | undefined {
    const value = this.deref(this.get(node, name));
    return value !== undefined && this.#events[value]?.type === EVENT_ID.SCALAR ? this.scalarValue(value) : undefined;
  }

  /** Calls `visit` for each key and value of a mapping, in document order. */
  forEachEntry(map: NodeId, visit: (key: NodeId, value: NodeId) => void): void {
    if (this.#events[map]?.type !== EVENT_ID.MAPPING) return;
    const close = this.#close[map] as number;
    for (let key = map + 1; key < close; ) {
      const value = this.#next(key);
      visit(key, value);
      key = this.#next(value);
    }
  }

  /** The items of a sequence (none for anything else). */
  items(seq: NodeId): NodeId[] {
    const items: NodeId[] = [];
    if (this.#events[seq]?.type !== EVENT_ID.SEQUENCE) return items;
    const close = this.#close[seq] as number;
    for (let item = seq + 1; item < close; item = this.#next(item)) items.push(item);
    return items;
  }

  /** The first child of a collection (a mapping's first key), if any. */
  firstChild(node: NodeId): NodeId | undefined {
    if (!this.#isCollection(node)) return undefined;
    return node + 1 < (this.#close[node] as number) ? node + 1 : undefined;
  }

  /** The last child of a collection in source order (a mapping's last value), if any. */
  lastChild(node: NodeId): NodeId | undefined {
    if (!this.#isCollection(node)) return undefined;
    const close = this.#close[node] as number;
    let last: NodeId | undefined;
    for (let child = node + 1; child < close; child = this.#next(child)) last = child;
    return last;
  }

  /** The collection a node sits in; undefined for a document root. */
  parent(node: NodeId): NodeId | undefined {
    const parent = this.#parent[node] as number;
    return parent < 0 ? undefined : parent;
  }

  /** The aliases that point at a node (only anchored nodes ever have any). */
  aliasesOf(node: NodeId): readonly NodeId[] {
    return this.#aliases.get(node) ?? [];
  }

  /** The event of a scalar node. */
  scalar(node: NodeId): ScalarEvent {
    const event = this.#events[node];
    if (event?.type !== EVENT_ID.SCALAR) throw new Error(`node ${node} is not a scalar`);
    return event;
  }

  /** Decodes a scalar's value, taking the raw slice when js-yaml says it is safe to. */
  scalarValue(node: NodeId): string {
    const event = this.scalar(node);
    return event.fast ? this.source.slice(event.valueStart, event.valueEnd) : getScalarValue(this.source, event);
  }

  /** Whether two scalars have the same value. */
  sameScalar(a: NodeId, b: NodeId): boolean {
    const x = this.scalar(a);
    const y = this.scalar(b);
    if (!x.fast || !y.fast) return this.scalarValue(a) === this.scalarValue(b);
    const length = x.valueEnd - x.valueStart;
    if (y.valueEnd - y.valueStart !== length) return false;
    for (let i = 0; i < length; i++) if (this.source.charCodeAt(x.valueStart + i) !== this.source.charCodeAt(y.valueStart + i)) return false;
    return true;
  }

  /** Whether a node is a flow collection (`[…]` or `{…}`). */
  isFlow(node: NodeId): boolean {
    const event = this.#events[node];
    return (event?.type === EVENT_ID.MAPPING || event?.type === EVENT_ID.SEQUENCE) && event.style === COLLECTION_STYLE.FLOW;
  }

  /** The offset where a node's text starts (a quoted scalar's opening quote, an alias's `*`). */
  startOf(node: NodeId): number {
    return eventStart(this.#events[node] as Event);
  }

  /** For an alias, the offset just past its name. */
  aliasEnd(node: NodeId): number {
    const event = this.#events[node];
    if (event?.type !== EVENT_ID.ALIAS) throw new Error(`node ${node} is not an alias`);
    return event.anchorEnd;
  }

  /** The index just past a node and everything in it: its next sibling, if it has one. */
  #next(node: NodeId): NodeId {
    return this.#isCollection(node) ? (this.#close[node] as number) + 1 : node + 1;
  }

  #isCollection(node: NodeId): boolean {
    const type = this.#events[node]?.type;
    return type === EVENT_ID.MAPPING || type === EVENT_ID.SEQUENCE;
  }

  /** Whether a scalar's value is `text`, comparing in the source when it can (no string is made). */
  #scalarIs(node: NodeId, text: string): boolean {
    const event = this.#events[node] as ScalarEvent;
    if (!event.fast) return getScalarValue(this.source, event) === text;
    return event.valueEnd - event.valueStart === text.length && this.source.startsWith(text, event.valueStart);
  }
}

/** Where the text of the node an event starts begins; -1 for events that start none. */
function eventStart(event: Event): number {
  switch (event.type) {
    case EVENT_ID.SCALAR:
      return event.style === SCALAR_STYLE.SINGLE_QUOTED || event.style === SCALAR_STYLE.DOUBLE_QUOTED ? event.valueStart - 1 : event.valueStart;
    case EVENT_ID.MAPPING:
    case EVENT_ID.SEQUENCE:
      return event.start;
    case EVENT_ID.ALIAS:
      return event.anchorStart - 1;
    default:
      return -1;
  }
}
