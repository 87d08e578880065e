import type { DigestSource } from '../resolve/index.js';
import type { Settings } from '../settings.js';
import { pinResources, type ImageReport } from './pin.js';
import { readItem, UnusableInputError, type Item } from './resource-list.js';
import { exitCodeFor, type Result } from './results.js';
import type { ResourceSet } from './scan.js';
import { applyEdits } from './splice.js';
import { parseYamlStream, type YamlStream } from './yaml-documents.js';
import { toPlainValue } from './yaml-value.js';

// Plain Kubernetes YAML, as `kubectl apply -f`, `helm template` and kustomize's
// legacy exec plugins use it: a stream of documents, each a resource. The
// same engine as the KRM function pins them, byte for byte; documents that
// are not Kubernetes resources (no apiVersion and kind) are left alone.

/** How to process one stream. */
export interface StreamOptions {
  readonly settings: Settings;
  /** Where digests come from; undefined (or settings.mode `check`) only checks. */
  readonly source?: DigestSource | undefined;
  /** The file the stream came from, for results (`file.path`, with the document index). */
  readonly file?: string | undefined;
  readonly log?: (message: string) => void;
  /** The stream as readResourceStream already read it, when the caller needed it first (for pull secrets). */
  readonly set?: ResourceSet | undefined;
}

/** The pinned text, with what happened to each image. */
export interface StreamOutcome {
  readonly output: string;
  readonly results: readonly Result[];
  readonly reports: readonly ImageReport[];
  readonly edits: number;
  /** How many documents were Kubernetes resources. */
  readonly resources: number;
  readonly exitCode: 0 | 1;
}

/** Reads a YAML stream into the resources it holds. Throws UnusableInputError for malformed YAML. */
export function readResourceStream(text: string, file?: string): ResourceSet {
  let stream: YamlStream;
  try {
    stream = parseYamlStream(text);
  } catch (error) {
    throw new UnusableInputError(`${file === undefined ? '' : `${file}: `}${error instanceof Error ? error.message : String(error)}`);
  }
  const { tree, documents } = stream;
  const items: Item[] = [];
  documents.forEach((document, index) => {
    const root = tree.deref(document.root);
    if (!tree.is(root, 'map') || tree.getString(root, 'apiVersion') === undefined || tree.getString(root, 'kind') === undefined) return;
    const item = readItem(tree, root, index);
    items.push(file === undefined || item.file !== undefined ? item : { ...item, file: { path: file, index } });
  });
  return { document: { tree, hasAliases: documents.some((document) => document.hasAliases) }, items };
}

/**
 * Reads a one-document YAML file (a functionConfig handed over as a file) into plain data, with the
 * parser and core schema a ResourceList's functionConfig is read with. Throws UnusableInputError.
 */
export function readYamlDocument(text: string, file: string): unknown {
  try {
    const { tree, documents } = parseYamlStream(text);
    const roots = documents.filter((document) => document.root !== undefined);
    if (roots.length !== 1) throw new Error(`expected one YAML document, found ${roots.length}`);
    return toPlainValue(tree, roots[0]?.root);
  } catch (error) {
    throw new UnusableInputError(`${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Pins (or checks) the images of a YAML stream; the output is the input with only image scalars changed. */
export async function processStream(text: string, options: StreamOptions): Promise<StreamOutcome> {
  const set = options.set ?? readResourceStream(text, options.file);
  const source = options.settings.mode === 'check' ? undefined : options.source;
  const outcome = await pinResources(set, options.settings, source, options.log);
  return {
    output: outcome.edits.length === 0 ? text : applyEdits(text, outcome.edits),
    results: outcome.results,
    reports: outcome.reports,
    edits: outcome.edits.length,
    resources: set.items.length,
    exitCode: exitCodeFor(outcome.results),
  };
}

/** The 1-based line of an offset, with a line index built once per text. */
export function lineLocator(text: string): (offset: number) => number {
  const starts = [0];
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) starts.push(at + 1);
  return (offset) => {
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((starts[mid] ?? 0) <= offset) low = mid;
      else high = mid - 1;
    }
    return low + 1;
  };
}
