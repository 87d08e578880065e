import { crypto } from './builtins.js';
import {
  ACTION_PULL,
  API_ROOT,
  DEFAULT_DIGEST_ALGORITHM,
  HEADER_ACCEPT,
  HEADER_CONTENT_TYPE,
  HEADER_DOCKER_CONTENT_DIGEST,
  MANIFEST_ACCEPT,
  MAX_MANIFEST_BYTES,
  MAX_SMALL_BODY_BYTES,
  SCHEMA1_MEDIA_TYPES,
  SCOPE_REPOSITORY,
} from './constants.js';
import { RegistryError, responseError } from './errors.js';
import type { HttpResponse } from './http-response.js';
import type { RegistrySession, SessionRequest } from './session.js';

// Registered algorithms of the image spec (descriptor.md "Digests"), with their hex lengths.
const DIGEST = /^(sha256:[a-f0-9]{64}|sha384:[a-f0-9]{96}|sha512:[a-f0-9]{128})$/;
// distribution spec "Pulling manifests": <name> and <reference> grammar, checked so nothing else reaches the URL path.
const REPOSITORY = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
/** GETs of a manifest whose body is cut off mid-way, at most. */
const BODY_READ_ATTEMPTS = 3;

/** True for a digest of a registered algorithm in canonical form: `sha256:<64 hex>`, sha384, sha512. */
export function isDigest(value: string): boolean {
  return DIGEST.test(value);
}

/** The token scope for pulling `repository` (docker token spec, `scope.md`). */
export function pullScope(repository: string): string {
  return `${SCOPE_REPOSITORY}:${repository}:${ACTION_PULL}`;
}

/** True for a repository name of the distribution grammar (lowercase path components). */
export function isRepository(value: string): boolean {
  return REPOSITORY.test(value);
}

/** Cancellation of one resolve. */
export interface ResolveOptions {
  readonly signal?: AbortSignal | undefined;
}

/**
 * Resolves a tag or digest to the digest of the manifest the registry serves.
 * HEAD first: it costs no Docker Hub pull and carries `Docker-Content-Digest`. When the header is
 * missing or malformed, or the registry does not support HEAD (405/501), GET the manifest with the
 * same Accept list and hash the body ourselves, read up to 4 MiB.
 *
 * What comes back is checked: a body must hash to the digest asked for and to the digest the response
 * announces (ERR_DIGEST_MISMATCH otherwise, naming both), and a schema 1 manifest is refused
 * (ERR_UNSUPPORTED_MANIFEST): registries convert to schema 1 on the fly, so its digest is not the
 * image's. A digest reference answered by HEAD with the same digest needs no body.
 */
export async function resolveManifestDigest(
  session: RegistrySession,
  repository: string,
  reference: string,
  options: ResolveOptions = {},
): Promise<string> {
  if (!REPOSITORY.test(repository)) throw new TypeError(`invalid repository "${repository}"`);
  if (!TAG.test(reference) && !isDigest(reference)) throw new TypeError(`invalid tag or digest "${reference}"`);
  const path = `${API_ROOT}${repository}/manifests/${reference}`;
  const request = {
    scope: pullScope(repository),
    headers: { [HEADER_ACCEPT]: MANIFEST_ACCEPT.join(', ') },
    signal: options.signal,
  };
  const requested = isDigest(reference) ? reference : undefined;

  const head = await session.send('HEAD', path, request);
  await head.discard();
  if (head.status === 200) {
    refuseSchema1(head);
    const announced = announcedDigest(head);
    if (announced !== undefined && (requested === undefined || announced === requested)) return announced;
    if (announced !== undefined && requested !== undefined && algorithmOf(announced) === algorithmOf(requested)) {
      throw mismatch(`registry announces ${announced} for the requested ${requested}`, head);
    }
    // No usable header, or one of another algorithm than the requested digest's: the body decides.
  } else if (head.status !== 405 && head.status !== 501) {
    throw responseError({ method: 'HEAD', status: head.status, host: head.host, manifest: true });
  }

  const { response: get, data } = await fetchManifest(session, path, request);
  const announced = announcedDigest(get);
  if (requested !== undefined) {
    const digest = hash(algorithmOf(requested), data);
    if (digest !== requested) throw mismatch(`manifest content has digest ${digest}, not the requested ${requested}`, get);
  }
  if (announced !== undefined) {
    const digest = hash(algorithmOf(announced), data);
    if (digest !== announced) throw mismatch(`manifest content has digest ${digest} but Docker-Content-Digest says ${announced}`, get);
  }
  return requested ?? announced ?? hash(DEFAULT_DIGEST_ALGORITHM, data);
}

/**
 * GETs a manifest and reads its body (at most 4 MiB). The transport retries
 * failures before the headers arrive; a body cut off after them (a reset or
 * a truncation mid-way) is just as transient, so the GET is repeated here.
 */
async function fetchManifest(
  session: RegistrySession,
  path: string,
  request: SessionRequest,
): Promise<{ response: HttpResponse; data: Buffer }> {
  for (let attempt = 1; ; attempt++) {
    const response = await session.send('GET', path, request);
    if (response.status !== 200) throw await errorWithBody(response);
    refuseSchema1(response);
    try {
      const { data, complete } = await response.read(MAX_MANIFEST_BYTES);
      if (!complete) {
        throw new RegistryError('ERR_REGISTRY_RESPONSE', `manifest larger than ${MAX_MANIFEST_BYTES} bytes (GET 200 from ${response.host})`, { status: 200 });
      }
      return { response, data };
    } catch (error) {
      if (!(error instanceof RegistryError) || !error.temporary || attempt >= BODY_READ_ATTEMPTS) throw error;
    }
  }
}

/** A well-formed Docker-Content-Digest, or undefined (a malformed one is ignored, as if absent). */
function announcedDigest(response: HttpResponse): string | undefined {
  const digest = response.header(HEADER_DOCKER_CONTENT_DIGEST);
  return digest !== undefined && isDigest(digest) ? digest : undefined;
}

function algorithmOf(digest: string): string {
  return digest.slice(0, digest.indexOf(':'));
}

function hash(algorithm: string, data: Buffer): string {
  return `${algorithm}:${crypto().createHash(algorithm).update(data).digest('hex')}`;
}

function mismatch(what: string, response: HttpResponse): RegistryError {
  return new RegistryError('ERR_DIGEST_MISMATCH', `${what} (${response.method} ${response.status} from ${response.host})`, {
    status: response.status,
  });
}

/** Refuses a schema 1 Content-Type (parameters and case ignored, RFC 9110 §8.3.1). */
function refuseSchema1(response: HttpResponse): void {
  const mediaType = (response.header(HEADER_CONTENT_TYPE) ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (!SCHEMA1_MEDIA_TYPES.includes(mediaType)) return;
  throw new RegistryError(
    'ERR_UNSUPPORTED_MANIFEST',
    `registry serves a docker schema 1 manifest (${mediaType}), whose digest does not identify the image users pull; ` +
      `push the image as an OCI or docker schema 2 manifest (${response.method} ${response.status} from ${response.host})`,
    { status: response.status },
  );
}

async function errorWithBody(response: HttpResponse): Promise<RegistryError> {
  const { data } = await response.read(MAX_SMALL_BODY_BYTES);
  return responseError({ method: response.method, status: response.status, host: response.host, body: data, manifest: true });
}
