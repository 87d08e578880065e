import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { load } from 'js-yaml';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { runDigester } from '../support/run-digester.js';
import { skopeoDigest } from '../support/skopeo.js';

// The acceptance scenario, tried as a user would: one ResourceList mixing
// every workload shape, with images on an anonymous, a basic-auth, a
// token-auth and a TLS registry, run through the built binary. Every digest
// must equal what skopeo computes independently.

interface Image {
  readonly registry: TestRegistry;
  readonly repository: string;
  readonly tag: string;
  /** How the manifest spells it. */
  readonly spelling: string;
}

describe('digester against real registries', () => {
  const registries: TestRegistry[] = [];
  let anonymous: TestRegistry;
  let basic: TestRegistry;
  let token: TestRegistry;
  let tls: TestRegistry;
  let images: Image[];
  let env: NodeJS.ProcessEnv;
  let dockerConfig: string;

  before(async () => {
    [anonymous, basic, token, tls] = (await Promise.all(
      (['anonymous', 'basic', 'token', 'tls'] as const).map((mode) => startRegistry({ mode })),
    )) as [TestRegistry, TestRegistry, TestRegistry, TestRegistry];
    registries.push(anonymous, basic, token, tls);
    images = [
      // Docker Hub names, routed to the anonymous registry through `registries`.
      { registry: anonymous, repository: 'library/nginx', tag: '1.27', spelling: 'nginx:1.27' },
      { registry: anonymous, repository: 'library/busybox', tag: '1.36', spelling: 'docker.io/library/busybox:1.36' },
      { registry: basic, repository: 'team/api', tag: '2.0', spelling: `${basic.host}/team/api:2.0` },
      { registry: token, repository: 'team/worker', tag: '3', spelling: `${token.host}/team/worker:3` },
      { registry: tls, repository: 'team/edge', tag: 'v1', spelling: `${tls.host}/team/edge:v1` },
      { registry: anonymous, repository: 'tools/debug', tag: 'latest', spelling: `${anonymous.host}/tools/debug` },
    ];
    const kinds = ['docker-manifest-list', 'oci-index', 'docker-schema2', 'oci-index', 'oci-manifest', 'docker-schema2'] as const;
    await Promise.all(images.map((image, i) => image.registry.push(image.repository, image.tag, kinds[i] ?? 'oci-manifest')));

    dockerConfig = mkdtempSync(join(tmpdir(), 'digester-docker-config-'));
    const auth = (registry: TestRegistry): string => Buffer.from(`${registry.username}:${registry.password}`).toString('base64');
    writeFileSync(
      join(dockerConfig, 'config.json'),
      JSON.stringify({ auths: { [basic.host]: { auth: auth(basic) }, [`http://${token.host}`]: { auth: auth(token) } } }),
    );
    env = { DOCKER_CONFIG: dockerConfig, SSL_CERT_FILE: tls.caFile };
  });

  after(async () => {
    await Promise.all(registries.map((registry) => registry.stop()));
    if (dockerConfig !== undefined) rmSync(dockerConfig, { recursive: true, force: true });
  });

  const resourceList = (extraContainer = ''): string => {
    const [nginx, busybox, api, worker, edge, debug] = images.map((image) => image.spelling);
    return `apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
- apiVersion: kpt.dev/v1
  kind: Kptfile
  metadata:
    name: pkg
    annotations: {config.kubernetes.io/local-config: "true"}
- apiVersion: v1
  kind: Pod
  metadata:
    name: pod
    annotations: {internal.config.kubernetes.io/path: pod.yaml, internal.config.kubernetes.io/index: '0'}
  spec:
    initContainers:
    - name: init
      image: ${busybox} # init
    containers:
    - name: app
      image: "${nginx}"
${extraContainer}    ephemeralContainers:
    - name: debug
      image: '${debug}'
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: api, namespace: prod}
  spec:
    template:
      spec:
        containers: [{name: api, image: ${api}}]
        volumes:
        - name: assets
          image: {reference: ${edge}}
- apiVersion: batch/v1
  kind: CronJob
  metadata: {name: nightly}
  spec:
    jobTemplate:
      spec:
        template:
          spec:
            containers:
            - name: job
              image: ${worker}
- apiVersion: v1
  kind: PodTemplate
  metadata: {name: template}
  template:
    spec:
      containers:
      - {name: t, image: ${nginx}}
functionConfig:
  apiVersion: fn.digester.dev/v1alpha1
  kind: Digester
  metadata: {name: digester}
  registries:
  - {host: docker.io, endpoint: ${anonymous.url}}
`;
  };

  it('pins every image to the digest skopeo reports, changing nothing else', async () => {
    const input = resourceList();
    const run = await runDigester(input, env);
    assert.equal(run.code, 0, run.stderr);
    let expected = input;
    for (const image of images) {
      const digest = await skopeoDigest(image.registry, image.repository, image.tag);
      expected = expected.replaceAll(`${image.spelling}`, `${image.spelling}@${digest}`);
    }
    // The functionConfig's endpoint is not an image and must not change.
    expected = expected.replace(`endpoint: ${anonymous.url}@`, `endpoint: ${anonymous.url}`);
    assert.equal(run.stdout.slice(0, expected.length), expected);
    const results = (load(run.stdout) as { results: Array<{ message: string }> }).results;
    assert.deepEqual(results.map((result) => result.message), ['resolved 7 image(s) (6 unique), skipped 0, failed 0']);
  });

  it('fails one unknown tag with a pointed error result and still pins every other image', async () => {
    const input = resourceList(`    - name: missing\n      image: ${anonymous.host}/tools/debug:no-such-tag\n`);
    const run = await runDigester(input, env);
    assert.equal(run.code, 1);
    const output = load(run.stdout) as {
      items: Array<{ spec?: { containers?: Array<{ image: string }> } }>;
      results: Array<{ message: string; severity: string; field?: { path: string }; file?: { path: string; index: number } }>;
    };
    const errors = output.results.filter((result) => result.severity === 'error');
    assert.equal(errors.length, 1);
    assert.equal(errors[0]?.field?.path, 'spec.containers[1].image');
    assert.deepEqual(errors[0]?.file, { path: 'pod.yaml', index: 0 });
    assert.match(errors[0]?.message ?? '', /could not resolve `127\.0\.0\.1:\d+\/tools\/debug:no-such-tag`.*MANIFEST_UNKNOWN.*404/);
    assert.match(run.stderr, /Pod\/pod spec\.containers\[1\]\.image: could not resolve/);
    assert.equal(output.items[1]?.spec?.containers?.[1]?.image, `${anonymous.host}/tools/debug:no-such-tag`);
    assert.equal((run.stdout.match(/@sha256:/g) ?? []).length, 7);
  });

  it('fails closed without credentials', async () => {
    const run = await runDigester(resourceList(), { SSL_CERT_FILE: tls.caFile, DOCKER_CONFIG: join(dockerConfig, 'absent') });
    assert.equal(run.code, 1);
    const errors = (load(run.stdout) as { results: Array<{ message: string; severity: string }> }).results.filter(
      (result) => result.severity === 'error',
    );
    assert.equal(errors.length, 2, JSON.stringify(errors));
    for (const error of errors) assert.match(error.message, /UNAUTHORIZED|DENIED|401|403/);
  });

  it('never prints credentials, even with DEBUG=1', async () => {
    const run = await runDigester(resourceList(), { ...env, DEBUG: '1' });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /HEAD/, 'debug logging is on');
    const secrets = [basic, token].flatMap((registry) => [
      registry.password ?? '',
      Buffer.from(`${registry.username}:${registry.password}`).toString('base64'),
    ]);
    for (const secret of secrets) {
      assert.ok(secret.length > 0);
      assert.ok(!run.stdout.includes(secret) && !run.stderr.includes(secret), 'a credential leaked');
    }
    assert.doesNotMatch(run.stderr, /Bearer [A-Za-z0-9_-]{20,}|Basic [A-Za-z0-9+/=]{8,}/);
  });
});
