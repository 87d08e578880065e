/** Media types the harness pushes, from the OCI image spec and the Docker image manifest v2 spec. */
export const MediaType = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

/** HTTP header names the harness reads or writes. */
export const Header = {
  accept: 'Accept',
  authorization: 'Authorization',
  contentDigest: 'Docker-Content-Digest',
  contentType: 'Content-Type',
  location: 'Location',
  wwwAuthenticate: 'WWW-Authenticate',
} as const;
