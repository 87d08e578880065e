import { putManifest, sha256Digest, uploadBlob, type Descriptor, type Platform, type PushTarget } from './distribution-push.js';
import { createLayerArchive } from './layer-archive.js';
import { MediaType } from './media-types.js';

/** The four manifest shapes the harness can push. */
export type ManifestKind = 'oci-manifest' | 'docker-schema2' | 'oci-index' | 'docker-manifest-list';

/** What a push left in the registry. */
export interface PushedImage {
  /** For example `library/nginx`. */
  readonly repository: string;
  readonly tag: string;
  /** `sha256:` of the exact manifest bytes pushed, confirmed by the registry's Docker-Content-Digest. */
  readonly digest: string;
  readonly mediaType: string;
}

interface ImageFormat {
  readonly manifest: string;
  readonly index: string;
  readonly config: string;
  readonly layer: string;
}

const OCI: ImageFormat = {
  manifest: MediaType.ociManifest,
  index: MediaType.ociIndex,
  config: MediaType.ociConfig,
  layer: MediaType.ociLayer,
};

const DOCKER: ImageFormat = {
  manifest: MediaType.dockerManifest,
  index: MediaType.dockerManifestList,
  config: MediaType.dockerConfig,
  layer: MediaType.dockerLayer,
};

const SINGLE_PLATFORM: Platform = { architecture: 'amd64', os: 'linux' };
const INDEX_PLATFORMS: readonly Platform[] = [
  { architecture: 'amd64', os: 'linux' },
  { architecture: 'arm64', os: 'linux', variant: 'v8' },
];

/** Pushes a fresh, unique image of the given kind under `repository:tag`. */
export async function pushImage(target: PushTarget, repository: string, tag: string, kind: ManifestKind): Promise<PushedImage> {
  let pushed: Descriptor;
  switch (kind) {
    case 'oci-manifest':
      pushed = await pushManifest(target, repository, OCI, SINGLE_PLATFORM, tag);
      break;
    case 'docker-schema2':
      pushed = await pushManifest(target, repository, DOCKER, SINGLE_PLATFORM, tag);
      break;
    case 'oci-index':
      pushed = await pushIndex(target, repository, OCI, tag);
      break;
    case 'docker-manifest-list':
      pushed = await pushIndex(target, repository, DOCKER, tag);
      break;
  }
  return { repository, tag, digest: pushed.digest, mediaType: pushed.mediaType };
}

/** Pushes layer and config blobs, then the manifest under `tag`, or by its own digest when `tag` is undefined. */
async function pushManifest(
  target: PushTarget,
  repository: string,
  format: ImageFormat,
  platform: Platform,
  tag: string | undefined,
): Promise<Descriptor> {
  const layer = createLayerArchive();
  const layerDescriptor = await uploadBlob(target, repository, format.layer, layer.compressed);
  const config = {
    ...platform,
    created: '1970-01-01T00:00:00Z',
    config: {},
    rootfs: { type: 'layers', diff_ids: [layer.diffId] },
  };
  const configDescriptor = await uploadBlob(target, repository, format.config, jsonBytes(config));
  const manifest = jsonBytes({
    schemaVersion: 2,
    mediaType: format.manifest,
    config: configDescriptor,
    layers: [layerDescriptor],
  });
  const descriptor = await putManifest(target, repository, tag ?? sha256Digest(manifest), format.manifest, manifest);
  return { ...descriptor, platform };
}

/** The registry checks that every manifest an index references exists, so the children go first, by digest. */
async function pushIndex(target: PushTarget, repository: string, format: ImageFormat, tag: string): Promise<Descriptor> {
  const manifests: Descriptor[] = [];
  for (const platform of INDEX_PLATFORMS) {
    manifests.push(await pushManifest(target, repository, format, platform, undefined));
  }
  const index = jsonBytes({ schemaVersion: 2, mediaType: format.index, manifests });
  return putManifest(target, repository, tag, format.index, index);
}

function jsonBytes(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value, null, 2), 'utf8');
}
