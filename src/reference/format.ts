import type { ImageReference } from './parse.js';

/**
 * Appends a digest to the reference as the user spelled it:
 * `nginx:1.27` → `nginx:1.27@sha256:…`. The registry and repository are never
 * rewritten to their normalized form, so manifests keep their house style.
 */
export function pinReference(original: string, digest: string): string {
  return `${original}@${digest}`;
}

/** The normalized name, `registry/repository`, as docker prints it in full. */
export function formatName(reference: ImageReference): string {
  return `${reference.registry}/${reference.repository}`;
}

/**
 * The tag or digest a registry is asked for: the digest when there is one,
 * else the tag, else `latest` (what the kubelet and docker pull by default).
 */
export function manifestReference(reference: ImageReference): string {
  return reference.digest ?? reference.tag ?? 'latest';
}

/** Writes a parsed reference back in canonical form (`docker.io/library/x:tag@digest`). */
export function formatReference(reference: ImageReference): string {
  const tag = reference.tag === undefined ? '' : `:${reference.tag}`;
  const digest = reference.digest === undefined ? '' : `@${reference.digest}`;
  return `${formatName(reference)}${tag}${digest}`;
}
