import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startFaultProxy, type FaultProxy, type FaultRule, type RecordedRequest } from '../support/fault-proxy.js';
import { couldNotResolve, literal, runOddList } from '../support/function-run.js';
import type { OddImages } from '../support/odd-resource-list.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { skopeoDigest } from '../support/skopeo.js';

// Issue 3, function level: the built binary against a real docker-registry, one image served
// directly and two through a fault proxy, of which `faulty` gets the fault. Each row says what the
// user sees: the exit code, the error result (or that it recovered), and an output that is the input
// byte for byte except the pinned images. Wall time is bounded by each test's timeout, never asserted.

const SCHEMA1 = 'application/vnd.docker.distribution.manifest.v1+prettyjws';
const WRONG_DIGEST = `sha256:${'0'.repeat(64)}`;
const HTML_500 = '<html>\r\n<head><title>500 Internal Server Error</title></head>\r\n<body>\r\n<center><h1>500 Internal Server Error</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';
const HTML_401 = '<!DOCTYPE html>\n<html><body>\n<h1>401 Authorization Required</h1>\n<p>Please sign in.</p>\n</body></html>\n';

/** One row: the faults, the config, and what becomes of the `faulty` image. */
interface Row {
  readonly name: string;
  readonly rules: () => FaultRule[];
  readonly config?: readonly string[];
  /** The error's reason (regex source after `could not resolve … (…): `); absent when the image must be pinned. */
  readonly error?: () => string;
  /** Checks on the requests the proxy saw during the run. */
  readonly check?: (seen: readonly RecordedRequest[]) => void;
  readonly timeout?: number;
  /** A known src/ bug: the row states the right behaviour and is reported as a todo until fixed. */
  readonly todo?: string;
}

describe('digester, as a process, behind a fault proxy: the fault table', () => {
  let registry: TestRegistry;
  let proxy: FaultProxy;
  let dockerConfig: string;
  let images: OddImages;
  const digests = { healthy: '', faulty: '', bystander: '', skopeo: '' };

  const FAULTY = /^\/v2\/team\/faulty\/manifests\/v1$/;
  const BYSTANDER = /^\/v2\/team\/bystander\/manifests\/v1$/;
  const count = (seen: readonly RecordedRequest[], method: string, path: RegExp): number =>
    seen.filter((request) => request.method === method && path.test(request.path)).length;
  /** Forces the GET path: HEAD answers without Docker-Content-Digest. */
  const headWithoutDigest: FaultRule = { method: 'HEAD', path: FAULTY, action: { kind: 'rewrite', headers: { 'docker-content-digest': undefined } } };
  const status = (code: number, headers: Record<string, string> = {}, body?: string): FaultRule['action'] =>
    body === undefined ? { kind: 'respond', status: code, headers } : { kind: 'respond', status: code, headers, body };
  const where = (method: string): string => `${method} ${literal(`${proxy.url}/v2/team/faulty/manifests/v1`)}`;

  before(async () => {
    registry = await startRegistry({ mode: 'anonymous' });
    proxy = await startFaultProxy(registry.url);
    const pushed = await Promise.all([
      registry.push('team/healthy', 'v1', 'oci-manifest'),
      registry.push('team/faulty', 'v1', 'docker-schema2'),
      registry.push('team/bystander', 'v1', 'oci-index'),
    ]);
    [digests.healthy, digests.faulty, digests.bystander] = pushed.map((image) => image.digest) as [string, string, string];
    digests.skopeo = await skopeoDigest(registry, 'team/faulty', 'v1');
    images = {
      healthy: `${registry.host}/team/healthy:v1`,
      faulty: `${proxy.host}/team/faulty:v1`,
      bystander: `${proxy.host}/team/bystander:v1`,
    };
    // An empty DOCKER_CONFIG, so the user's own ~/.docker never takes part.
    dockerConfig = await mkdtemp(join(tmpdir(), 'digester-fault-table-'));
  });

  after(async () => {
    await proxy?.close();
    await registry?.stop();
    if (dockerConfig !== undefined) await rm(dockerConfig, { recursive: true, force: true });
  });

  const rows: readonly Row[] = [
    {
      name: '429 with Retry-After: 1 on the first HEAD of each manifest (a throttled registry): every image is pinned',
      rules: () =>
        [FAULTY, BYSTANDER].map((path) => ({ method: 'HEAD', path, times: 1, action: status(429, { 'retry-after': '1' }) })),
      check: (seen) => {
        assert.equal(count(seen, 'HEAD', FAULTY), 2);
        assert.equal(count(seen, 'HEAD', BYSTANDER), 2);
      },
    },
    {
      name: '429 with an HTTP-date Retry-After: recovers',
      rules: () => [{ method: 'HEAD', path: FAULTY, times: 1, action: status(429, { 'retry-after': new Date(Date.now() + 1_000).toUTCString() }) }],
      check: (seen) => assert.equal(count(seen, 'HEAD', FAULTY), 2),
    },
    {
      name: '503 twice, then OK: recovers',
      rules: () => [{ method: 'HEAD', path: FAULTY, times: 2, action: status(503) }],
      check: (seen) => assert.equal(count(seen, 'HEAD', FAULTY), 3),
    },
    {
      name: 'a connection reset in the middle of the GET body, once: recovers',
      rules: () => [headWithoutDigest, { method: 'GET', path: FAULTY, times: 1, action: { kind: 'reset-mid-response' } }],
      check: (seen) => assert.equal(count(seen, 'GET', FAULTY), 2),
    },
    {
      name: 'a stall beyond the 1s timeout: that image fails with a timeout, the others are pinned',
      config: ['timeout: 1s'],
      rules: () => [{ path: FAULTY, action: { kind: 'stall' } }],
      error: () => `timed out after 1s \\(${where('HEAD')}\\)`,
      check: (seen) => assert.equal(count(seen, 'HEAD', FAULTY), 4),
    },
    {
      name: 'a GET body cut short of its Content-Length, once: recovers',
      rules: () => [headWithoutDigest, { method: 'GET', path: FAULTY, times: 1, action: { kind: 'truncate' } }],
      check: (seen) => assert.equal(count(seen, 'GET', FAULTY), 2),
    },
    {
      name: 'no Docker-Content-Digest on HEAD or GET: the GET fallback hashes the body to skopeo\'s digest',
      rules: () => [headWithoutDigest, { method: 'GET', path: FAULTY, action: { kind: 'rewrite', headers: { 'docker-content-digest': undefined } } }],
      check: (seen) => {
        assert.equal(digests.skopeo, digests.faulty);
        assert.equal(count(seen, 'GET', FAULTY), 1);
      },
    },
    {
      name: 'a wrong Docker-Content-Digest on GET: an error naming both digests, not retried',
      rules: () => [headWithoutDigest, { method: 'GET', path: FAULTY, action: { kind: 'rewrite', headers: { 'docker-content-digest': WRONG_DIGEST } } }],
      error: () => `manifest content has digest ${digests.faulty} but Docker-Content-Digest says ${WRONG_DIGEST} \\(GET 200 from ${literal(proxy.host)}\\)`,
      check: (seen) => assert.equal(count(seen, 'GET', FAULTY), 1),
    },
    {
      name: 'a schema 1 Content-Type on HEAD: refused',
      rules: () => [{ method: 'HEAD', path: FAULTY, action: { kind: 'rewrite', headers: { 'content-type': SCHEMA1 } } }],
      error: () =>
        `registry serves a docker schema 1 manifest \\(${literal(SCHEMA1)}\\), whose digest does not identify the image users pull; ` +
        `push the image as an OCI or docker schema 2 manifest \\(HEAD 200 from ${literal(proxy.host)}\\)`,
      check: (seen) => assert.equal(count(seen, 'GET', FAULTY), 0),
    },
    {
      name: 'an HTML page with a 500: one line, after the retries',
      rules: () => [headWithoutDigest, { method: 'GET', path: FAULTY, action: status(500, { 'content-type': 'text/html' }, HTML_500) }],
      error: () => `internal server error \\(GET 500 from ${literal(proxy.host)}\\)`,
      check: (seen) => assert.equal(count(seen, 'GET', FAULTY), 4),
    },
    {
      name: 'an HTML page with a 401: one line, not retried',
      rules: () => [headWithoutDigest, { method: 'GET', path: FAULTY, action: status(401, { 'content-type': 'text/html' }, HTML_401) }],
      error: () => `UNAUTHORIZED: authentication required \\(GET 401 from ${literal(proxy.host)}\\)`,
      check: (seen) => assert.equal(count(seen, 'GET', FAULTY), 1),
    },
  ];

  const runRow = async (row: Row): Promise<void> => {
    proxy.setRules(row.rules());
    const start = proxy.requests.length;
    const recovered = row.error === undefined;
    await runOddList({
      images,
      ...(row.config === undefined ? {} : { config: row.config }),
      env: { DOCKER_CONFIG: dockerConfig },
      pins: { healthy: digests.healthy, bystander: digests.bystander, ...(recovered ? { faulty: digests.faulty } : {}) },
      errors: row.error === undefined ? {} : { faulty: couldNotResolve(images.faulty, row.error()) },
    });
    row.check?.(proxy.requests.slice(start));
  };

  for (const row of rows) {
    it(row.name, { timeout: row.timeout ?? 60_000, ...(row.todo === undefined ? {} : { todo: row.todo }) }, () => runRow(row));
  }

  it('a registry stalled for good, with default settings: exit 1 and that image\'s error, within the defaults', { timeout: 90_000 }, () =>
    runRow({
      name: 'default stall',
      rules: () => [{ path: FAULTY, action: { kind: 'stall' } }],
      error: () => `timed out after \\d+s \\(${where('HEAD')}\\)`,
    }),
  );
});
