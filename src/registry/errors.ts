import { STATUS_CODES } from 'node:http';
import { formatSeconds } from './duration.js';
import * as z from 'zod/mini';
import './schema.js';
import {
  FINAL_STATUSES,
  REGISTRY_CODE_DENIED,
  REGISTRY_CODE_MANIFEST_UNKNOWN,
  REGISTRY_CODE_NAME_UNKNOWN,
  REGISTRY_CODE_TOO_MANY_REQUESTS,
  REGISTRY_CODE_UNAUTHORIZED,
  RETRYABLE_STATUSES,
  TEMPORARY_REGISTRY_CODES,
} from './constants.js';

/**
 * Stable error codes callers can switch on.
 * - ERR_DIGEST_MISMATCH: the manifest bytes do not hash to the digest asked for or announced.
 * - ERR_UNSUPPORTED_MANIFEST: the registry serves a schema 1 manifest, whose digest cannot be pinned.
 * - ERR_TIMEOUT / ERR_ABORTED: the caller's signal ended the resolve (a timeout, or any other abort).
 */
export type RegistryErrorCode =
  | 'ERR_REGISTRY_AUTH'
  | 'ERR_MANIFEST_UNKNOWN'
  | 'ERR_REGISTRY_UNAVAILABLE'
  | 'ERR_REGISTRY_RESPONSE'
  | 'ERR_DIGEST_MISMATCH'
  | 'ERR_UNSUPPORTED_MANIFEST'
  | 'ERR_TIMEOUT'
  | 'ERR_ABORTED';

/** Optional facts attached to a RegistryError. */
export interface RegistryErrorOptions {
  readonly status?: number | undefined;
  readonly registryCode?: string | undefined;
  readonly cause?: unknown;
  /** Overrides the status-based answer of `temporary`; network errors set it from their cause. */
  readonly temporary?: boolean | undefined;
}

/** Any failure talking to a registry; the message is one lowercase line without the image (the caller adds it). */
export class RegistryError extends Error {
  override readonly name = 'RegistryError';
  readonly code: RegistryErrorCode;
  readonly status?: number;
  readonly registryCode?: string;
  readonly #temporary: boolean | undefined;

  constructor(code: RegistryErrorCode, message: string, options: RegistryErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    if (options.status !== undefined) this.status = options.status;
    if (options.registryCode !== undefined) this.registryCode = options.registryCode;
    this.#temporary = options.temporary;
  }

  /**
   * True when retrying later may succeed (the single retry predicate): resets, refusals and timeouts,
   * 408, 429, 500, 502, 503, 504, and a TOOMANYREQUESTS or UNAVAILABLE error code. Never 401, 403 or 404.
   */
  get temporary(): boolean {
    if (this.#temporary !== undefined) return this.#temporary;
    if (this.code !== 'ERR_REGISTRY_UNAVAILABLE' || this.status === undefined) return false;
    if (FINAL_STATUSES.includes(this.status)) return false;
    return RETRYABLE_STATUSES.includes(this.status) || TEMPORARY_REGISTRY_CODES.includes(this.registryCode ?? '');
  }
}

/** The error body of the distribution spec, section "Error Codes": `{"errors":[{code,message,detail}]}`. */
export const ErrorBody = z.object({
  errors: z.array(z.object({ code: z.string(), message: z.optional(z.string()), detail: z.optional(z.unknown()) })),
});
/** Parsed distribution error body. */
export type ErrorBody = z.infer<typeof ErrorBody>;

// Token servers answer in other shapes: OAuth2 (RFC 6749 §5.2) and Docker Hub's `{"details": …}`.
const OAuthErrorBody = z.object({ error: z.string(), error_description: z.optional(z.string()) });
const DetailsBody = z.object({ details: z.string() });

/** Where a failed response came from, for the message and for choosing the code. */
export interface ResponseContext {
  readonly method: string;
  readonly status: number;
  readonly host: string;
  /** The body, when the method has one; HEAD responses never do. */
  readonly body?: Buffer | undefined;
  /** A 404 of a manifest request means the tag or digest is unknown. */
  readonly manifest?: boolean | undefined;
  /** A token endpoint: OAuth2 reports a bad refresh token as 400 `invalid_grant` (RFC 6749 §5.2). */
  readonly token?: boolean | undefined;
}

/** Builds the RegistryError for a non-success response, e.g. `MANIFEST_UNKNOWN: manifest unknown (HEAD 404 from host)`. */
export function responseError(context: ResponseContext): RegistryError {
  const { method, status, host } = context;
  const found = context.body === undefined ? [] : parseErrorBody(context.body);
  const [first] = found;
  const entries = first === undefined ? synthesizeEntry(status, context.manifest === true) : found;
  const text = entries.map(({ code, message }) => (code === undefined ? message : `${code}: ${message}`)).join('; ');
  const registryCode = entries[0]?.code;
  const code = context.token === true && status === 400 ? 'ERR_REGISTRY_AUTH' : classify(status, registryCode, context.manifest === true);
  return new RegistryError(code, `${text} (${method} ${status} from ${host})`, { status, registryCode });
}

interface Entry {
  readonly code?: string | undefined;
  readonly message: string;
}

/** Reads whichever error shape the body has; an unreadable body yields nothing and the status speaks instead. */
function parseErrorBody(body: Buffer): Entry[] {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    return [];
  }
  const spec = ErrorBody.safeParse(json);
  if (spec.success) {
    return spec.data.errors.map((e) => ({ code: oneLine(e.code), message: oneLine(e.message ?? e.code.toLowerCase()) }));
  }
  const oauth = OAuthErrorBody.safeParse(json);
  if (oauth.success) {
    const { error, error_description: description } = oauth.data;
    return [{ code: oneLine(error), message: oneLine(description ?? error.replace(/_/g, ' ')) }];
  }
  const details = DetailsBody.safeParse(json);
  if (details.success) return [{ message: oneLine(details.data.details) }];
  return [];
}

/** HEAD responses carry no body, so the status stands in for the code the registry would have sent. */
function synthesizeEntry(status: number, manifest: boolean): Entry[] {
  switch (status) {
    case 401:
      return [{ code: REGISTRY_CODE_UNAUTHORIZED, message: 'authentication required' }];
    case 403:
      return [{ code: REGISTRY_CODE_DENIED, message: 'requested access to the resource is denied' }];
    case 404:
      return manifest ? [{ code: REGISTRY_CODE_MANIFEST_UNKNOWN, message: 'manifest unknown' }] : [{ message: 'not found' }];
    case 429:
      return [{ code: REGISTRY_CODE_TOO_MANY_REQUESTS, message: 'too many requests' }];
    default:
      return [{ message: (STATUS_CODES[status] ?? 'unexpected status').toLowerCase() }];
  }
}

function classify(status: number, registryCode: string | undefined, manifest: boolean): RegistryErrorCode {
  if (status === 401 || status === 403) return 'ERR_REGISTRY_AUTH';
  if (registryCode === REGISTRY_CODE_MANIFEST_UNKNOWN || registryCode === REGISTRY_CODE_NAME_UNKNOWN) return 'ERR_MANIFEST_UNKNOWN';
  if (status === 404 && manifest) return 'ERR_MANIFEST_UNKNOWN';
  if (RETRYABLE_STATUSES.includes(status) || status >= 500) return 'ERR_REGISTRY_UNAVAILABLE';
  if (status !== 404 && TEMPORARY_REGISTRY_CODES.includes(registryCode ?? '')) return 'ERR_REGISTRY_UNAVAILABLE';
  return 'ERR_REGISTRY_RESPONSE';
}

/** Server text goes into a one-line message: collapse whitespace and bound the length. */
function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 300 ? `${flat.slice(0, 300)}…` : flat;
}

// Errors of a connection attempt that got no response, as opposed to failures before any attempt (an unreadable CA file).
const networkErrors = new WeakSet<RegistryError>();

/** Builds the RegistryError for a request that got no response, naming the cause and the URL; `temporary` follows the cause. */
export function networkError(method: string, url: URL, cause: unknown, timeoutMs: number): RegistryError {
  const error = new RegistryError('ERR_REGISTRY_UNAVAILABLE', `${describeCause(cause, timeoutMs)} (${method} ${url.origin}${url.pathname})`, {
    cause,
    temporary: isTransient(cause),
  });
  networkErrors.add(error);
  return error;
}

/** True for an error built by {@link networkError}: a connection was tried and got no response. */
export function isNetworkError(error: unknown): boolean {
  return error instanceof RegistryError && networkErrors.has(error);
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);
// Connection-level failures a new connection may not hit: resets (also a TLS handshake the peer cut off, which
// Node reports as ECONNRESET), refusals (a registry restarting), broken pipes, undici's "other side closed",
// and a DNS server that did not answer (EAI_AGAIN, unlike ENOTFOUND).
const TRANSIENT_CODES = new Set([
  ...TIMEOUT_CODES,
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'ERR_SSL_UNEXPECTED_EOF_WHILE_READING',
]);

/** True when a request that failed this way may succeed if sent again; certificate and protocol errors never do. */
function isTransient(cause: unknown): boolean {
  for (let e: unknown = cause, depth = 0; e !== undefined && depth < 5; depth++) {
    if (e instanceof Error && e.name === 'TimeoutError') return true;
    if (e instanceof AggregateError && e.errors.length > 0) return e.errors.every((inner: unknown) => isTransient(inner));
    if (TRANSIENT_CODES.has(errorCode(e) ?? '')) return true;
    e = e instanceof Error ? e.cause : undefined;
  }
  return false;
}

function describeCause(cause: unknown, timeoutMs: number): string {
  if (cause instanceof Error && (cause.name === 'TimeoutError' || TIMEOUT_CODES.has(errorCode(cause) ?? ''))) {
    return `timed out after ${formatSeconds(timeoutMs)}`;
  }
  // Happy-eyeballs connects (localhost → ::1 and 127.0.0.1) fail with an AggregateError whose own message is empty.
  if (cause instanceof AggregateError && cause.errors.length > 0) {
    return [...new Set(cause.errors.map((e: unknown) => describeCause(e, timeoutMs)))].join('; ');
  }
  // OpenSSL errors carry a long "…:SSL routines:…:file.c:350:" message; its `reason` is the readable part.
  if (cause instanceof Error && 'reason' in cause && typeof cause.reason === 'string' && /SSL routines/.test(cause.message)) {
    return `tls handshake failed: ${cause.reason}`;
  }
  if (cause instanceof Error && cause.message !== '') return oneLine(cause.message);
  return 'network error';
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

// OpenSSL verification codes Node reports for untrusted, expired or mismatched certificates.
const CERTIFICATE_CODE = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ALTNAME/;

/** True when the error (or its cause) is a TLS certificate verification failure. */
export function isCertificateError(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e !== undefined && depth < 5; depth++) {
    const code = errorCode(e);
    if (code !== undefined && CERTIFICATE_CODE.test(code)) return true;
    if (e instanceof AggregateError && e.errors.some((inner: unknown) => isCertificateError(inner))) return true;
    e = e instanceof Error ? e.cause : undefined;
  }
  return false;
}

export { formatSeconds } from './duration.js';
