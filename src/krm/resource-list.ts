import { expandedSize, parseYamlStream, type YamlStream } from './yaml-documents.js';
import type { NodeId, YamlTree } from './yaml-tree.js';
import { scalarType } from './yaml-value.js';

// The ResourceList wire format of the KRM functions spec
// (https://github.com/kubernetes-sigs/kustomize/blob/master/cmd/config/docs/api-conventions/functions-spec.md).

const API_VERSIONS = ['config.kubernetes.io/v1', 'config.kubernetes.io/v1alpha1'];
const PATH_ANNOTATIONS = ['internal.config.kubernetes.io/path', 'config.kubernetes.io/path'];
const INDEX_ANNOTATIONS = ['internal.config.kubernetes.io/index', 'config.kubernetes.io/index'];
const LOCAL_CONFIG = 'config.kubernetes.io/local-config';
/** How many nodes aliases may add when expanded; real packages stay far below it. */
const MAX_ALIAS_EXPANSION = 1_000_000;

/** Input that cannot be read as a ResourceList at all; nothing is written to stdout for it. */
export class UnusableInputError extends Error {
  readonly code = 'ERR_INPUT';
  constructor(message: string) {
    super(message);
    this.name = 'UnusableInputError';
  }
}

/** Identifies a resource in results, as kpt prints it. */
export interface ResourceRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
}

/** Where a resource came from, from kpt's path/index annotations. */
export interface FileRef {
  readonly path: string;
  readonly index?: number;
}

/** One entry of `items`. */
export interface Item {
  readonly node: NodeId;
  readonly index: number;
  readonly ref: ResourceRef;
  readonly file: FileRef | undefined;
  readonly localConfig: boolean;
}

/** A parsed ResourceList: its tree plus the parts the function reads. */
export interface ResourceList {
  readonly document: { readonly tree: YamlTree; readonly hasAliases: boolean };
  readonly root: NodeId;
  readonly items: readonly Item[];
  readonly functionConfig: NodeId | undefined;
}

/** Parses and checks the ResourceList envelope. Throws {@link UnusableInputError}. */
export function readResourceList(source: string, options: { maxDepth?: number } = {}): ResourceList {
  if (source.trim().length === 0) throw new UnusableInputError('empty input: expected a ResourceList on stdin');
  let stream: YamlStream;
  try {
    stream = parseYamlStream(source, options);
  } catch (error) {
    throw new UnusableInputError(error instanceof Error ? error.message : String(error));
  }
  const { tree } = stream;
  const nonEmpty = stream.documents.filter((document) => document.root !== undefined);
  if (nonEmpty.length !== 1) {
    throw new UnusableInputError(
      `expected one ResourceList document, found ${nonEmpty.length} YAML documents (a multi-document stream is not a ResourceList)`,
    );
  }
  const [document] = nonEmpty as [YamlStream['documents'][number]];
  if (document.hasAliases && expandedSize(tree, document.root) > document.nodeCount + MAX_ALIAS_EXPANSION) {
    throw new UnusableInputError(
      `YAML aliases expand to more than ${MAX_ALIAS_EXPANSION} extra nodes (a "billion laughs" document?); refusing the input`,
    );
  }
  const root = tree.deref(document.root);
  if (!tree.is(root, 'map')) throw new UnusableInputError('expected a ResourceList mapping at the top level');
  const kind = tree.getString(root, 'kind');
  const apiVersion = tree.getString(root, 'apiVersion');
  if (kind !== 'ResourceList') {
    throw new UnusableInputError(`expected kind ResourceList, got ${kind === undefined ? 'no kind' : JSON.stringify(kind)}`);
  }
  if (apiVersion === undefined || !API_VERSIONS.includes(apiVersion)) {
    throw new UnusableInputError(
      `unsupported ResourceList apiVersion ${JSON.stringify(apiVersion ?? null)}: expected ${API_VERSIONS.join(' or ')}`,
    );
  }
  const itemsNode = tree.deref(tree.get(root, 'items'));
  let itemNodes: NodeId[] = [];
  if (tree.is(itemsNode, 'seq')) itemNodes = tree.items(itemsNode);
  else if (!(itemsNode === undefined || isNull(tree, itemsNode))) {
    throw new UnusableInputError('ResourceList.items must be a list of resources');
  }
  const items = itemNodes.map((node, index) => readItem(tree, node, index));
  return { document: { tree, hasAliases: document.hasAliases }, root, items, functionConfig: tree.get(root, 'functionConfig') };
}

/** Reads the identity of one resource (kind, name, namespace, file annotations, local-config). */
export function readItem(tree: YamlTree, node: NodeId, index: number): Item {
  if (!tree.is(node, 'map')) {
    throw new UnusableInputError(`ResourceList.items[${index}] must be a resource mapping`);
  }
  const metadata = tree.get(node, 'metadata');
  const annotations = tree.get(metadata, 'annotations');
  const namespace = tree.getString(metadata, 'namespace');
  const ref: { apiVersion: string; kind: string; name: string; namespace?: string } = {
    apiVersion: tree.getString(node, 'apiVersion') ?? '',
    kind: tree.getString(node, 'kind') ?? '',
    name: tree.getString(metadata, 'name') ?? '',
  };
  if (namespace !== undefined && namespace !== '') ref.namespace = namespace;
  // Most lists carry no path annotations, and none need the index parsed twice.
  const path = annotations === undefined ? undefined : firstString(tree, annotations, PATH_ANNOTATIONS);
  let file: FileRef | undefined;
  if (path !== undefined) {
    const indexText = firstString(tree, annotations, INDEX_ANNOTATIONS);
    file = indexText !== undefined && /^\d+$/.test(indexText) ? { path, index: Number(indexText) } : { path };
  }
  const localConfig = annotations !== undefined && tree.getString(annotations, LOCAL_CONFIG)?.toLowerCase() === 'true';
  return { node, index, ref, file, localConfig };
}

function firstString(tree: YamlTree, node: NodeId | undefined, names: readonly string[]): string | undefined {
  for (const name of names) {
    const value = tree.getString(node, name);
    if (value !== undefined) return value;
  }
  return undefined;
}

function isNull(tree: YamlTree, node: NodeId): boolean {
  const resolved = tree.deref(node);
  return tree.kind(resolved) === 'scalar' && scalarType(tree, resolved) === 'null';
}
