import {
  DIGEST_HEX_LENGTHS,
  DOMAIN,
  DOCKER_HUB,
  DOCKER_HUB_LEGACY,
  IDENTIFIER,
  NAME_MAX_LENGTH,
  OFFICIAL_NAMESPACE,
  REFERENCE,
  REMOTE_NAME,
} from './grammar.js';

/** A normalized image reference, as `reference.ParseNormalizedNamed` gives it. */
export interface ImageReference {
  /** `docker.io` for Docker Hub, else the domain as written (with port). */
  readonly registry: string;
  /** The repository path, e.g. `library/busybox`. */
  readonly repository: string;
  /** The tag as written; absent when the input has none (the kubelet then pulls `latest`). */
  readonly tag?: string;
  /** `algorithm:hex`, when the input carries one. */
  readonly digest?: string;
}

/** Thrown for a string that is not an image reference. */
export class InvalidReferenceError extends Error {
  /** Stable code callers may test for. */
  readonly code = 'ERR_INVALID_REFERENCE';
  /** The string that failed to parse. */
  readonly input: string;

  constructor(input: string, reason: string) {
    super(`invalid image reference ${quote(input)}: ${reason}`);
    this.name = 'InvalidReferenceError';
    this.input = input;
  }
}

/** JSON-quotes a string, also escaping the Unicode line breaks JSON leaves raw, so messages stay one line. */
function quote(text: string): string {
  return JSON.stringify(text).replace(/[\u0085\u2028\u2029]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * Parses an image reference the way docker and the kubelet do
 * (distribution/reference `ParseNormalizedNamed` plus digest validation),
 * and normalizes Docker Hub names: `busybox` → `docker.io/library/busybox`.
 */
export function parseReference(input: string): ImageReference {
  if (typeof input !== 'string' || input.length === 0) {
    throw new InvalidReferenceError(String(input), 'empty reference');
  }
  if (/\s/.test(input)) throw new InvalidReferenceError(input, 'contains whitespace');
  if (IDENTIFIER.test(input)) {
    throw new InvalidReferenceError(input, 'a 64-character hexadecimal string is an image ID, not a repository name');
  }
  const { domain, remainder } = splitDomain(input);
  const match = REFERENCE.exec(`${domain}/${remainder}`);
  if (match === null) throw new InvalidReferenceError(input, explainMismatch(domain, remainder));

  const [, name = '', tag, digest] = match;
  if (name.length > NAME_MAX_LENGTH) {
    throw new InvalidReferenceError(input, `name must not be longer than ${NAME_MAX_LENGTH} characters`);
  }
  if (digest !== undefined) validateDigest(input, digest);

  const repository = name.slice(domain.length + 1);
  return {
    registry: domain,
    repository,
    ...(tag !== undefined && { tag }),
    ...(digest !== undefined && { digest }),
  };
}

/**
 * Splits the domain off the way `splitDockerDomain` does: the first path
 * component is a domain only when it contains `.` or `:`, is `localhost`,
 * or holds an uppercase letter (repository paths must be lowercase).
 */
function splitDomain(input: string): { domain: string; remainder: string } {
  const slash = input.indexOf('/');
  const first = slash === -1 ? '' : input.slice(0, slash);
  const isDomain =
    slash !== -1 && (/[.:]/.test(first) || first === 'localhost' || first.toLowerCase() !== first);
  let domain = isDomain ? first : DOCKER_HUB;
  let remainder = isDomain ? input.slice(slash + 1) : input;
  if (domain === DOCKER_HUB_LEGACY) domain = DOCKER_HUB;
  if (domain === DOCKER_HUB && !remainder.includes('/')) remainder = `${OFFICIAL_NAMESPACE}/${remainder}`;
  const path = remainder.split(/[:@]/, 1)[0] ?? '';
  if (path.toLowerCase() !== path) {
    throw new InvalidReferenceError(input, `repository name ${quote(path)} must be lowercase`);
  }
  return { domain, remainder };
}

/** Checks the digest names a supported algorithm with the exact hex length. */
function validateDigest(input: string, digest: string): void {
  const colon = digest.indexOf(':');
  const algorithm = digest.slice(0, colon);
  const hex = digest.slice(colon + 1);
  const length = DIGEST_HEX_LENGTHS.get(algorithm);
  if (length === undefined) {
    throw new InvalidReferenceError(input, `unsupported digest algorithm "${algorithm}" (use sha256, sha384 or sha512)`);
  }
  if (!/^[a-f0-9]+$/.test(hex) || hex.length !== length) {
    throw new InvalidReferenceError(input, `${algorithm} digest must be ${length} lowercase hex characters`);
  }
}

/** Says which part of a non-matching reference is wrong, for the error message. */
function explainMismatch(domain: string, remainder: string): string {
  const generic = 'expected [registry/]repository[:tag][@digest], lowercase letters, digits and separators';
  const at = remainder.indexOf('@');
  const beforeDigest = at === -1 ? remainder : remainder.slice(0, at);
  const colon = beforeDigest.lastIndexOf(':');
  const path = colon === -1 ? beforeDigest : beforeDigest.slice(0, colon);
  if (!DOMAIN.test(domain) || !REMOTE_NAME.test(path)) return generic;
  const tag = colon === -1 ? undefined : beforeDigest.slice(colon + 1);
  if (tag !== undefined && tag.length > 128) return 'tag must not be longer than 128 characters';
  if (tag !== undefined && !/^[\w][\w.-]*$/.test(tag)) {
    return `tag ${quote(tag)} must match [A-Za-z0-9_][A-Za-z0-9_.-]*`;
  }
  if (at === -1) return generic;
  const digest = remainder.slice(at + 1);
  const length = DIGEST_HEX_LENGTHS.get(digest.slice(0, digest.indexOf(':')));
  if (length !== undefined) return `${digest.slice(0, digest.indexOf(':'))} digest must be ${length} lowercase hex characters`;
  return 'digest must be algorithm:hex, e.g. sha256:<64 hex>';
}
