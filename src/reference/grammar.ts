// The image reference grammar of github.com/distribution/reference
// (regexp.go), which docker, containerd and the kubelet all follow:
//
//   reference        := name [ ":" tag ] [ "@" digest ]
//   name             := [domain '/'] remote-name
//   domain           := host [':' port-number]
//   host             := domain-name | IPv4address | \[ IPv6address \]
//   path-component   := alpha-numeric [separator alpha-numeric]*
//   separator        := /[_.]|__|[-]+/
//   tag              := /[\w][\w.-]{0,127}/
//   digest           := algorithm ":" hex

const alphanumeric = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const pathComponent = `${alphanumeric}(?:${separator}${alphanumeric})*`;
const domainNameComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domainName = `${domainNameComponent}(?:\\.${domainNameComponent})*`;
const ipv6Address = '\\[(?:[a-fA-F0-9:]+)\\]';
const host = `(?:${domainName}|${ipv6Address})`;
const domainAndPort = `${host}(?::[0-9]+)?`;
const tag = '[\\w][\\w.-]{0,127}';
const digest = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}';
const remoteName = `${pathComponent}(?:/${pathComponent})*`;
const namePattern = `(?:${domainAndPort}/)?${remoteName}`;

/** Matches a whole reference; groups: 1 name, 2 tag, 3 digest. */
export const REFERENCE = new RegExp(`^(${namePattern})(?::(${tag}))?(?:@(${digest}))?$`);

/** Matches a domain with optional port, anchored. */
export const DOMAIN = new RegExp(`^${domainAndPort}$`);

/** Matches a remote name (the repository path without domain), anchored. */
export const REMOTE_NAME = new RegExp(`^${remoteName}$`);

/** A bare 64-hex image ID, which docker refuses as a repository name. */
export const IDENTIFIER = /^[a-f0-9]{64}$/;

/** distribution's NameTotalLengthMax. */
export const NAME_MAX_LENGTH = 255;

/**
 * Digest algorithms the kubelet accepts, with the hex length of each
 * (go-digest registers sha256, sha384 and sha512; the encoded part is
 * lowercase hex of exactly the hash size).
 */
export const DIGEST_HEX_LENGTHS: ReadonlyMap<string, number> = new Map([
  ['sha256', 64],
  ['sha384', 96],
  ['sha512', 128],
]);

/** Docker Hub's canonical domain, as reference.ParseNormalizedNamed writes it. */
export const DOCKER_HUB = 'docker.io';

/** Docker Hub's legacy domain, normalized to {@link DOCKER_HUB}. */
export const DOCKER_HUB_LEGACY = 'index.docker.io';

/** The namespace of Docker Hub's official images. */
export const OFFICIAL_NAMESPACE = 'library';
