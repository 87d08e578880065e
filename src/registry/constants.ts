/**
 * Protocol constants: media types, header names, hosts and limits.
 * Protocol code imports these instead of spelling strings inline, so a reader
 * can audit what digester sends and accepts in one place.
 */

/** OCI image index (multi-platform), image-spec `image-index.md`. */
export const MEDIA_TYPE_OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
/** OCI image manifest, image-spec `manifest.md`. */
export const MEDIA_TYPE_OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
/** Docker manifest list (schema 2, multi-platform). */
export const MEDIA_TYPE_DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
/** Docker image manifest, schema 2. */
export const MEDIA_TYPE_DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
/** Docker schema 1, signed (distribution `manifest/schema1`); deprecated, its digest covers the signature. */
export const MEDIA_TYPE_DOCKER_SCHEMA1_SIGNED = 'application/vnd.docker.distribution.manifest.v1+prettyjws';
/** Docker schema 1, unsigned. */
export const MEDIA_TYPE_DOCKER_SCHEMA1 = 'application/vnd.docker.distribution.manifest.v1+json';
/** Schema 1 types: registries convert to them on the fly, so their digest is not the image users pull. */
export const SCHEMA1_MEDIA_TYPES: readonly string[] = [MEDIA_TYPE_DOCKER_SCHEMA1_SIGNED, MEDIA_TYPE_DOCKER_SCHEMA1];

/**
 * Accept list for manifest requests. All four are needed: distribution answers
 * 404 for OCI content when no OCI type is accepted, and downgrades to schema 1
 * (a different digest) when schema 2 is not accepted.
 */
export const MANIFEST_ACCEPT: readonly string[] = [
  MEDIA_TYPE_OCI_INDEX,
  MEDIA_TYPE_OCI_MANIFEST,
  MEDIA_TYPE_DOCKER_MANIFEST_LIST,
  MEDIA_TYPE_DOCKER_MANIFEST,
];

/** Root of the registry API; every path lives under it (distribution spec "Endpoints", end-1). */
export const API_ROOT = '/v2/';
/** Resource type and action of the token scope for pulling a repository (docker token spec `scope.md`). */
export const SCOPE_REPOSITORY = 'repository';
/** The only action digester ever asks for. */
export const ACTION_PULL = 'pull';
/** Digest algorithm used when digester hashes a manifest itself (image-spec descriptor.md "Digests"). */
export const DEFAULT_DIGEST_ALGORITHM = 'sha256';

/** OAuth2 grant for exchanging an identity (refresh) token, docker token spec `oauth.md`. */
export const GRANT_TYPE_REFRESH_TOKEN = 'refresh_token';
/** Form encoding for the OAuth2 refresh-token request (docker token spec, `oauth.md`). */
export const MEDIA_TYPE_FORM = 'application/x-www-form-urlencoded';

/** Request and response header names (lowercase, as undici reports them). */
export const HEADER_ACCEPT = 'accept';
/** Credentials for the registry or the token realm. */
export const HEADER_AUTHORIZATION = 'authorization';
/** Body type of a POST. */
export const HEADER_CONTENT_TYPE = 'content-type';
/** Identifies digester to registries (Docker Hub counts pulls per agent). */
export const HEADER_USER_AGENT = 'user-agent';
/** Challenge header of a 401, RFC 7235 §4.1. */
export const HEADER_WWW_AUTHENTICATE = 'www-authenticate';
/** Digest of the manifest the registry serves, distribution spec "Pulling manifests". */
export const HEADER_DOCKER_CONTENT_DIGEST = 'docker-content-digest';
/** Target of a redirect, RFC 9110 §10.2.2; may be relative to the request URL. */
export const HEADER_LOCATION = 'location';
/** Seconds or an HTTP-date to wait before retrying a 429 or 503, RFC 9110 §10.2.3. */
export const HEADER_RETRY_AFTER = 'retry-after';

/** Authentication schemes, compared lowercase (RFC 7235 §2.1: schemes are case-insensitive). */
export const SCHEME_BEARER = 'bearer';
/** HTTP Basic, RFC 7617. */
export const SCHEME_BASIC = 'basic';
/** Scheme names as written in an Authorization header. */
export const AUTHORIZATION_BASIC = 'Basic';
/** Bearer token credentials, RFC 6750 §2.1. */
export const AUTHORIZATION_BEARER = 'Bearer';

/** The logical name of Docker Hub, as references spell it after normalization. */
export const DOCKER_HUB_REGISTRY = 'docker.io';
/** Host that actually serves Docker Hub's registry API. */
export const DOCKER_HUB_API_HOST = 'registry-1.docker.io';
/** Names that all mean Docker Hub. */
export const DOCKER_HUB_ALIASES: readonly string[] = ['docker.io', 'index.docker.io', 'registry-1.docker.io'];
/** The key `docker login` writes for Docker Hub in config.json, and the server URL credential helpers expect. */
export const DOCKER_HUB_CONFIG_KEY = 'https://index.docker.io/v1/';

/** Registry error codes the client synthesizes when a response has no body (HEAD), distribution spec "Error Codes". */
export const REGISTRY_CODE_MANIFEST_UNKNOWN = 'MANIFEST_UNKNOWN';
/** Authentication required. */
export const REGISTRY_CODE_UNAUTHORIZED = 'UNAUTHORIZED';
/** Access denied. */
export const REGISTRY_CODE_DENIED = 'DENIED';
/** Repository unknown; like MANIFEST_UNKNOWN, it means the image is not there. */
export const REGISTRY_CODE_NAME_UNKNOWN = 'NAME_UNKNOWN';
/** Rate limited. */
export const REGISTRY_CODE_TOO_MANY_REQUESTS = 'TOOMANYREQUESTS';
/** The registry is temporarily unavailable (distribution's `errcode.ErrorCodeUnavailable`). */
export const REGISTRY_CODE_UNAVAILABLE = 'UNAVAILABLE';
/** Registry error codes that mean "try again later", whatever the status. */
export const TEMPORARY_REGISTRY_CODES: readonly string[] = [REGISTRY_CODE_TOO_MANY_REQUESTS, REGISTRY_CODE_UNAVAILABLE];

/** Statuses worth retrying: timeouts, rate limits and transient server or gateway failures (as go-containerregistry's retry transport). */
export const RETRYABLE_STATUSES: readonly number[] = [408, 429, 500, 502, 503, 504];
/** Statuses that are answers, never retried: the request would get the same answer again. */
export const FINAL_STATUSES: readonly number[] = [401, 403, 404];
/** Redirect statuses followed for GET and HEAD, RFC 9110 §15.4. */
export const REDIRECT_STATUSES: readonly number[] = [301, 302, 303, 307, 308];
/** Redirects followed per request before giving up (Go's client allows 10; registries use one or two). */
export const MAX_REDIRECTS = 5;

/** Bearer error values after which a cached token is worth replacing, RFC 6750 §3.1. */
export const BEARER_RETRY_ERRORS: readonly string[] = ['invalid_token', 'insufficient_scope'];

/** Verb of the docker credential helper protocol for reading credentials. */
export const CREDENTIAL_HELPER_GET = 'get';

/** OAuth2 client id sent with refresh-token grants (docker token spec, `oauth.md`). */
export const OAUTH_CLIENT_ID = 'digester';

/** Per-request deadline when the caller gives none. */
export const DEFAULT_TIMEOUT_MS = 10_000;
/** Attempts per request, the first included, when the caller gives none. */
export const DEFAULT_RETRY_ATTEMPTS = 4;
/** Backoff base: attempt n waits a random time up to base × 2^(n-1) ("full jitter"). */
export const DEFAULT_RETRY_BASE_DELAY_MS = 500;
/** Cap on any wait between attempts, Retry-After included. */
export const DEFAULT_RETRY_MAX_DELAY_MS = 10_000;
/** Scopes asked for in one token request; more are split, which keeps the realm URL short (under ~4 KiB). */
export const MAX_SCOPES_PER_TOKEN = 50;
/** Token lifetime when the server omits `expires_in` (docker token spec, `token.md`). */
export const DEFAULT_TOKEN_TTL_SECONDS = 60;
/** Tokens are dropped this long before they expire, so a request never carries a token that dies in flight. */
export const TOKEN_EXPIRY_MARGIN_SECONDS = 10;
/** Bound for error bodies, token responses and helper output. */
export const MAX_SMALL_BODY_BYTES = 64 * 1024;
/** Bound for manifest bodies hashed by the GET fallback (distribution caps manifests at 4 MiB). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
