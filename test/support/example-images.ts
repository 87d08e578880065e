import type { ManifestKind, TestRegistry } from './registry.js';

// Every image the examples under examples/ name, spelled as they spell it, and how the
// e2e tests and the demo stand each one up in a local registry. Docker Hub and ghcr.io are
// both routed to that one registry through the Digester's `registries:`.

/** One image reference as written in an example, and the manifest shape pushed for it. */
export interface ExampleImage {
  /** The user's spelling, e.g. `nginx:1.27` or `docker.io/oliver006/redis_exporter:v1.62.0`. */
  readonly reference: string;
  /** Repository inside the local registry, e.g. `library/nginx` for Docker Hub's `nginx`. */
  readonly repository: string;
  readonly tag: string;
  readonly kind: ManifestKind;
}

/** Registry hosts the examples pull from; each is mapped to the local registry. */
export const MAPPED_REGISTRIES: readonly string[] = ['docker.io', 'ghcr.io'];

/** Images that must be pushed; all four manifest kinds occur. */
export const EXAMPLE_IMAGES: readonly ExampleImage[] = [
  { reference: 'nginx:1.27', repository: 'library/nginx', tag: '1.27', kind: 'oci-index' },
  { reference: 'busybox:1.36', repository: 'library/busybox', tag: '1.36', kind: 'docker-schema2' },
  { reference: 'redis:7.4', repository: 'library/redis', tag: '7.4', kind: 'oci-manifest' },
  { reference: 'postgres:16.4', repository: 'library/postgres', tag: '16.4', kind: 'oci-index' },
  { reference: 'amazon/aws-cli:2.17.0', repository: 'amazon/aws-cli', tag: '2.17.0', kind: 'docker-manifest-list' },
  {
    reference: 'docker.io/oliver006/redis_exporter:v1.62.0',
    repository: 'oliver006/redis_exporter',
    tag: 'v1.62.0',
    kind: 'docker-schema2',
  },
  {
    reference: 'ghcr.io/stefanprodan/podinfo:6.7.0',
    repository: 'stefanprodan/podinfo',
    tag: '6.7.0',
    kind: 'oci-manifest',
  },
  {
    reference: 'ghcr.io/stefanprodan/podinfo:6.7.1',
    repository: 'stefanprodan/podinfo',
    tag: '6.7.1',
    kind: 'docker-manifest-list',
  },
  {
    reference: 'ghcr.io/acme-shop/storefront-assets:2024.11.2',
    repository: 'acme-shop/storefront-assets',
    tag: '2024.11.2',
    kind: 'oci-manifest',
  },
];

/** Images the examples deliberately leave alone (kpt-package's `skipPrefixes`); never pushed. */
export const SKIPPED_IMAGES: readonly string[] = ['registry.internal.example.com/shop/metrics-exporter:2024.10'];

/** Pushed digests by the examples' spelling of each reference. */
export type PinnedDigests = ReadonlyMap<string, string>;

/** Pushes every example image once and returns `reference → sha256:…`. */
export async function pushExampleImages(registry: TestRegistry): Promise<PinnedDigests> {
  const digests = new Map<string, string>();
  for (const image of EXAMPLE_IMAGES) {
    const pushed = await registry.push(image.repository, image.tag, image.kind);
    digests.set(image.reference, pushed.digest);
  }
  return digests;
}

/** The pinned form the function must write: the user's spelling plus `@digest`. */
export function pinned(reference: string, digests: PinnedDigests): string {
  const digest = digests.get(reference);
  if (digest === undefined) throw new Error(`no image was pushed for \`${reference}\`; add it to EXAMPLE_IMAGES`);
  return `${reference}@${digest}`;
}

/**
 * A `registries:` block routing every mapped host to `url`, in the block-sequence style the
 * examples use (kpt re-indents a file's sequences to one style, so a mismatch would show up
 * as a spurious change in the config file).
 */
export function registriesBlock(url: string): string {
  const entries = MAPPED_REGISTRIES.map((host) => `  - host: ${host}\n    endpoint: ${url}\n`);
  return `registries:\n${entries.join('')}`;
}

/** A standalone Digester functionConfig that routes the mapped hosts to `url`. */
export function digesterConfig(url: string): string {
  return [
    'apiVersion: fn.digester.dev/v1alpha1',
    'kind: Digester',
    'metadata:',
    '  name: digester',
    registriesBlock(url),
  ].join('\n');
}
