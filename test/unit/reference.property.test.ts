import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { InvalidReferenceError, formatReference, parseReference, type ImageReference } from '../../src/reference/index.js';
import {
  NAME_MAX_LENGTH,
  canonicalReferenceArb,
  digestArb,
  dockerHubReferenceArb,
  validReferenceArb,
  type GeneratedReference,
} from '../support/reference-arbitraries.js';

// Property tests for the reference grammar. The seed is fixed so CI is
// deterministic; FC_SEED=<n> explores other cases, FC_RUNS=<n> runs more of
// them. fast-check prints the seed and the shrunk counterexample on failure.
const seed = Number(process.env.FC_SEED ?? 20_240_102);
const runs = (numRuns: number): fc.Parameters<unknown> => ({ seed, numRuns: Number(process.env.FC_RUNS ?? numRuns), includeErrorInReport: true });

/** The parts a generated reference must parse to. */
function expectedParts(reference: GeneratedReference): ImageReference {
  return {
    registry: reference.registry,
    repository: reference.repository,
    ...(reference.tag !== undefined && { tag: reference.tag }),
    ...(reference.digest !== undefined && { digest: reference.digest }),
  };
}

/**
 * Parses `input` and checks the only two outcomes allowed: a reference whose
 * canonical form parses back to itself, or an InvalidReferenceError naming
 * the input on one line. Returns the error, if any, for further checks.
 */
function parseOrReject(input: string): InvalidReferenceError | undefined {
  let parsed: ImageReference;
  try {
    parsed = parseReference(input);
  } catch (error) {
    assert.ok(error instanceof InvalidReferenceError, `expected an InvalidReferenceError for ${JSON.stringify(input)}, got ${String(error)}`);
    assert.equal(error.code, 'ERR_INVALID_REFERENCE');
    assert.equal(error.input, input);
    assert.doesNotMatch(error.message, /[\r\n]/, 'the message is one line');
    assert.match(error.message, /^invalid image reference /);
    return error;
  }
  // Normalization is idempotent: the canonical form parses to the same parts.
  assert.deepEqual(parseReference(formatReference(parsed)), parsed, `canonical form of ${JSON.stringify(input)}`);
  return undefined;
}

/** Characters that break a reference, or move its domain/tag/digest boundaries. */
const INTRUDERS = ['A', 'Z', ' ', '\t', '\n', '\r', '\u00a0', '@', ':', '/', '.', '-', '_', '__', '[', ']', '%', '\u00e9', '\u0000', '\ud800'];

/** One edit of a valid reference; `mustFail` when the result can never be a valid reference. */
type Mutation = { readonly text: string; readonly mustFail: boolean; readonly what: string };

const mutationArb: fc.Arbitrary<Mutation> = fc
  .tuple(validReferenceArb({ uppercase: true, digestTenths: 5 }), fc.nat(), fc.constantFrom(...INTRUDERS), fc.integer({ min: 1, max: 40 }))
  .chain(([reference, at, intruder, count]) => {
    const { text } = reference;
    const position = at % (text.length + 1);
    const options: fc.Arbitrary<Mutation>[] = [
      fc.constant({ text: text.slice(0, position) + intruder + text.slice(position), mustFail: /\s/.test(intruder), what: `insert ${JSON.stringify(intruder)}` }),
      fc.constant({ text: text.slice(0, position) + text.slice(position + 1), mustFail: false, what: 'delete a character' }),
      fc.constant({ text: text.slice(0, position), mustFail: false, what: 'truncate' }),
      // The last path component is never a domain, so an uppercase letter there (or in the digest) is always wrong.
      fc.constant({ text: text.toUpperCase(), mustFail: reference.digest !== undefined || /[a-z]/.test(reference.repository.split('/').pop() ?? ''), what: 'uppercase' }),
      fc.constant({ text: `${text}@${text}`, mustFail: false, what: 'append @ and itself' }),
      digestArb.map((digest) => ({ text: `${text}@${digest}`, mustFail: reference.digest !== undefined, what: 'append a second digest' })),
    ];
    if (reference.digest !== undefined) {
      const hexLength = reference.digest.length - reference.digest.indexOf(':') - 1;
      const cut = Math.min(count, hexLength);
      options.push(
        fc.constant({ text: text.slice(0, text.length - cut), mustFail: true, what: `drop ${cut} hex digit(s) of the digest` }),
        fc.constant({ text: `${text}${'0'.repeat(count)}`, mustFail: true, what: `add ${count} hex digit(s) to the digest` }),
        fc.constant({ text: text.slice(0, text.length - hexLength) + text.slice(-hexLength).toUpperCase(), mustFail: /[a-f]/.test(text.slice(-hexLength)), what: 'uppercase hex' }),
        fc.constantFrom('sha1', 'md5', 'SHA256', 'sha256+b64', 'blake3').map((algorithm) => ({
          text: text.replace(/@[^:@]+:/, `@${algorithm}:`),
          mustFail: true,
          what: `digest algorithm ${algorithm}`,
        })),
      );
    }
    return fc.oneof(...options);
  });

describe('parseReference properties', () => {
  it('canonical references round-trip: formatReference(parseReference(s)) === s', () => {
    fc.assert(
      fc.property(canonicalReferenceArb({ uppercase: true }), (reference) => {
        const parsed = parseReference(reference.text);
        assert.deepEqual(parsed, expectedParts(reference));
        assert.equal(formatReference(parsed), reference.text);
      }),
      runs(1000),
    );
  });

  it('Docker Hub short forms normalize to docker.io and library/', () => {
    fc.assert(
      fc.property(dockerHubReferenceArb(), (reference) => {
        const parsed = parseReference(reference.text);
        assert.deepEqual(parsed, expectedParts(reference));
        assert.equal(parsed.registry, 'docker.io');
        const path = reference.text.replace(/^(?:index\.)?docker\.io\//, '').split(/[:@]/, 1)[0] ?? '';
        assert.equal(parsed.repository, path.includes('/') ? path : `library/${path}`);
        const tag = parsed.tag === undefined ? '' : `:${parsed.tag}`;
        const digest = parsed.digest === undefined ? '' : `@${parsed.digest}`;
        assert.equal(formatReference(parsed), `docker.io/${parsed.repository}${tag}${digest}`);
      }),
      runs(1000),
    );
  });

  it(`names are accepted up to ${NAME_MAX_LENGTH} characters (normalized), tags up to 128`, () => {
    fc.assert(
      fc.property(
        validReferenceArb({ digestTenths: 5 }),
        fc.integer({ min: NAME_MAX_LENGTH - 2, max: NAME_MAX_LENGTH + 2 }),
        fc.integer({ min: 126, max: 130 }),
        fc.boolean(),
        (reference, nameLength, tagLength, padName) => {
          const normalizedName = `${reference.registry}/${reference.repository}`;
          const rest = reference.text.slice(reference.name.length);
          if (padName) {
            // Lengthen the last path component so the normalized name has exactly nameLength characters.
            const padding = 'x'.repeat(Math.max(0, nameLength - normalizedName.length));
            const text = reference.name + padding + rest;
            const error = parseOrReject(text);
            const expectedLength = normalizedName.length + padding.length;
            if (expectedLength <= NAME_MAX_LENGTH) assert.equal(error, undefined, `${expectedLength} characters is allowed: ${text}`);
            else assert.match(error?.message ?? '(parsed)', /name must not be longer than 255 characters/);
          } else {
            const text = `${reference.name}:${'t'.repeat(tagLength)}${reference.digest === undefined ? '' : `@${reference.digest}`}`;
            const error = parseOrReject(text);
            if (tagLength <= 128) assert.equal(error, undefined, `a ${tagLength}-character tag is allowed`);
            else assert.match(error?.message ?? '(parsed)', /tag must not be longer than 128 characters/);
          }
        },
      ),
      runs(500),
    );
  });

  it('arbitrary strings parse or throw InvalidReferenceError with a one-line message', () => {
    const grammarChars = fc.constantFrom(...'abz09AZ._-/:@[]sha256:ef \n\t'.split(''));
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string({ unit: 'binary', maxLength: 300 }),
          fc.string({ unit: 'grapheme', maxLength: 50 }),
          fc.string({ unit: grammarChars, maxLength: 80 }),
          // Lone surrogates, which JSON.stringify must escape in the message.
          fc.string({ unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code)), maxLength: 3 }),
        ),
        (input) => {
          parseOrReject(input);
        },
      ),
      runs(10_000),
    );
  });

  it('mutated valid references parse or throw InvalidReferenceError; broken ones always throw', () => {
    fc.assert(
      fc.property(mutationArb, ({ text, mustFail, what }) => {
        const error = parseOrReject(text);
        if (mustFail) assert.ok(error !== undefined, `${what}: ${JSON.stringify(text)} must be rejected`);
      }),
      runs(10_000),
    );
  });

  it(
    'error messages hold no Unicode line separators either (U+2028, U+2029, U+0085)',
    () => {
      fc.assert(
        fc.property(fc.string({ unit: fc.constantFrom('a', '/', ':', '\u2028', '\u2029', '\u0085'), minLength: 1, maxLength: 6 }), (input) => {
          const error = parseOrReject(input);
          if (error !== undefined) assert.doesNotMatch(error.message, /[\u2028\u2029\u0085]/);
        }),
        runs(200),
      );
    },
  );
});
