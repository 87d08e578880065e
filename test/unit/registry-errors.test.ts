import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isCertificateError, networkError, RegistryError, responseError, type ResponseContext } from '../../src/registry/errors.js';

const H = '127.0.0.1:5000';
const body = (value: unknown): Buffer => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));

describe('responseError', () => {
  const table: ReadonlyArray<readonly [string, ResponseContext, RegistryError['code'], string, boolean]> = [
    ['HEAD 404 of a manifest', { method: 'HEAD', status: 404, host: H, manifest: true }, 'ERR_MANIFEST_UNKNOWN', `MANIFEST_UNKNOWN: manifest unknown (HEAD 404 from ${H})`, false],
    ['HEAD 401', { method: 'HEAD', status: 401, host: H, manifest: true }, 'ERR_REGISTRY_AUTH', `UNAUTHORIZED: authentication required (HEAD 401 from ${H})`, false],
    ['HEAD 403', { method: 'HEAD', status: 403, host: H, manifest: true }, 'ERR_REGISTRY_AUTH', `DENIED: requested access to the resource is denied (HEAD 403 from ${H})`, false],
    ['HEAD 429', { method: 'HEAD', status: 429, host: H, manifest: true }, 'ERR_REGISTRY_UNAVAILABLE', `TOOMANYREQUESTS: too many requests (HEAD 429 from ${H})`, true],
    ['GET 503 without body', { method: 'GET', status: 503, host: H }, 'ERR_REGISTRY_UNAVAILABLE', `service unavailable (GET 503 from ${H})`, true],
    ['GET 500 with an html body', { method: 'GET', status: 500, host: H, body: body('<html>oops</html>') }, 'ERR_REGISTRY_UNAVAILABLE', `internal server error (GET 500 from ${H})`, true],
    [
      'GET 404 with the spec body',
      { method: 'GET', status: 404, host: H, manifest: true, body: body({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown', detail: { Tag: 'x' } }] }) },
      'ERR_MANIFEST_UNKNOWN',
      `MANIFEST_UNKNOWN: manifest unknown (GET 404 from ${H})`,
      false,
    ],
    [
      'GET 404 for an unknown repository',
      { method: 'GET', status: 404, host: H, manifest: true, body: body({ errors: [{ code: 'NAME_UNKNOWN', message: 'repository name not known to registry' }] }) },
      'ERR_MANIFEST_UNKNOWN',
      `NAME_UNKNOWN: repository name not known to registry (GET 404 from ${H})`,
      false,
    ],
    [
      'several errors and a multi-line message',
      { method: 'GET', status: 401, host: H, body: body({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication\nrequired' }, { code: 'DENIED' }] }) },
      'ERR_REGISTRY_AUTH',
      `UNAUTHORIZED: authentication required; DENIED: denied (GET 401 from ${H})`,
      false,
    ],
    ['GET 400 manifest invalid', { method: 'GET', status: 400, host: H, body: body({ errors: [{ code: 'MANIFEST_INVALID', message: 'manifest invalid' }] }) }, 'ERR_REGISTRY_RESPONSE', `MANIFEST_INVALID: manifest invalid (GET 400 from ${H})`, false],
    ['token endpoint oauth error', { method: 'POST', status: 400, host: 'auth.example', token: true, body: body({ error: 'invalid_grant' }) }, 'ERR_REGISTRY_AUTH', 'invalid_grant: invalid grant (POST 400 from auth.example)', false],
    ['oauth error with description', { method: 'POST', status: 401, host: 'auth.example', token: true, body: body({ error: 'invalid_client', error_description: 'Client authentication failed' }) }, 'ERR_REGISTRY_AUTH', 'invalid_client: Client authentication failed (POST 401 from auth.example)', false],
    ['docker hub auth details', { method: 'GET', status: 401, host: 'auth.docker.io', token: true, body: body({ details: 'incorrect username or password' }) }, 'ERR_REGISTRY_AUTH', 'incorrect username or password (GET 401 from auth.docker.io)', false],
    ['an unexpected redirect', { method: 'HEAD', status: 307, host: H, manifest: true }, 'ERR_REGISTRY_RESPONSE', `temporary redirect (HEAD 307 from ${H})`, false],
    ['HEAD 408', { method: 'HEAD', status: 408, host: H, manifest: true }, 'ERR_REGISTRY_UNAVAILABLE', `request timeout (HEAD 408 from ${H})`, true],
    ['HEAD 502', { method: 'HEAD', status: 502, host: H, manifest: true }, 'ERR_REGISTRY_UNAVAILABLE', `bad gateway (HEAD 502 from ${H})`, true],
    ['HEAD 504', { method: 'HEAD', status: 504, host: H, manifest: true }, 'ERR_REGISTRY_UNAVAILABLE', `gateway timeout (HEAD 504 from ${H})`, true],
    ['HEAD 501 (no HEAD support)', { method: 'HEAD', status: 501, host: H, manifest: true }, 'ERR_REGISTRY_UNAVAILABLE', `not implemented (HEAD 501 from ${H})`, false],
    ['GET 400 TOOMANYREQUESTS', { method: 'GET', status: 400, host: H, body: body({ errors: [{ code: 'TOOMANYREQUESTS', message: 'slow down' }] }) }, 'ERR_REGISTRY_UNAVAILABLE', `TOOMANYREQUESTS: slow down (GET 400 from ${H})`, true],
    ['GET 400 UNAVAILABLE', { method: 'GET', status: 400, host: H, body: body({ errors: [{ code: 'UNAVAILABLE', message: 'read only' }] }) }, 'ERR_REGISTRY_UNAVAILABLE', `UNAVAILABLE: read only (GET 400 from ${H})`, true],
    ['GET 403 TOOMANYREQUESTS is still an answer', { method: 'GET', status: 403, host: H, body: body({ errors: [{ code: 'TOOMANYREQUESTS', message: 'quota' }] }) }, 'ERR_REGISTRY_AUTH', `TOOMANYREQUESTS: quota (GET 403 from ${H})`, false],
    ['GET 404 UNAVAILABLE is still an answer', { method: 'GET', status: 404, host: H, manifest: true, body: body({ errors: [{ code: 'UNAVAILABLE', message: 'x' }] }) }, 'ERR_MANIFEST_UNKNOWN', `UNAVAILABLE: x (GET 404 from ${H})`, false],
  ];
  for (const [name, context, code, message, temporary] of table) {
    it(`describes ${name}`, () => {
      const error = responseError(context);
      assert.equal(error.message, message);
      assert.equal(error.code, code);
      assert.equal(error.status, context.status);
      assert.equal(error.temporary, temporary);
      assert.equal(error.name, 'RegistryError');
    });
  }

  it('keeps the registry code', () => {
    const error = responseError({ method: 'GET', status: 404, host: H, body: body({ errors: [{ code: 'NAME_UNKNOWN', message: 'x' }] }) });
    assert.equal(error.registryCode, 'NAME_UNKNOWN');
  });
});

describe('networkError', () => {
  const url = new URL('https://127.0.0.1:5999/v2/?secret=no');
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5999'), { code: 'ECONNREFUSED' });
  const table: ReadonlyArray<readonly [string, unknown, string, boolean]> = [
    ['a refused connection', refused, 'connect ECONNREFUSED 127.0.0.1:5999 (GET https://127.0.0.1:5999/v2/)', true],
    ['happy eyeballs failing on both families', new AggregateError([refused, Object.assign(new Error('connect ECONNREFUSED ::1:5999'), { code: 'ECONNREFUSED' })], ''), 'connect ECONNREFUSED 127.0.0.1:5999; connect ECONNREFUSED ::1:5999 (GET https://127.0.0.1:5999/v2/)', true],
    ['an abort by deadline', new DOMException('The operation was aborted due to timeout', 'TimeoutError'), 'timed out after 1.5s (GET https://127.0.0.1:5999/v2/)', true],
    ['an undici headers timeout', Object.assign(new Error('Headers Timeout Error'), { code: 'UND_ERR_HEADERS_TIMEOUT' }), 'timed out after 1.5s (GET https://127.0.0.1:5999/v2/)', true],
    ['a reset', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), 'read ECONNRESET (GET https://127.0.0.1:5999/v2/)', true],
    ['a tls handshake cut off', Object.assign(new Error('Client network socket disconnected before secure TLS connection was established'), { code: 'ECONNRESET' }), 'Client network socket disconnected before secure TLS connection was established (GET https://127.0.0.1:5999/v2/)', true],
    ['a socket closed by the peer', Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }), 'other side closed (GET https://127.0.0.1:5999/v2/)', true],
    ['a broken pipe', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }), 'write EPIPE (GET https://127.0.0.1:5999/v2/)', true],
    ['an unknown host', Object.assign(new Error('getaddrinfo ENOTFOUND nowhere.test'), { code: 'ENOTFOUND' }), 'getaddrinfo ENOTFOUND nowhere.test (GET https://127.0.0.1:5999/v2/)', false],
    ['an openssl error', Object.assign(new Error('80:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:x.c:350:'), { reason: 'wrong version number' }), 'tls handshake failed: wrong version number (GET https://127.0.0.1:5999/v2/)', false],
    ['an untrusted certificate', Object.assign(new Error('self-signed certificate in certificate chain'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' }), 'self-signed certificate in certificate chain (GET https://127.0.0.1:5999/v2/)', false],
    ['something that is not an error', 42, 'network error (GET https://127.0.0.1:5999/v2/)', false],
  ];
  for (const [name, cause, message, temporary] of table) {
    it(`describes ${name} without the query string, ${temporary ? '' : 'not '}temporary`, () => {
      const error = networkError('GET', url, cause, 1500);
      assert.equal(error.message, message);
      assert.equal(error.code, 'ERR_REGISTRY_UNAVAILABLE');
      assert.equal(error.temporary, temporary);
      assert.equal(error.cause, cause);
    });
  }
});

describe('isCertificateError', () => {
  const table: ReadonlyArray<readonly [string, unknown, boolean]> = [
    ['an unknown issuer', Object.assign(new Error('unable to get local issuer certificate'), { code: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' }), true],
    ['a self-signed chain', Object.assign(new Error('self-signed certificate in certificate chain'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' }), true],
    ['a wrong host name', Object.assign(new Error('Hostname/IP does not match'), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' }), true],
    ['an expired certificate', Object.assign(new Error('certificate has expired'), { code: 'CERT_HAS_EXPIRED' }), true],
    ['a wrapped certificate error', new Error('outer', { cause: Object.assign(new Error('x'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }) }), true],
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), false],
    ['a plain-http peer', Object.assign(new Error('wrong version number'), { code: 'ERR_SSL_WRONG_VERSION_NUMBER' }), false],
    ['undefined', undefined, false],
  ];
  for (const [name, error, expected] of table) {
    it(`${expected ? 'recognizes' : 'does not flag'} ${name}`, () => assert.equal(isCertificateError(error), expected));
  }
});
