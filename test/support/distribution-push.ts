import { createHash } from 'node:crypto';
import { fetch, type Dispatcher, type RequestInit, type Response } from 'undici';
import { Header } from './media-types.js';

/** Where and how to push: the registry base URL, its TLS dispatcher and the Authorization header to send. */
export interface PushTarget {
  readonly url: string;
  readonly dispatcher?: Dispatcher;
  readonly authorization?: string;
}

/** Platform of an index entry (OCI image index spec, "platform"). */
export interface Platform {
  readonly architecture: string;
  readonly os: string;
  readonly variant?: string;
}

/** A content descriptor (OCI image spec, "Descriptors"). */
export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly platform?: Platform;
}

/** The `sha256:<hex>` digest of some bytes. */
export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/**
 * Uploads a blob monolithically: POST to open an upload session, then one PUT with the bytes and `?digest=`
 * (distribution spec, "Pushing a blob monolithically" — the POST-then-PUT variant).
 */
export async function uploadBlob(target: PushTarget, repository: string, mediaType: string, bytes: Buffer): Promise<Descriptor> {
  const digest = sha256Digest(bytes);
  const start = await send(target, 'POST', `/v2/${repository}/blobs/uploads/`, {});
  await expectStatus(start, 202, `POST blob upload in ${repository}`);
  const location = start.headers.get(Header.location);
  if (location === null) throw new Error(`POST blob upload in ${repository}: 202 without a Location header`);
  // Location may be absolute or relative, and already carries query parameters (_state) to keep.
  const uploadUrl = new URL(location, target.url);
  uploadUrl.searchParams.set('digest', digest);
  const finish = await send(target, 'PUT', uploadUrl.toString(), {
    headers: { [Header.contentType]: 'application/octet-stream' },
    body: bytes,
  });
  await expectStatus(finish, 201, `PUT blob ${digest} in ${repository}`);
  return { mediaType, digest, size: bytes.length };
}

/** PUTs a manifest by tag or digest and checks the registry computed the same digest as we did. */
export async function putManifest(
  target: PushTarget,
  repository: string,
  reference: string,
  mediaType: string,
  bytes: Buffer,
): Promise<Descriptor> {
  const digest = sha256Digest(bytes);
  const response = await send(target, 'PUT', `/v2/${repository}/manifests/${reference}`, {
    headers: { [Header.contentType]: mediaType },
    body: bytes,
  });
  await expectStatus(response, 201, `PUT manifest ${repository}:${reference}`);
  const answered = response.headers.get(Header.contentDigest);
  if (answered !== digest) {
    throw new Error(`PUT manifest ${repository}:${reference}: registry says ${answered ?? '(no digest header)'}, we computed ${digest}`);
  }
  return { mediaType, digest, size: bytes.length };
}

async function send(
  target: PushTarget,
  method: string,
  pathOrUrl: string,
  init: { readonly headers?: Record<string, string>; readonly body?: Buffer },
): Promise<Response> {
  const headers: Record<string, string> = { ...init.headers };
  if (target.authorization !== undefined) headers[Header.authorization] = target.authorization;
  const request: RequestInit = { method, headers, redirect: 'manual' };
  if (init.body !== undefined) request.body = init.body;
  if (target.dispatcher !== undefined) request.dispatcher = target.dispatcher;
  return fetch(new URL(pathOrUrl, target.url), request);
}

async function expectStatus(response: Response, expected: number, what: string): Promise<void> {
  if (response.status === expected) {
    await response.body?.cancel();
    return;
  }
  const body = (await response.text()).slice(0, 2_000);
  throw new Error(`${what}: expected ${expected}, got ${response.status}: ${body}`);
}
