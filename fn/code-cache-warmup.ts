// Build step (`npm run bundle`, after fn/bundle.ts): writes dist/fn/digester.cjs.cache and
// registry.cjs.cache, the V8 code caches main.ts loads the bundles with. The cache holds the functions one run compiled, so this
// runs the function once, as kpt would, on a small package whose images live on a token-auth
// registry stub served here on loopback: parsing, the functionConfig, the registry client (ping,
// token, HEAD) and the splice all run. A second run then checks that the cache is accepted.
//
//   node dist/fn/code-cache-warmup.js
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('./main.js', import.meta.url));
const CACHES = ['digester', 'registry'].map((name) => fileURLToPath(new URL(`./${name}.cjs.cache`, import.meta.url)));
const HOST = 'registry.warmup.test';

/** Answers like a distribution registry behind a token server: only what the function asks. */
function registryStub(request: IncomingMessage, response: ServerResponse, origin: string): void {
  const url = new URL(request.url ?? '/', origin);
  if (url.pathname === '/v2/') {
    response.writeHead(401, { 'www-authenticate': `Bearer realm="${origin}/token",service="warmup"`, 'content-length': '0' });
  } else if (url.pathname === '/token') {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.write(JSON.stringify({ token: 'warmup-token', expires_in: 300 }));
  } else if (/^\/v2\/.+\/manifests\/[^/]+$/.test(url.pathname) && request.method === 'HEAD') {
    const digest = `sha256:${createHash('sha256').update(url.pathname).digest('hex')}`;
    response.writeHead(200, {
      'docker-content-digest': digest,
      'content-type': 'application/vnd.oci.image.index.v1+json',
      'content-length': '2',
    });
  } else {
    response.writeHead(404, { 'content-length': '0' });
  }
  response.end();
}

function resourceList(endpoint: string): string {
  const workload = (i: number): string => `- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: web-${i} # a comment
    annotations:
      config.kubernetes.io/index: '${i}'
  spec:
    template:
      spec:
        initContainers:
        - name: init
          image: ${HOST}/team/init:v${i}
        containers:
        - name: app
          image: "${HOST}/team/app-${i}:1.${i}"
        - name: sidecar
          image: '${HOST}/team/sidecar:latest'
        - name: pinned
          image: ${HOST}/team/pinned@sha256:${'0'.repeat(64)}
        - name: skipped
          image: skip.warmup.test/tools:1
`;
  const items = Array.from({ length: 8 }, (_, i) => workload(i)).join('');
  return `apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
${items}- apiVersion: batch/v1
  kind: CronJob
  metadata:
    name: nightly
  spec:
    jobTemplate:
      spec:
        template:
          spec:
            containers:
            - name: job
              image: ${HOST}/team/job:2024.10
functionConfig:
  apiVersion: fn.digester.dev/v1alpha1
  kind: Digester
  metadata:
    name: digester
  skipPrefixes: [skip.warmup.test/]
  registries:
  - host: ${HOST}
    endpoint: ${endpoint}
`;
}

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs main.js as kpt would; asynchronously, since the registry stub answers from this process. */
function runFunction(input: string, env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') }));
    child.stdin.end(input);
  });
}

async function main(): Promise<void> {
  const server = createServer((request, response) => registryStub(request, response, origin));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const home = mkdtempSync(join(tmpdir(), 'digester-warmup-'));
  // A hermetic environment: no credentials, proxies or CA settings of the builder's.
  const env = { PATH: process.env['PATH'], HOME: home, DOCKER_CONFIG: home, XDG_RUNTIME_DIR: home, REGISTRY_AUTH_FILE: join(home, 'none.json') };
  try {
    for (const cache of CACHES) rmSync(cache, { force: true });
    const input = resourceList(origin);
    const warm = await runFunction(input, { ...env, DIGESTER_CODE_CACHE_WRITE: '1' });
    const pinned = warm.stdout.split('@sha256:').length - 1;
    // 8 × (init, app, sidecar, already pinned) + the CronJob's job.
    if (warm.status !== 0 || pinned !== 33 || !CACHES.every((cache) => existsSync(cache))) {
      throw new Error(`the warm-up run failed (exit ${warm.status}, ${pinned} pinned images):\n${warm.stderr}`);
    }
    const check = await runFunction(input, { ...env, DEBUG: '1' });
    if (check.status !== 0 || /code cache/.test(check.stderr)) {
      throw new Error(`the code cache was not used:\n${check.stderr.split('\n').filter((l) => /code cache/.test(l)).join('\n')}`);
    }
  } finally {
    server.close();
    rmSync(home, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  for (const cache of CACHES) rmSync(cache, { force: true });
  process.stderr.write(`code-cache-warmup: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
