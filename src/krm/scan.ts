import { findImageFields } from './image-fields.js';
import type { Item } from './resource-list.js';
import { deref, scalarValue, type ScalarNode, type TreeNode } from './yaml-tree.js';
import { scalarType } from './yaml-value.js';

/** One image field of one resource, with its value or the reason it cannot be edited. */
export type ImageOccurrence =
  | { readonly item: Item; readonly path: string; readonly scalar: ScalarNode; readonly image: string }
  | { readonly item: Item; readonly path: string; readonly problem: string };

/** Resources to scan: a ResourceList's items, or the documents of a YAML stream. */
export interface ResourceSet {
  readonly document: { readonly source: string; readonly hasAliases: boolean };
  readonly items: readonly Item[];
}

/**
 * Finds every image field in the ResourceList's items, skipping resources
 * marked `config.kubernetes.io/local-config: "true"` (the Kptfile and
 * friends). An image scalar reachable through YAML anchors from anything but
 * image fields is refused: pinning it would silently change that other field.
 */
export function scanImages(list: ResourceSet): ImageOccurrence[] {
  const { source } = list.document;
  const found: Array<{ item: Item; path: string; node: TreeNode }> = [];
  for (const item of list.items) {
    if (item.localConfig) continue;
    for (const field of findImageFields(item.node)) found.push({ item, path: field.path, node: field.node });
  }
  const imageUses = new Map<ScalarNode, number>();
  for (const { node } of found) {
    const scalar = deref(node);
    if (scalar?.kind === 'scalar') imageUses.set(scalar, (imageUses.get(scalar) ?? 0) + 1);
  }
  const usesOf = list.document.hasAliases ? pathCounter() : () => 1;

  return found.map(({ item, path, node }): ImageOccurrence => {
    const scalar = deref(node);
    if (scalar.kind !== 'scalar') return { item, path, problem: `image must be a string, got a ${scalar.kind === 'map' ? 'mapping' : 'list'}` };
    const type = scalarType(source, scalar);
    if (type !== 'string') return { item, path, problem: `image must be a string, got ${type === 'null' ? 'null' : `a ${type}`}` };
    if (usesOf(scalar) > (imageUses.get(scalar) ?? 0)) {
      return {
        item,
        path,
        problem: `image ${JSON.stringify(scalarValue(source, scalar))} is a YAML anchor or alias shared with a field that is not an image; refusing to pin it, because that field would change too`,
      };
    }
    return { item, path, scalar, image: scalarValue(source, scalar) };
  });
}

/**
 * Counts the paths from the document root to a node: one through its parent,
 * plus one through the parent of each alias to it (and so on up the tree).
 */
function pathCounter(): (node: TreeNode) => number {
  const memo = new Map<TreeNode, number>();
  const count = (node: TreeNode, depth: number): number => {
    const known = memo.get(node);
    if (known !== undefined) return known;
    if (depth > 10_000) return Number.POSITIVE_INFINITY;
    let total = node.parent === undefined ? 1 : count(node.parent, depth + 1);
    if (node.kind !== 'alias') {
      for (const alias of node.aliases ?? []) total += alias.parent === undefined ? 1 : count(alias.parent, depth + 1);
    }
    memo.set(node, total);
    return total;
  };
  return (node) => count(node, 0);
}
