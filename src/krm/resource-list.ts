import {
  deref,
  expandedSize,
  getEntry,
  getString,
  parseYamlDocuments,
  type MapNode,
  type TreeNode,
  type YamlDocument,
} from './yaml-tree.js';
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
  readonly node: TreeNode;
  readonly index: number;
  readonly ref: ResourceRef;
  readonly file: FileRef | undefined;
  readonly localConfig: boolean;
}

/** A parsed ResourceList: its tree plus the parts the function reads. */
export interface ResourceList {
  readonly document: YamlDocument;
  readonly root: MapNode;
  readonly items: readonly Item[];
  readonly functionConfig: TreeNode | undefined;
}

/** Parses and checks the ResourceList envelope. Throws {@link UnusableInputError}. */
export function readResourceList(source: string, options: { maxDepth?: number } = {}): ResourceList {
  if (source.trim().length === 0) throw new UnusableInputError('empty input: expected a ResourceList on stdin');
  let documents: YamlDocument[];
  try {
    documents = parseYamlDocuments(source, options);
  } catch (error) {
    throw new UnusableInputError(error instanceof Error ? error.message : String(error));
  }
  const nonEmpty = documents.filter((document) => document.root !== undefined);
  if (nonEmpty.length !== 1) {
    throw new UnusableInputError(
      `expected one ResourceList document, found ${nonEmpty.length} YAML documents (a multi-document stream is not a ResourceList)`,
    );
  }
  const document = nonEmpty[0] as YamlDocument;
  if (document.hasAliases && expandedSize(document.root) > document.nodeCount + MAX_ALIAS_EXPANSION) {
    throw new UnusableInputError(
      `YAML aliases expand to more than ${MAX_ALIAS_EXPANSION} extra nodes (a "billion laughs" document?); refusing the input`,
    );
  }
  const root = deref(document.root);
  if (root?.kind !== 'map') throw new UnusableInputError('expected a ResourceList mapping at the top level');
  const kind = getString(source, root, 'kind');
  const apiVersion = getString(source, root, 'apiVersion');
  if (kind !== 'ResourceList') {
    throw new UnusableInputError(`expected kind ResourceList, got ${kind === undefined ? 'no kind' : JSON.stringify(kind)}`);
  }
  if (apiVersion === undefined || !API_VERSIONS.includes(apiVersion)) {
    throw new UnusableInputError(
      `unsupported ResourceList apiVersion ${JSON.stringify(apiVersion ?? null)}: expected ${API_VERSIONS.join(' or ')}`,
    );
  }
  const itemsNode = deref(getEntry(root, 'items'));
  let itemNodes: TreeNode[] = [];
  if (itemsNode?.kind === 'seq') itemNodes = itemsNode.items;
  else if (!(itemsNode === undefined || isNull(source, itemsNode))) {
    throw new UnusableInputError('ResourceList.items must be a list of resources');
  }
  const items = itemNodes.map((node, index) => readItem(source, node, index));
  return { document, root, items, functionConfig: getEntry(root, 'functionConfig') };
}

/** Reads the identity of one resource (kind, name, namespace, file annotations, local-config). */
export function readItem(source: string, node: TreeNode, index: number): Item {
  if (deref(node)?.kind !== 'map') {
    throw new UnusableInputError(`ResourceList.items[${index}] must be a resource mapping`);
  }
  const metadata = getEntry(node, 'metadata');
  const annotations = getEntry(metadata, 'annotations');
  const namespace = getString(source, metadata, 'namespace');
  const ref: { apiVersion: string; kind: string; name: string; namespace?: string } = {
    apiVersion: getString(source, node, 'apiVersion') ?? '',
    kind: getString(source, node, 'kind') ?? '',
    name: getString(source, metadata, 'name') ?? '',
  };
  if (namespace !== undefined && namespace !== '') ref.namespace = namespace;
  // Most lists carry no path annotations, and none need the index parsed twice.
  const path = annotations === undefined ? undefined : firstString(source, annotations, PATH_ANNOTATIONS);
  let file: FileRef | undefined;
  if (path !== undefined) {
    const indexText = firstString(source, annotations, INDEX_ANNOTATIONS);
    file = indexText !== undefined && /^\d+$/.test(indexText) ? { path, index: Number(indexText) } : { path };
  }
  const localConfig = annotations !== undefined && getString(source, annotations, LOCAL_CONFIG)?.toLowerCase() === 'true';
  return { node, index, ref, file, localConfig };
}

function firstString(source: string, node: TreeNode | undefined, names: readonly string[]): string | undefined {
  for (const name of names) {
    const value = getString(source, node, name);
    if (value !== undefined) return value;
  }
  return undefined;
}

function isNull(source: string, node: TreeNode): boolean {
  const resolved = deref(node);
  return resolved?.kind === 'scalar' && scalarType(source, resolved) === 'null';
}
