import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseChallenges, selectChallenge, type Challenge } from '../../src/registry/challenge.js';

type Expected = { scheme: string; params?: Record<string, string>; token68?: string };

// Header values seen from real registries (Docker Hub, GHCR, Quay, ECR, Harbor, distribution) and RFC 7235 edge cases.
const cases: ReadonlyArray<readonly [string, string, readonly Expected[]]> = [
  [
    'docker hub bearer',
    'Bearer realm="https://auth.docker.io/token",service="registry.docker.io"',
    [{ scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io' } }],
  ],
  [
    'bearer with scope holding a colon list',
    'Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:user/image:pull"',
    [{ scheme: 'bearer', params: { realm: 'https://ghcr.io/token', service: 'ghcr.io', scope: 'repository:user/image:pull' } }],
  ],
  [
    'bearer then basic in one header',
    'Bearer realm="https://r.example/token",service="reg", Basic realm="x"',
    [
      { scheme: 'bearer', params: { realm: 'https://r.example/token', service: 'reg' } },
      { scheme: 'basic', params: { realm: 'x' } },
    ],
  ],
  ['basic then bearer', 'Basic realm="b",Bearer realm="t"', [{ scheme: 'basic', params: { realm: 'b' } }, { scheme: 'bearer', params: { realm: 't' } }]],
  ['comma inside quotes', 'Bearer realm="https://x/token",scope="repository:a:pull,push"', [{ scheme: 'bearer', params: { realm: 'https://x/token', scope: 'repository:a:pull,push' } }]],
  ['escaped quote and backslash', 'Basic realm="say \\"hi\\", \\\\ok"', [{ scheme: 'basic', params: { realm: 'say "hi", \\ok' } }]],
  ['mixed-case scheme and names', 'BEARER Realm="https://x/t", SERVICE="s"', [{ scheme: 'bearer', params: { realm: 'https://x/t', service: 's' } }]],
  ['whitespace around "=" and commas', 'Bearer  realm = "r" ,  service= s  ,scope =x', [{ scheme: 'bearer', params: { realm: 'r', service: 's', scope: 'x' } }]],
  ['unquoted url value (lenient)', 'Bearer realm=https://auth.example/token,service=example', [{ scheme: 'bearer', params: { realm: 'https://auth.example/token', service: 'example' } }]],
  ['token68', 'Negotiate YIIBhwYGKwYBBQUCoIIBezCCAXeg==', [{ scheme: 'negotiate', token68: 'YIIBhwYGKwYBBQUCoIIBezCCAXeg==' }]],
  ['token68 then a challenge with params', 'Foo abc=, Basic realm="r"', [{ scheme: 'foo', token68: 'abc=' }, { scheme: 'basic', params: { realm: 'r' } }]],
  ['scheme without parameters', 'Negotiate, Basic realm="r"', [{ scheme: 'negotiate' }, { scheme: 'basic', params: { realm: 'r' } }]],
  ['bearer error from a 401 with a token', 'Bearer realm="r",service="s",scope="repository:a:pull",error="insufficient_scope"', [{ scheme: 'bearer', params: { realm: 'r', service: 's', scope: 'repository:a:pull', error: 'insufficient_scope' } }]],
  ['duplicate parameter keeps the first', 'Basic realm="one", realm="two"', [{ scheme: 'basic', params: { realm: 'one' } }]],
  ['empty quoted value', 'Basic realm=""', [{ scheme: 'basic', params: { realm: '' } }]],
  ['empty header', '', []],
  ['only separators', ' , ,, ', []],
  ['garbage', '"=,@@', []],
  ['garbage before a challenge', '@@@, Basic realm="r"', [{ scheme: 'basic', params: { realm: 'r' } }]],
  ['unterminated quote drops the parameter', 'Basic realm="r", charset="UTF-8', [{ scheme: 'basic', params: { realm: 'r' } }]],
  ['junk after a value skips to the next comma', 'Bearer realm="r" junk, service="s"', [{ scheme: 'bearer', params: { realm: 'r', service: 's' } }]],
];

function simplify(challenges: readonly Challenge[]): Expected[] {
  return challenges.map((c) => ({
    scheme: c.scheme,
    ...(Object.keys(c.params).length > 0 ? { params: { ...c.params } } : {}),
    ...(c.token68 === undefined ? {} : { token68: c.token68 }),
  }));
}

describe('parseChallenges', () => {
  for (const [name, header, expected] of cases) {
    it(`parses ${name}: ${JSON.stringify(header)}`, () => {
      assert.deepEqual(simplify(parseChallenges(header)), expected);
    });
  }

  it('returns params without a prototype, so "constructor" or "__proto__" are plain keys', () => {
    const [challenge] = parseChallenges('Basic __proto__="x", constructor="y"');
    assert.equal(challenge?.params['__proto__'], 'x');
    assert.equal(challenge?.params['constructor'], 'y');
  });
});

describe('selectChallenge', () => {
  const table: ReadonlyArray<readonly [string, string | undefined]> = [
    ['Basic realm="b", Bearer realm="t"', 'bearer'],
    ['Bearer realm="t", Basic realm="b"', 'bearer'],
    ['Basic realm="b"', 'basic'],
    ['Negotiate abc, Basic realm="b"', 'basic'],
    ['Negotiate abc', undefined],
    ['', undefined],
  ];
  for (const [header, scheme] of table) {
    it(`picks ${scheme ?? 'nothing'} from ${JSON.stringify(header)}`, () => {
      assert.equal(selectChallenge(parseChallenges(header))?.scheme, scheme);
    });
  }
});
