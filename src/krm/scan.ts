import { findImageFields } from './image-fields.js';
import type { Item } from './resource-list.js';
import type { NodeId, YamlTree } from './yaml-tree.js';
import { scalarType } from './yaml-value.js';

/** One image field of one resource, with its value or the reason it cannot be edited. */
export type ImageOccurrence =
  | { readonly item: Item; readonly path: string; readonly scalar: NodeId; readonly image: string }
  | { readonly item: Item; readonly path: string; readonly problem: string };

/** Resources to scan: a ResourceList's items, or the documents of a YAML stream. */
export interface ResourceSet {
  readonly document: { readonly tree: YamlTree; readonly hasAliases: boolean };
  readonly items: readonly Item[];
}

/**
 * Finds every image field in the ResourceList's items, skipping resources
 * marked `config.kubernetes.io/local-config: "true"` (the Kptfile and
 * friends). An image scalar reachable through YAML anchors from anything but
 * image fields is refused: pinning it would silently change that other field.
 *
 * Occurrences come out resource by resource as they are found, so a caller can
 * act on the first ones (contact their registry) while the rest are scanned.
 * Only a document with aliases is scanned whole first: whether a scalar is
 * shared with another field is known once every image field has been seen.
 */
export function* scanImages(list: ResourceSet): Generator<ImageOccurrence, void, undefined> {
  const { tree, hasAliases } = list.document;
  const found: Array<{ item: Item; path: string; node: NodeId }> = [];
  for (const item of list.items) {
    if (item.localConfig) continue;
    for (const field of findImageFields(tree, item.node)) {
      if (hasAliases) found.push({ item, path: field.path, node: field.node });
      else yield occurrence(tree, item, field.path, field.node, undefined);
    }
  }
  if (!hasAliases) return;
  // Only aliases can make two fields share a scalar.
  const imageUses = new Map<NodeId, number>();
  for (const { node } of found) {
    const scalar = tree.deref(node);
    if (tree.kind(scalar) === 'scalar') imageUses.set(scalar, (imageUses.get(scalar) ?? 0) + 1);
  }
  const usesOf = pathCounter(tree);
  const sharedWithOthers = (scalar: NodeId): boolean => usesOf(scalar) > (imageUses.get(scalar) ?? 1);
  for (const { item, path, node } of found) yield occurrence(tree, item, path, node, sharedWithOthers);
}

/** The occurrence of one image field; `sharedWithOthers` says whether a scalar is also reached from a field that is not an image. */
function occurrence(
  tree: YamlTree,
  item: Item,
  path: string,
  node: NodeId,
  sharedWithOthers: ((scalar: NodeId) => boolean) | undefined,
): ImageOccurrence {
  const scalar = tree.deref(node);
  const kind = tree.kind(scalar);
  if (kind !== 'scalar') return { item, path, problem: `image must be a string, got a ${kind === 'map' ? 'mapping' : 'list'}` };
  const type = scalarType(tree, scalar);
  if (type !== 'string') return { item, path, problem: `image must be a string, got ${type === 'null' ? 'null' : `a ${type}`}` };
  if (sharedWithOthers?.(scalar) === true) {
    return {
      item,
      path,
      problem: `image ${JSON.stringify(tree.scalarValue(scalar))} is a YAML anchor or alias shared with a field that is not an image; refusing to pin it, because that field would change too`,
    };
  }
  return { item, path, scalar, image: tree.scalarValue(scalar) };
}

/**
 * Counts the paths from the document root to a node: one through its parent,
 * plus one through the parent of each alias to it (and so on up the tree).
 */
function pathCounter(tree: YamlTree): (node: NodeId) => number {
  const memo = new Map<NodeId, number>();
  const count = (node: NodeId, depth: number): number => {
    const known = memo.get(node);
    if (known !== undefined) return known;
    if (depth > 10_000) return Number.POSITIVE_INFINITY;
    const parent = tree.parent(node);
    let total = parent === undefined ? 1 : count(parent, depth + 1);
    for (const alias of tree.aliasesOf(node)) {
      const aliasParent = tree.parent(alias);
      total += aliasParent === undefined ? 1 : count(aliasParent, depth + 1);
    }
    memo.set(node, total);
    return total;
  };
  return (node) => count(node, 0);
}
