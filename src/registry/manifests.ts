import { createHash } from 'node:crypto';
import {
  ACTION_PULL,
  API_ROOT,
  DEFAULT_DIGEST_ALGORITHM,
  HEADER_ACCEPT,
  HEADER_DOCKER_CONTENT_DIGEST,
  MANIFEST_ACCEPT,
  MAX_MANIFEST_BYTES,
  MAX_SMALL_BODY_BYTES,
  SCOPE_REPOSITORY,
} from './constants.js';
import { RegistryError, responseError } from './errors.js';
import type { RegistrySession } from './session.js';
import type { HttpResponse } from './transport.js';

// Registered algorithms of the image spec (descriptor.md "Digests"), with their hex lengths.
const DIGEST = /^(sha256:[a-f0-9]{64}|sha384:[a-f0-9]{96}|sha512:[a-f0-9]{128})$/;
// distribution spec "Pulling manifests": <name> and <reference> grammar, checked so nothing else reaches the URL path.
const REPOSITORY = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

/** True for a digest of a registered algorithm in canonical form: `sha256:<64 hex>`, sha384, sha512. */
export function isDigest(value: string): boolean {
  return DIGEST.test(value);
}

/**
 * Resolves a tag or digest to the digest of the manifest the registry serves.
 * HEAD first: it costs no Docker Hub pull and carries `Docker-Content-Digest`. When the header is
 * missing or malformed, or the registry does not support HEAD (405/501), GET the manifest with the
 * same Accept list and hash the body ourselves, read up to 4 MiB.
 */
export async function resolveManifestDigest(session: RegistrySession, repository: string, reference: string): Promise<string> {
  if (!REPOSITORY.test(repository)) throw new TypeError(`invalid repository "${repository}"`);
  if (!TAG.test(reference) && !isDigest(reference)) throw new TypeError(`invalid tag or digest "${reference}"`);
  const path = `${API_ROOT}${repository}/manifests/${reference}`;
  const request = { scope: `${SCOPE_REPOSITORY}:${repository}:${ACTION_PULL}`, headers: { [HEADER_ACCEPT]: MANIFEST_ACCEPT.join(', ') } };

  const head = await session.send('HEAD', path, request);
  await head.discard();
  if (head.status === 200) {
    const digest = head.header(HEADER_DOCKER_CONTENT_DIGEST);
    if (digest !== undefined && isDigest(digest)) return digest;
  } else if (head.status !== 405 && head.status !== 501) {
    throw responseError({ method: 'HEAD', status: head.status, host: head.host, manifest: true });
  }

  const get = await session.send('GET', path, request);
  if (get.status !== 200) throw await errorWithBody(get);
  const { data, complete } = await get.read(MAX_MANIFEST_BYTES);
  const where = `(GET 200 from ${get.host})`;
  if (!complete) {
    throw new RegistryError('ERR_REGISTRY_RESPONSE', `manifest larger than ${MAX_MANIFEST_BYTES} bytes ${where}`, { status: 200 });
  }
  // A digest reference names its algorithm; hashing with it lets the result be checked against it.
  const algorithm = isDigest(reference) ? reference.slice(0, reference.indexOf(':')) : DEFAULT_DIGEST_ALGORITHM;
  const digest = `${algorithm}:${createHash(algorithm).update(data).digest('hex')}`;
  if (isDigest(reference) && digest !== reference) {
    throw new RegistryError('ERR_REGISTRY_RESPONSE', `manifest content has digest ${digest}, not the requested one ${where}`, { status: 200 });
  }
  return digest;
}

async function errorWithBody(response: HttpResponse): Promise<RegistryError> {
  const { data } = await response.read(MAX_SMALL_BODY_BYTES);
  return responseError({ method: response.method, status: response.status, host: response.host, body: data, manifest: true });
}
