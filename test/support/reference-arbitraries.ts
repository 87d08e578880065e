import fc from 'fast-check';

// fast-check generators for image references, built from the grammar of
// github.com/distribution/reference (regexp.go) rather than from the parser
// under test, so property tests can compare the two.

/** A generated reference and the parts `parseReference` must give for it. */
export interface GeneratedReference {
  /** The reference as a user would write it. */
  readonly text: string;
  /** The name part of `text`, before any `:tag` or `@digest`. */
  readonly name: string;
  readonly registry: string;
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

const LOWER_ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';
const DOMAIN_CHARS = `${LOWER_ALNUM}ABCDEFGHIJKLMNOPQRSTUVWXYZ`;
const WORD_CHARS = `${DOMAIN_CHARS}_`;
const HEX = '0123456789abcdef';

/** distribution's NameTotalLengthMax; the tests do not import it from src. */
export const NAME_MAX_LENGTH = 255;

const chars = (alphabet: string, minLength: number, maxLength: number): fc.Arbitrary<string> =>
  fc.string({ unit: fc.constantFrom(...alphabet), minLength, maxLength });

/** `separator := /[_.]|__|[-]+/` */
export const separatorArb: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('.', '_', '__'),
  fc.integer({ min: 1, max: 3 }).map((n) => '-'.repeat(n)),
);

/** `path-component := alpha-numeric [separator alpha-numeric]*` */
export const pathComponentArb: fc.Arbitrary<string> = fc
  .tuple(chars(LOWER_ALNUM, 1, 8), fc.array(fc.tuple(separatorArb, chars(LOWER_ALNUM, 1, 6)), { maxLength: 2 }))
  .map(([head, rest]) => head + rest.map(([separator, alnum]) => separator + alnum).join(''));

/** A path component that `splitDockerDomain` cannot mistake for a domain (no `.`, not `localhost`). */
const namespaceComponentArb = pathComponentArb.filter((component) => !component.includes('.') && component !== 'localhost');

/** `domain-name-component := /(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])/` */
const domainComponentArb = (alphabet: string): fc.Arbitrary<string> =>
  fc.oneof(
    chars(alphabet, 1, 1),
    fc
      .tuple(chars(alphabet, 1, 1), chars(`${alphabet}-`, 0, 6), chars(alphabet, 1, 1))
      .map(([first, middle, last]) => first + middle + last),
  );

const portArb = fc.integer({ min: 0, max: 65535 }).map((port) => `:${port}`);
const optionalPort = fc.option(portArb, { nil: '' });

/** Bracketed IPv6 in the forms the grammar takes: hex groups and `::`, no dotted quad. */
const ipv6Arb: fc.Arbitrary<string> = fc
  .tuple(fc.array(chars(`${HEX}ABCDEF`, 1, 4), { minLength: 1, maxLength: 8 }), fc.nat(), fc.boolean())
  .map(([groups, at, compress]) => {
    if (!compress && groups.length === 8) return `[${groups.join(':')}]`;
    const cut = at % (groups.length + 1);
    return `[${groups.slice(0, cut).join(':')}::${groups.slice(cut).join(':')}]`;
  });

const ipv4Arb = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((octets) => octets.join('.'));

/**
 * Domains that `splitDockerDomain` recognizes as such and keeps as written:
 * a dotted name, a name with a port, IPv4, bracketed IPv6 or `localhost`.
 * Never `docker.io` or `index.docker.io`, which are normalized.
 */
export const registryArb = (options: { readonly uppercase?: boolean } = {}): fc.Arbitrary<string> => {
  const alphabet = options.uppercase === true ? DOMAIN_CHARS : LOWER_ALNUM;
  const dotted = fc
    .array(domainComponentArb(alphabet), { minLength: 2, maxLength: 4 })
    .map((parts) => parts.join('.'));
  return fc
    .oneof(
      fc.tuple(dotted, optionalPort).map(([name, port]) => name + port),
      fc.tuple(domainComponentArb(alphabet), portArb).map(([name, port]) => name + port),
      fc.tuple(ipv4Arb, optionalPort).map(([ip, port]) => ip + port),
      fc.tuple(ipv6Arb, optionalPort).map(([ip, port]) => ip + port),
      optionalPort.map((port) => `localhost${port}`),
      // A first component with an uppercase letter is a domain even without `.` or `:`.
      ...(options.uppercase === true ? [domainComponentArb(DOMAIN_CHARS).filter((name) => /[A-Z]/.test(name))] : []),
    )
    .filter((domain) => !/^(?:index\.)?docker\.io$/i.test(domain));
};

/** `tag := /[\w][\w.-]{0,127}/`, short most of the time and up to the 128-character limit. */
export const tagArb: fc.Arbitrary<string> = fc
  .tuple(chars(WORD_CHARS, 1, 1), fc.oneof({ weight: 5, arbitrary: chars(`${WORD_CHARS}.-`, 0, 12) }, { weight: 1, arbitrary: chars(`${WORD_CHARS}.-`, 0, 127) }))
  .map(([first, rest]) => first + rest);

/** A digest of an algorithm the kubelet accepts, with exactly the right number of lowercase hex digits. */
export const digestArb: fc.Arbitrary<string> = fc
  .constantFrom(['sha256', 64] as const, ['sha384', 96] as const, ['sha512', 128] as const)
  .chain(([algorithm, length]) => chars(HEX, length, length).map((hex) => `${algorithm}:${hex}`));

const repositoryArb = (minComponents: number, maxComponents: number): fc.Arbitrary<string> =>
  fc.array(pathComponentArb, { minLength: minComponents, maxLength: maxComponents }).map((parts) => parts.join('/'));

interface Suffix {
  readonly tag: string | undefined;
  readonly digest: string | undefined;
}

/** An optional tag, and a digest in `digestTenths` of ten cases. */
const suffixArb = (digestTenths: number): fc.Arbitrary<Suffix> =>
  fc
    .tuple(
      fc.option(tagArb, { nil: undefined }),
      fc.oneof({ weight: digestTenths, arbitrary: digestArb }, { weight: 10 - digestTenths, arbitrary: fc.constant(undefined) }),
    )
    .map(([tag, digest]) => ({ tag, digest }));

function build(name: string, registry: string, repository: string, suffix: Suffix): GeneratedReference {
  return {
    text: name + (suffix.tag === undefined ? '' : `:${suffix.tag}`) + (suffix.digest === undefined ? '' : `@${suffix.digest}`),
    name,
    registry,
    repository,
    ...(suffix.tag !== undefined && { tag: suffix.tag }),
    ...(suffix.digest !== undefined && { digest: suffix.digest }),
  };
}

const withinNameLimit = (reference: GeneratedReference): boolean =>
  reference.registry.length + 1 + reference.repository.length <= NAME_MAX_LENGTH;

/**
 * References already in canonical form, `registry/repository[:tag][@digest]`,
 * for which `formatReference(parseReference(text)) === text`. Includes
 * `docker.io/<namespace>/<repository>`.
 */
export const canonicalReferenceArb = (options: { readonly uppercase?: boolean; readonly digestTenths?: number } = {}): fc.Arbitrary<GeneratedReference> =>
  fc
    .oneof(
      { weight: 4, arbitrary: fc.tuple(registryArb(options), repositoryArb(1, 4)) },
      { weight: 1, arbitrary: fc.tuple(fc.constant('docker.io'), fc.tuple(namespaceComponentArb, repositoryArb(1, 3)).map(([ns, rest]) => `${ns}/${rest}`)) },
    )
    .chain(([registry, repository]) =>
      suffixArb(options.digestTenths ?? 3).map((suffix) => build(`${registry}/${repository}`, registry, repository, suffix)),
    )
    .filter(withinNameLimit);

/**
 * Docker Hub references in the short forms people write, with their
 * normalized parts: `name` (official image, `library/`), `ns/name…`, and the
 * same behind `docker.io/` or the legacy `index.docker.io/`.
 */
export const dockerHubReferenceArb = (options: { readonly digestTenths?: number } = {}): fc.Arbitrary<GeneratedReference> =>
  fc
    .tuple(
      fc.oneof(
        pathComponentArb.map((name) => ({ path: name, repository: `library/${name}` })),
        fc.tuple(namespaceComponentArb, repositoryArb(1, 2)).map(([ns, rest]) => ({ path: `${ns}/${rest}`, repository: `${ns}/${rest}` })),
      ),
      fc.constantFrom('', '', 'docker.io/', 'index.docker.io/'),
      suffixArb(options.digestTenths ?? 3),
    )
    .map(([{ path, repository }, prefix, suffix]) => build(`${prefix}${path}`, 'docker.io', repository, suffix))
    // A bare 64-hex string is an image ID, never a name.
    .filter((reference) => withinNameLimit(reference) && !/^[a-f0-9]{64}$/.test(reference.text));

/** Any valid reference: canonical or Docker Hub short form. */
export const validReferenceArb = (options: { readonly uppercase?: boolean; readonly digestTenths?: number } = {}): fc.Arbitrary<GeneratedReference> =>
  fc.oneof(canonicalReferenceArb(options), dockerHubReferenceArb(options));
