import { load } from 'js-yaml';

// The YAML tree that the splice property tests generate ResourceLists from,
// and a hand-written printer for it in block and flow styles (js-yaml's dump
// would only ever write one style).

// ---------------------------------------------------------------------------
// The tree

/** An image as generated, with the cache key digester resolves it under. */
export interface Image {
  readonly text: string;
  /** `registry/repository:tag-or-latest`, what fakeDigest hashes. */
  readonly key: string;
  readonly hasDigest: boolean;
  /** Tagged `does-not-exist`, which EverythingSource refuses. */
  readonly missing: boolean;
}

/** How an image scalar is written: plain, quoted, escaped, split over lines, or as a block scalar. */
export type ImageStyle = 'plain' | 'single' | 'double' | 'escaped' | 'multiline' | 'literal' | 'folded';

/** An image field's value, with how it is written (style, tag, anchor or alias). */
export interface ImageLeaf {
  readonly kind: 'image';
  readonly image: Image;
  readonly style: ImageStyle;
  readonly tag: '' | '!!str ' | '! ';
  readonly anchor: boolean;
  /** Print an alias to an earlier anchored image instead, when there is one. */
  readonly alias: number | undefined;
  /** Which characters the `escaped` style writes as escapes, and where `multiline` breaks. */
  readonly noise: number;
}

/** A scalar written the same in block and flow context, or `flow` there. */
export interface ScalarLeaf {
  readonly kind: 'scalar';
  readonly text: string;
  readonly flow?: string;
}

/** A literal or folded block scalar: its header and content lines. */
export interface BlockScalarLeaf {
  readonly kind: 'block';
  readonly header: string;
  readonly lines: readonly string[];
}

/** How a collection is written: flow or block, and the layout options of each. */
export interface Style {
  readonly flow: boolean;
  readonly multiline: boolean;
  readonly indentless: boolean;
  readonly trailingComma: boolean;
}

/** One key/value entry of a mapping, with comments around it. */
export interface Entry {
  readonly key: string;
  readonly value: YamlNode;
  /** Comment or blank lines written before the entry. */
  readonly before: readonly string[];
  readonly trailing: string;
}

/** A mapping node. */
export interface MapNode {
  readonly kind: 'map';
  readonly entries: readonly Entry[];
  readonly style: Style;
}

/** A sequence node. */
export interface SeqNode {
  readonly kind: 'seq';
  readonly items: readonly YamlNode[];
  readonly style: Style;
}

/**
 * An alias, in a field that is not an image, to an earlier anchored image
 * (`decoy` when there is none yet): digester must refuse to pin that image.
 */
export interface DecoyLeaf {
  readonly kind: 'decoy';
  readonly pick: number;
}

/** Any node of the generated tree. */
export type YamlNode = ImageLeaf | ScalarLeaf | BlockScalarLeaf | DecoyLeaf | MapNode | SeqNode;

/** A generated ResourceList: its root, text around it, and the items marked local-config. */
export interface ResourceListDoc {
  readonly root: MapNode;
  /** The column of the top-level keys: a whole document may be indented. */
  readonly rootIndent: number;
  readonly header: string;
  readonly footer: string;
  readonly localItems: ReadonlySet<YamlNode>;
  readonly hasResults: boolean;
  /** `results: null`, `~` or empty, which digester replaces with a list. */
  readonly resultsWereNull: boolean;
}

// ---------------------------------------------------------------------------
// The printer

/** Where a value sits in the loaded document: map keys and sequence indexes. */
export type Path = ReadonlyArray<string | number>;

/** One image field in the printed text. */
export interface Occurrence {
  readonly path: Path;
  /** The leaf that owns the scalar (an alias's target). */
  readonly scalar: ImageLeaf;
  readonly local: boolean;
}

/** What is appended to an image: nothing for the input, `@digest` where the expected output has one. */
type PinSuffix = (leaf: ImageLeaf, local: boolean) => string;

const isBlockCollection = (node: YamlNode): node is MapNode | SeqNode =>
  (node.kind === 'map' && node.entries.length > 0 && !node.style.flow) || (node.kind === 'seq' && node.items.length > 0 && !node.style.flow);

/** `width` spaces. */
export const indentation = (width: number): string => ' '.repeat(width);

/** js-yaml reads it as this very string (not a number, boolean, null or date). */
function readsAsItself(text: string): boolean {
  try {
    return (load(`k: ${text}`) as { k: unknown }).k === text;
  } catch {
    return false;
  }
}

/** Prints a ResourceListDoc as YAML text, recording where each image field ends up. */
export class Printer {
  readonly occurrences: Occurrence[] = [];
  /** Anchored images that a field other than an image also points at. */
  readonly shared = new Set<ImageLeaf>();
  readonly #anchors = new Map<ImageLeaf, string>();
  readonly #pin: PinSuffix;
  readonly #localItems: ReadonlySet<YamlNode>;

  constructor(pin: PinSuffix, localItems: ReadonlySet<YamlNode>) {
    this.#pin = pin;
    this.#localItems = localItems;
  }

  print(doc: ResourceListDoc): string {
    const lines: string[] = [];
    if (isBlockCollection(doc.root)) this.#block(doc.root, doc.rootIndent, [], false, lines);
    else lines.push(indentation(doc.rootIndent) + this.#inline(doc.root, doc.rootIndent, [], false));
    return doc.header + lines.join('\n') + doc.footer;
  }

  /** Writes a non-empty block collection whose entries sit at column `indent`. */
  #block(node: MapNode | SeqNode, indent: number, path: Path, local: boolean, out: string[], skipFirstBefore = false): void {
    if (node.kind === 'map') {
      node.entries.forEach((entry, index) => {
        if (!(skipFirstBefore && index === 0)) out.push(...entry.before.map((line) => (line === '' ? '' : indentation(indent) + line)));
        this.#value(`${indentation(indent)}${entry.key}:`, entry.value, indent, [...path, unquote(entry.key)], local, entry.trailing, true, out);
      });
      return;
    }
    node.items.forEach((item, index) => {
      const itemPath = [...path, index];
      const itemLocal = local || this.#localItems.has(item);
      if (item.kind === 'map' && isBlockCollection(item)) {
        // `- key: value`: the first entry shares the dash's line.
        out.push(...(item.entries[0]?.before ?? []).map((line) => (line === '' ? '' : indentation(indent) + line)));
        const lines: string[] = [];
        this.#block(item, indent + 2, itemPath, itemLocal, lines, true);
        lines[0] = `${indentation(indent)}- ${(lines[0] ?? '').slice(indent + 2)}`;
        out.push(...lines);
      } else {
        this.#value(`${indentation(indent)}-`, item, indent, itemPath, itemLocal, '', false, out);
      }
    });
  }

  /** Writes `lead` (`key:` or `-`) and a value in block context. */
  #value(lead: string, node: YamlNode, indent: number, path: Path, local: boolean, trailing: string, inMap: boolean, out: string[]): void {
    if (isBlockCollection(node)) {
      out.push(lead);
      const childIndent = node.kind === 'seq' && node.style.indentless && inMap ? indent : indent + 2;
      this.#block(node, childIndent, path, local, out);
    } else if (node.kind === 'block') {
      out.push(`${lead} ${node.header}`, ...node.lines.map((line) => (line === '' ? '' : indentation(indent + 2) + line)));
    } else if (node.kind === 'image' && ['literal', 'folded', 'multiline'].includes(node.style)) {
      const text = this.#image(node, path, local, false, indent + 2);
      // A block scalar's comment goes on its header line; after the content it would be content.
      const at = node.style === 'multiline' || text.startsWith('*') ? text.length : text.indexOf('\n');
      out.push(`${lead} ${text.slice(0, at)}${trailing}${text.slice(at)}`);
    } else {
      out.push(`${lead} ${this.#inline(node, indent, path, local)}${trailing}`);
    }
  }

  /** Writes a node in flow context; multi-line flow collections are indented from `indent`. */
  #inline(node: YamlNode, indent: number, path: Path, local: boolean): string {
    switch (node.kind) {
      case 'scalar':
        return node.flow ?? node.text;
      case 'block':
        return JSON.stringify(node.lines.join('\n'));
      case 'decoy': {
        const target = [...this.#anchors][node.pick % Math.max(1, this.#anchors.size)];
        if (target === undefined) return 'decoy';
        this.shared.add(target[0]);
        return `*${target[1]}`;
      }
      case 'image':
        return this.#image(node, path, local, true, indent + 2);
      case 'map':
      case 'seq': {
        const parts =
          node.kind === 'map'
            ? node.entries.map((entry) => `${entry.key}: ${this.#inline(entry.value, indent + 4, [...path, unquote(entry.key)], local)}`)
            : node.items.map((item, index) => this.#inline(item, indent + 4, [...path, index], local || this.#localItems.has(item)));
        const [open, close] = node.kind === 'map' ? ['{', '}'] : ['[', ']'];
        const comma = node.style.trailingComma && parts.length > 0 ? ',' : '';
        if (!node.style.multiline || parts.length === 0) return `${open}${parts.join(', ')}${comma}${close}`;
        const inner = parts.map((part, index) => `${indentation(indent + 4)}${part}${index < parts.length - 1 ? ',' : comma}${index % 2 === 1 ? ' # flow comment' : ''}`);
        return `${open}\n${inner.join('\n')}\n${indentation(indent + 2)}${close}`;
      }
    }
  }

  /** Writes an image scalar, or an alias to an earlier one, and records the occurrence. */
  #image(leaf: ImageLeaf, path: Path, local: boolean, flow: boolean, contentIndent: number): string {
    // Local-config resources are never edited, so they hold no anchors or aliases the model would have to follow.
    const anchored = [...this.#anchors];
    const target = !local && leaf.alias !== undefined ? anchored[leaf.alias % Math.max(1, anchored.length)] : undefined;
    if (target !== undefined) {
      this.occurrences.push({ path, scalar: target[0], local });
      return `*${target[1]}`;
    }
    this.occurrences.push({ path, scalar: leaf, local });
    let anchor = '';
    if (leaf.anchor && !local) {
      anchor = `&img${this.#anchors.size} `;
      this.#anchors.set(leaf, anchor.slice(1, -1));
    }
    const { text } = leaf.image;
    const suffix = this.#pin(leaf, local);
    const plainOk = !text.includes('[') && (leaf.tag !== '' || readsAsItself(text));
    let style = leaf.style;
    if (flow && ['literal', 'folded', 'multiline'].includes(style)) style = 'double';
    if (style === 'multiline' && text.length < 2) style = 'double';
    if (style === 'plain' && !plainOk) style = 'single';
    const prefix = `${anchor}${leaf.tag}`;
    switch (style) {
      case 'plain':
        return `${prefix}${text}${suffix}`;
      case 'single':
        return `${prefix}'${text}${suffix}'`;
      case 'double':
        return `${prefix}"${text}${suffix}"`;
      case 'escaped':
        return `${prefix}"${[...text].map((char, index) => escapeChar(char, leaf.noise >> index % 24)).join('')}${suffix}"`;
      case 'multiline': {
        // An escaped line break joins the lines without a space.
        const at = 1 + (leaf.noise % (text.length - 1));
        return `${prefix}"${text.slice(0, at)}\\\n${indentation(contentIndent)}${text.slice(at)}${suffix}"`;
      }
      case 'literal':
      case 'folded':
        return `${prefix}${style === 'literal' ? '|-' : '>-'}\n${indentation(contentIndent)}${text}${suffix}`;
    }
  }
}

function escapeChar(char: string, bits: number): string {
  if ((bits & 1) === 0) return char;
  if (char === '/') return '\\/';
  const code = char.charCodeAt(0).toString(16).padStart(4, '0');
  return (bits & 2) === 0 ? `\\x${code.slice(2)}` : `\\u${code}`;
}

/** The key as js-yaml reads it (keys are plain, or quoted without escapes). */
const unquote = (key: string): string => (/^["']/.test(key) ? key.slice(1, -1) : key);
