import type { NodeId, YamlTree } from './yaml-tree.js';

// Where pod specs live. Any kind is searched, so CRDs with a pod template
// (Argo Rollouts, Knative, OpenKruise…) are covered without a list of kinds.
const POD_SPEC_PATHS: readonly (readonly string[])[] = [
  ['spec'], // Pod
  ['spec', 'template', 'spec'], // Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, ReplicationController, CRDs
  ['spec', 'jobTemplate', 'spec', 'template', 'spec'], // CronJob
  ['template', 'spec'], // PodTemplate
];

const CONTAINER_LISTS = ['containers', 'initContainers', 'ephemeralContainers'] as const;

/** A pod spec inside a resource, with its dotted path. */
export interface PodSpec {
  readonly path: string;
  readonly node: NodeId;
}

/** An `image` field of a container, or the `reference` of an image volume. */
export interface ImageField {
  /** The dotted path inside the resource, e.g. `spec.template.spec.containers[1].image`. */
  readonly path: string;
  /** The value node as found: may be an alias, a scalar, or something that is not a string. */
  readonly node: NodeId;
}

/** Lists the pod specs of one resource: mappings at a known pod spec path. */
export function findPodSpecs(tree: YamlTree, resource: NodeId): PodSpec[] {
  const specs: PodSpec[] = [];
  for (const specPath of POD_SPEC_PATHS) {
    let spec: NodeId | undefined = resource;
    for (const key of specPath) spec = tree.get(spec, key);
    if (tree.is(spec, 'map')) specs.push({ path: specPath.join('.'), node: spec });
  }
  return specs;
}

/** Lists every image field of one resource, in document order. */
export function findImageFields(tree: YamlTree, resource: NodeId): ImageField[] {
  const fields: ImageField[] = [];
  for (const spec of findPodSpecs(tree, resource)) {
    for (const list of CONTAINER_LISTS) {
      eachItem(tree, tree.get(spec.node, list), (container, index) => {
        const image = tree.get(container, 'image');
        if (image !== undefined) fields.push({ path: `${spec.path}.${list}[${index}].image`, node: image });
      });
    }
    // Image volumes (KEP-4639, beta in 1.33, GA in 1.36): volumes[].image.reference.
    eachItem(tree, tree.get(spec.node, 'volumes'), (volume, index) => {
      const reference = tree.get(tree.get(volume, 'image'), 'reference');
      if (reference !== undefined) fields.push({ path: `${spec.path}.volumes[${index}].image.reference`, node: reference });
    });
  }
  return fields;
}

/** Calls `visit` for each item of a sequence (following aliases). */
export function eachItem(tree: YamlTree, list: NodeId | undefined, visit: (item: NodeId, index: number) => void): void {
  const seq = tree.deref(list);
  if (seq === undefined) return;
  tree.items(seq).forEach(visit);
}
