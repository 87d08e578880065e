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
 */
export function scanImages(list: ResourceSet): ImageOccurrence[] {
  const { tree, hasAliases } = list.document;
  const found: Array<{ item: Item; path: string; node: NodeId }> = [];
  for (const item of list.items) {
    if (item.localConfig) continue;
    for (const field of findImageFields(tree, item.node)) found.push({ item, path: field.path, node: field.node });
  }
  // Only aliases can make two fields share a scalar.
  const imageUses = new Map<NodeId, number>();
  if (hasAliases) {
    for (const { node } of found) {
      const scalar = tree.deref(node);
      if (tree.kind(scalar) === 'scalar') imageUses.set(scalar, (imageUses.get(scalar) ?? 0) + 1);
    }
  }
  const usesOf = hasAliases ? pathCounter(tree) : () => 1;

  return found.map(({ item, path, node }): ImageOccurrence => {
    const scalar = tree.deref(node);
    const kind = tree.kind(scalar);
    if (kind !== 'scalar') return { item, path, problem: `image must be a string, got a ${kind === 'map' ? 'mapping' : 'list'}` };
    const type = scalarType(tree, scalar);
    if (type !== 'string') return { item, path, problem: `image must be a string, got ${type === 'null' ? 'null' : `a ${type}`}` };
    if (usesOf(scalar) > (imageUses.get(scalar) ?? 1)) {
      return {
        item,
        path,
        problem: `image ${JSON.stringify(tree.scalarValue(scalar))} is a YAML anchor or alias shared with a field that is not an image; refusing to pin it, because that field would change too`,
      };
    }
    return { item, path, scalar, image: tree.scalarValue(scalar) };
  });
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
