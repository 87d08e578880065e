import { loadAll } from 'js-yaml';

// Reads image references back out of rendered manifests (kustomize's output), independently
// of the function's own scanner, so the e2e tests do not trust the code under test.

/** One image reference found in a manifest. */
export interface FoundImage {
  /** `Kind/name` of the resource holding it. */
  readonly resource: string;
  /** Where inside the resource, e.g. `spec.template.spec.initContainers[0].image`. */
  readonly path: string;
  readonly image: string;
}

const CONTAINER_LISTS = new Set(['containers', 'initContainers', 'ephemeralContainers']);

/** Every container image and image-volume reference in a multi-document YAML stream. */
export function collectImages(yaml: string): FoundImage[] {
  const found: FoundImage[] = [];
  for (const document of loadAll(yaml)) {
    if (!isRecord(document)) continue;
    const metadata = isRecord(document['metadata']) ? document['metadata'] : {};
    const resource = `${String(document['kind'])}/${String(metadata['name'])}`;
    walk(document, '', (path, image) => found.push({ resource, path, image }));
  }
  return found;
}

function walk(node: unknown, path: string, visit: (path: string, image: string) => void): void {
  if (Array.isArray(node)) {
    node.forEach((item, index) => walk(item, `${path}[${index}]`, visit));
    return;
  }
  if (!isRecord(node)) return;
  for (const [key, value] of Object.entries(node)) {
    const here = path === '' ? key : `${path}.${key}`;
    if (CONTAINER_LISTS.has(key) && Array.isArray(value)) {
      value.forEach((container, index) => {
        if (isRecord(container) && typeof container['image'] === 'string') visit(`${here}[${index}].image`, container['image']);
      });
    } else if (key === 'volumes' && Array.isArray(value)) {
      value.forEach((volume, index) => {
        const image = isRecord(volume) ? volume['image'] : undefined;
        if (isRecord(image) && typeof image['reference'] === 'string') {
          visit(`${here}[${index}].image.reference`, image['reference']);
        }
      });
    } else {
      walk(value, here, visit);
    }
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
