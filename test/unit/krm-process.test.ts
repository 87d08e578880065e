import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { load } from 'js-yaml';
import { processResourceList, type ProcessOutcome } from '../../src/krm/index.js';
import { fakeDigest, TableSource } from '../support/fake-source.js';

const KNOWN = [
  'docker.io/library/nginx:1.27',
  'docker.io/library/busybox:1.36',
  'docker.io/library/redis:latest',
  'ghcr.io/acme/app:v1',
  'localhost:5000/team/tool:2',
];
const pin = (key: string): string => `@${fakeDigest(key)}`;
const NGINX = pin('docker.io/library/nginx:1.27');
const BUSYBOX = pin('docker.io/library/busybox:1.36');

async function run(input: string, env: NodeJS.ProcessEnv = {}, source = new TableSource(KNOWN)): Promise<ProcessOutcome> {
  return processResourceList(input, { env, createSource: () => source });
}

/** The output minus the results the function appended, which must come last. */
function withoutResults(output: string, marker = '\nresults:\n'): string {
  const at = output.lastIndexOf(marker);
  assert.notEqual(at, -1, `no results block in:\n${output}`);
  return output.slice(0, at + marker.indexOf('results'));
}

const list = (items: string): string => `apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n${items}`;

describe('processResourceList keeps every byte but the image scalars', () => {
  const cases: ReadonlyArray<readonly [string, string, string]> = [
    [
      'comments, key order and odd scalars',
      list(`# leading comment
- apiVersion: apps/v1 # trailing
  kind: Deployment
  metadata: {name: web, annotations: {mode: "0755", date: 2024-01-02, flag: on, ok: yes}}
  spec:
    replicas: 0x10
    template:
      spec:
        containers:
        - name: a   # the main one
          image: nginx:1.27    # pinned by digester
          args: ["--long-line-${'x'.repeat(300)}"]
`),
      `image: nginx:1.27${NGINX}    # pinned by digester`,
    ],
    ['single-quoted', list(`- kind: Pod\n  metadata: {name: p}\n  spec:\n    containers:\n    - image: 'nginx:1.27'\n`), `image: 'nginx:1.27${NGINX}'`],
    ['double-quoted', list(`- kind: Pod\n  metadata: {name: p}\n  spec:\n    containers:\n    - image: "nginx:1.27"\n`), `image: "nginx:1.27${NGINX}"`],
    ['flow mapping', list(`- kind: Pod\n  metadata: {name: p}\n  spec: {containers: [{name: a, image: nginx:1.27}]}\n`), `image: nginx:1.27${NGINX}}`],
    ['block scalar with strip chomping', list(`- kind: Pod\n  metadata: {name: p}\n  spec:\n    containers:\n    - image: |-\n        nginx:1.27\n`), `nginx:1.27${NGINX}\n`],
    ['CRLF line endings', list(`- kind: Pod\r\n  metadata: {name: p}\r\n  spec:\r\n    containers:\r\n    - image: nginx:1.27\r\n`).replace(/(?<!\r)\n/g, '\r\n'), `image: nginx:1.27${NGINX}\r\n`],
    ['explicit !!str tag', list(`- kind: Pod\n  metadata: {name: p}\n  spec:\n    containers:\n    - image: !!str nginx:1.27\n`), `image: !!str nginx:1.27${NGINX}`],
  ];
  for (const [name, input, expectedLine] of cases) {
    it(name, async () => {
      const outcome = await run(input);
      assert.equal(outcome.exitCode, 0, JSON.stringify(outcome.results));
      assert.equal(outcome.edits, 1);
      const newline = input.includes('\r\n') ? '\r\n' : '\n';
      const body = withoutResults(outcome.output, `${newline}results:${newline}`);
      assert.ok(body.includes(expectedLine), `expected ${JSON.stringify(expectedLine)} in:\n${body}`);
      assert.equal(body.replace(NGINX, ''), input.endsWith(newline) ? input : input + newline);
      const again = await run(outcome.output);
      assert.equal(again.edits, 0, 'a second run changes nothing');
    });
  }

  it('JSON input stays JSON', async () => {
    const input = JSON.stringify({
      apiVersion: 'config.kubernetes.io/v1',
      kind: 'ResourceList',
      items: [{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ image: 'nginx:1.27' }] } }],
    }, null, 2);
    const outcome = await run(input);
    const parsed = JSON.parse(outcome.output) as { items: Array<{ spec: { containers: Array<{ image: string }> } }>; results: unknown[] };
    assert.equal(parsed.items[0]?.spec.containers[0]?.image, `nginx:1.27${NGINX}`);
    assert.equal(parsed.results.length, 1);
  });

  it('resources sharing apiVersion/kind/name all survive, in order', async () => {
    const pod = (image: string): string => `- apiVersion: v1\n  kind: Pod\n  metadata: {name: same}\n  spec:\n    containers:\n    - image: ${image}\n`;
    const input = list(pod('nginx:1.27') + pod('busybox:1.36') + pod('nginx:1.27'));
    const outcome = await run(input);
    assert.equal(withoutResults(outcome.output), list(pod(`nginx:1.27${NGINX}`) + pod(`busybox:1.36${BUSYBOX}`) + pod(`nginx:1.27${NGINX}`)));
  });

  it('appends to results already present, leaving them as written', async () => {
    const input = `${list(`- kind: Pod\n  metadata: {name: p}\n  spec:\n    containers:\n    - image: nginx:1.27\n`)}results:\n  - message: "from an earlier function" # keep me\n    severity: info\nfunctionConfig: null\n`;
    const outcome = await run(input);
    assert.ok(outcome.output.includes('  - message: "from an earlier function" # keep me\n    severity: info\n  - message: resolved 1 image(s)'), outcome.output);
    assert.ok(outcome.output.endsWith('functionConfig: null\n'));
  });
});

describe('processResourceList finds every image field', () => {
  it('covers pods, templates, cron jobs, pod templates, every container list and image volumes, for any kind', async () => {
    const spec = (indent: string): string =>
      [
        'containers: [{name: c, image: nginx:1.27}]',
        'initContainers: [{name: i, image: busybox:1.36}]',
        'ephemeralContainers: [{name: e, image: redis}]',
        'volumes: [{name: v, image: {reference: ghcr.io/acme/app:v1}}, {name: w, emptyDir: {}}]',
      ].map((line) => `${indent}${line}\n`).join('');
    const input = list(
      `- {apiVersion: v1, kind: Pod, metadata: {name: pod}}\n`.replace('}}', '}, spec: {}}') +
        `- apiVersion: v1\n  kind: Pod\n  metadata: {name: pod2}\n  spec:\n${spec('    ')}` +
        `- apiVersion: apps/v1\n  kind: Deployment\n  metadata: {name: d, namespace: ns}\n  spec:\n    template:\n      spec:\n${spec('        ')}` +
        `- apiVersion: batch/v1\n  kind: CronJob\n  metadata: {name: cj}\n  spec:\n    jobTemplate:\n      spec:\n        template:\n          spec:\n${spec('            ')}` +
        `- apiVersion: v1\n  kind: PodTemplate\n  metadata: {name: pt}\n  template:\n    spec:\n${spec('      ')}` +
        `- apiVersion: argoproj.io/v1alpha1\n  kind: Rollout\n  metadata: {name: r}\n  spec:\n    template:\n      spec:\n${spec('        ')}`,
    );
    const source = new TableSource(KNOWN);
    const outcome = await run(input, {}, source);
    assert.equal(outcome.exitCode, 0, JSON.stringify(outcome.results));
    assert.equal(outcome.edits, 20);
    assert.equal(source.requests.length, 4, 'each unique image is resolved once');
    assert.equal(outcome.results.at(-1)?.message, 'resolved 20 image(s) (4 unique), skipped 0, failed 0');
    const parsed = load(outcome.output) as { items: unknown[] };
    assert.equal(JSON.stringify(parsed).match(/@sha256:/g)?.length, 20);
  });

  it('leaves local-config resources and pinned or skipped images alone', async () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    const input = list(
      `- apiVersion: kpt.dev/v1\n  kind: Kptfile\n  metadata:\n    name: pkg\n    annotations: {config.kubernetes.io/local-config: "true"}\n  spec: {containers: [{image: nginx:1.27}]}\n` +
        `- kind: Pod\n  metadata: {name: p}\n  spec:\n    containers:\n    - image: nginx@${digest}\n    - image: localhost:5000/team/tool:2\n    - image: gcr.io/internal/x:1\n`,
    );
    const outcome = await run(input, { SKIP_PREFIXES: 'gcr.io/internal/:localhost:5000/' });
    assert.equal(outcome.edits, 0);
    assert.equal(outcome.exitCode, 0);
    assert.equal(outcome.results.at(-1)?.message, 'resolved 0 image(s) (0 unique), skipped 3 (1 already pinned, 2 by skip prefix), failed 0');
  });
});

describe('processResourceList starts each registry early', () => {
  // The source gets to ping a registry (a round trip) while the rest of the list is still scanned,
  // which needs the event loop to run after each hint. Flow-style containers give the head start
  // (below) nothing to read, so these lists show the scan's own hints.
  it('warms each registry at its first image, with a turn of the event loop, and resolves each image as it is found', async () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    const input = list(
      `- kind: Pod\n  metadata: {name: p}\n  spec:\n    containers: [{image: nginx@${digest}}, {image: gcr.io/internal/x:1}, {image: nginx:1.27}]\n` +
        `- kind: Pod\n  metadata: {name: q}\n  spec:\n    containers: [{image: busybox:1.36}, {image: ghcr.io/acme/app:v1}, {image: nginx:1.27}]\n`,
    );
    const source = new TableSource(KNOWN);
    const outcome = await run(input, { SKIP_PREFIXES: 'gcr.io/internal/' }, source);
    assert.equal(outcome.exitCode, 0, JSON.stringify(outcome.results));
    // The plan stays open until the scan has found every image, so a token batch can wait for them all.
    assert.deepEqual(source.hints, [
      'warm docker.io',
      'plan',
      'expect 1',
      'resolve docker.io/library/nginx:1.27',
      'turn docker.io',
      'expect 1',
      'warm ghcr.io',
      'expect 1',
      'resolve docker.io/library/busybox:1.36',
      'resolve ghcr.io/acme/app:v1',
      'turn ghcr.io',
      'planned',
    ]);
  });

  // A connection opened at the hint completes in a later turn: one turn is not enough to send the
  // ping, and without more, it would wait for the whole scan and planning.
  it('keeps letting the event loop run while it scans, once a registry has been warmed', async () => {
    const pods = Array.from({ length: 4_000 }, (_, i) => `- kind: Pod\n  metadata: {name: p${i}}\n  spec:\n    containers: [{image: nginx:1.27}]\n`);
    const source = new TableSource(KNOWN);
    const warm = source.warm.bind(source);
    source.warm = (registry) => {
      warm(registry);
      // What a connect does: its completion is seen one turn after it was started.
      setImmediate(() => setImmediate(() => source.hints.push(`second turn ${registry}`)));
    };
    const outcome = await run(list(pods.join('')), {}, source);
    assert.equal(outcome.exitCode, 0, JSON.stringify(outcome.results));
    // 'planned' marks the end of the scan.
    assert.deepEqual(source.hints, ['warm docker.io', 'plan', 'expect 1', 'resolve docker.io/library/nginx:1.27', 'turn docker.io', 'second turn docker.io', 'planned']);
  });
});

describe('processResourceList pings registries before the parse', () => {
  // The head start (src/krm/head-start.ts): the registries of block-style container images are
  // warmed, with two turns of the event loop, before the list is parsed.
  const pods = list(
    `- kind: Pod\n  metadata: {name: p}\n  spec:\n    containers:\n    - name: a\n      image: nginx:1.27\n    - image: "ghcr.io/acme/app:v1" # app\n` +
      `- apiVersion: kpt.dev/v1\n  kind: Kptfile\n  metadata: {name: pkg}\n  pipeline:\n    mutators:\n    - image: gcr.io/kpt-fn/set-labels:v0.1\n`,
  );
  const counting = (make: () => TableSource = () => new TableSource(KNOWN)) => {
    const sources: Array<TableSource & { closed: number }> = [];
    const createSource = () => {
      const source = Object.assign(make(), { closed: 0 });
      sources.push(Object.assign(source, { close: async () => void source.closed++ }));
      return source;
    };
    return { sources, createSource };
  };
  const digester = (spec: string): string => `functionConfig:\n  apiVersion: fn.digester.dev/v1alpha1\n  kind: Digester\n  metadata: {name: pin}\n${spec}`;

  it('warms the registries of container images, not of other image fields, and keeps that source', async () => {
    const { sources, createSource } = counting();
    const outcome = await processResourceList(pods, { env: {}, createSource, keepSourceOpen: true });
    assert.equal(outcome.exitCode, 0, JSON.stringify(outcome.results));
    assert.equal(outcome.edits, 2);
    assert.equal(sources.length, 1);
    assert.deepEqual(sources[0]?.hints.slice(0, 6), ['warm docker.io', 'warm ghcr.io', 'turn docker.io', 'turn ghcr.io', 'warm docker.io', 'plan']);
    assert.ok(!sources[0]?.hints.includes('warm gcr.io'), 'the Kptfile pipeline image is not a container');
  });

  it('reads the functionConfig first: a skip prefix keeps its registry from being pinged', async () => {
    const { sources, createSource } = counting();
    const outcome = await processResourceList(`${pods}${digester('  skipPrefixes: [ghcr.io/]\n')}`, { env: {}, createSource });
    assert.equal(outcome.edits, 1);
    assert.equal(sources.length, 1);
    assert.deepEqual(sources[0]?.hints.slice(0, 3), ['warm docker.io', 'turn docker.io', 'warm docker.io']);
    assert.ok(!sources[0]?.hints.includes('warm ghcr.io'));
  });

  it('sends nothing ahead in check mode, or for an invalid functionConfig', async () => {
    for (const spec of ['  mode: check\n', '  concurrency: lots\n']) {
      const { sources, createSource } = counting();
      await processResourceList(`${pods}${digester(spec)}`, { env: {}, createSource });
      assert.equal(sources.length, 0, spec);
    }
  });

  it('starts afresh when the parsed functionConfig is not the one its lines said', async () => {
    // An escaped key: the text never spells functionConfig, the parse finds one skipping ghcr.io.
    const input = `${pods}"function\\x43onfig":\n  apiVersion: fn.digester.dev/v1alpha1\n  kind: Digester\n  metadata: {name: pin}\n  skipPrefixes: [ghcr.io/]\n`;
    const { sources, createSource } = counting();
    const outcome = await processResourceList(input, { env: {}, createSource });
    assert.equal(outcome.edits, 1, 'ghcr.io is skipped as the parsed config says');
    assert.equal(sources.length, 2);
    assert.equal(sources[0]?.closed, 1, 'the head start is closed');
    assert.deepEqual(sources[0]?.requests, []);
    assert.deepEqual(sources[1]?.requests, ['docker.io/library/nginx:1.27']);
  });

  it('closes the head start when the text turns out not to be a ResourceList', async () => {
    const { sources, createSource } = counting();
    await assert.rejects(processResourceList(`${pods}  broken: [\n`, { env: {}, createSource }), /malformed YAML/);
    assert.equal(sources.length, 1);
    assert.equal(sources[0]?.closed, 1);
  });
});

describe('processResourceList and the source it builds', () => {
  const input = list(`- kind: Pod\n  metadata: {name: p}\n  spec:\n    containers:\n    - image: nginx:1.27\n`);
  const closing = () => {
    const source = Object.assign(new TableSource(KNOWN), { closed: 0 });
    return Object.assign(source, { close: async () => void source.closed++ });
  };

  it('closes the source when done', async () => {
    const source = closing();
    await processResourceList(input, { env: {}, createSource: () => source });
    assert.equal(source.closed, 1);
  });

  // The function's process exits right after writing, which closes the connections with it.
  it('leaves it open with keepSourceOpen', async () => {
    const source = closing();
    const outcome = await processResourceList(input, { env: {}, createSource: () => source, keepSourceOpen: true });
    assert.equal(outcome.edits, 1);
    assert.equal(source.closed, 0);
  });
});

describe('processResourceList reports failures as results and keeps going', () => {
  it('names the resource, field, file and cause; every other image is still pinned', async () => {
    const input = list(
      `- apiVersion: apps/v1\n  kind: Deployment\n  metadata:\n    name: web\n    namespace: prod\n    annotations:\n      internal.config.kubernetes.io/path: deploy/web.yaml\n      internal.config.kubernetes.io/index: '1'\n  spec:\n    template:\n      spec:\n        containers:\n        - image: nginx:1.27\n        - image: nginx:9.99\n        - image: Nginx:1\n        - image: 42\n        - image:\n`,
    );
    const outcome = await run(input);
    assert.equal(outcome.exitCode, 1);
    assert.ok(outcome.output.includes(`- image: nginx:1.27${NGINX}\n        - image: nginx:9.99\n`));
    const errors = outcome.results.filter((result) => result.severity === 'error');
    assert.deepEqual(errors.map((result) => result.field?.path), [1, 2, 3, 4].map((i) => `spec.template.spec.containers[${i}].image`));
    assert.deepEqual(errors[0]?.resourceRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: 'prod' });
    assert.deepEqual(errors[0]?.file, { path: 'deploy/web.yaml', index: 1 });
    assert.match(errors[0]?.message ?? '', /^could not resolve `nginx:9.99` \(docker.io\/library\/nginx\): MANIFEST_UNKNOWN/);
    assert.match(errors[1]?.message ?? '', /must be lowercase/);
    assert.match(errors[2]?.message ?? '', /image must be a string, got a number/);
    assert.match(errors[3]?.message ?? '', /image must be a string, got null/);
    assert.equal(outcome.results.at(-1)?.message, 'resolved 1 image(s) (1 unique), skipped 0, failed 4');
  });

  it('refuses an image anchor that a non-image field shares, and pins anchors only images use', async () => {
    const input = list(
      `- kind: Pod\n  metadata:\n    name: p\n    labels: {img: &shared nginx:1.27}\n  spec:\n    containers:\n    - image: *shared\n` +
        `- kind: Pod\n  metadata: {name: q}\n  spec:\n    containers:\n    - image: &img busybox:1.36\n    - image: *img\n`,
    );
    const outcome = await run(input);
    assert.equal(outcome.exitCode, 1);
    assert.ok(outcome.output.includes(`labels: {img: &shared nginx:1.27}`));
    assert.ok(outcome.output.includes(`- image: &img busybox:1.36${BUSYBOX}\n    - image: *img\n`));
    assert.match(outcome.results[0]?.message ?? '', /shared with a field that is not an image/);
  });

  it('reports a bad functionConfig as an error result naming the field', async () => {
    const input = `${list('- kind: Pod\n  metadata: {name: p}\n  spec: {containers: [{image: nginx:1.27}]}\n')}functionConfig:\n  apiVersion: fn.digester.dev/v1alpha1\n  kind: Digester\n  skipPrefix: [x]\n  concurrency: lots\n`;
    const outcome = await run(input);
    assert.equal(outcome.exitCode, 1);
    assert.equal(outcome.edits, 0);
    assert.match(outcome.results[0]?.message ?? '', /functionConfig: unknown field "skipPrefix"/);
    assert.match(outcome.results[0]?.message ?? '', /functionConfig\.concurrency: /);
  });

  it('rejects input that is not a ResourceList', async () => {
    for (const [input, message] of [
      ['', /empty input/],
      ['a: [\n', /malformed YAML at line 2, column 1/],
      ['kind: List\napiVersion: v1\n', /expected kind ResourceList, got "List"/],
      ['apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: {}\n', /items must be a list/],
      ['a: 1\n---\nb: 2\n', /found 2 YAML documents/],
    ] as const) {
      await assert.rejects(run(input), (error: Error) => {
        assert.equal((error as { code?: string }).code, 'ERR_INPUT');
        assert.match(error.message, message);
        return true;
      });
    }
  });
});

describe('processResourceList reads imagePullSecrets from the package', () => {
  const config = JSON.stringify({ auths: { 'registry.example.com': { auth: Buffer.from('u:s3cret-pass').toString('base64') } } });
  const secret = (name: string, data: string): string =>
    `- apiVersion: v1\n  kind: Secret\n  metadata: {name: ${name}, namespace: prod}\n  type: kubernetes.io/dockerconfigjson\n  data:\n    .dockerconfigjson: ${data}\n`;
  const pod = `- apiVersion: v1\n  kind: Pod\n  metadata: {name: p, namespace: prod}\n  spec:\n    imagePullSecrets: [{name: regcred}, {name: broken}]\n    containers: [{image: nginx:1.27}]\n`;

  it('hands the referenced Secrets to the registry client and reports unreadable ones without their data', async () => {
    const input = list(pod + secret('regcred', Buffer.from(config).toString('base64')) + secret('broken', 'not*base64') + secret('unused', 'e30='));
    let seen: readonly string[] = [];
    const outcome = await processResourceList(input, {
      env: {},
      createSource: (_settings, credentials) => {
        seen = credentials.pullSecrets;
        return new TableSource(KNOWN);
      },
    });
    assert.deepEqual(seen, [config]);
    assert.equal(outcome.exitCode, 1);
    assert.equal(outcome.results[0]?.message, 'imagePullSecret prod/broken: data[.dockerconfigjson] is not valid base64; its credentials are not used');
    assert.ok(!outcome.results.some((result) => result.message.includes('not*base64')));
    assert.equal(outcome.edits, 1, 'images are still pinned');
  });

  it('builds one source, with the Secrets, when block-style pods name imagePullSecrets', async () => {
    const blockPod = `- apiVersion: v1\n  kind: Pod\n  metadata: {name: p, namespace: prod}\n  spec:\n    imagePullSecrets:\n    - name: regcred\n    containers:\n    - image: nginx:1.27\n`;
    const seen: Array<readonly string[]> = [];
    const outcome = await processResourceList(list(blockPod + secret('regcred', Buffer.from(config).toString('base64'))), {
      env: {},
      createSource: (_settings, credentials) => {
        seen.push(credentials.pullSecrets);
        return new TableSource(KNOWN);
      },
    });
    assert.deepEqual(seen, [[config]]);
    assert.equal(outcome.edits, 1);
  });
});

describe('processResourceList refuses abusive YAML', () => {
  it('rejects a billion-laughs document without expanding it', async () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 10; i++) {
      const previous = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(',')}]`);
    }
    const input = `apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\nfunctionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: x}\n  lol:\n${levels.map((line) => `    ${line}`).join('\n')}\n`;
    await assert.rejects(run(input), /aliases expand to more than 1000000 extra nodes/);
  });

  it('rejects a recursive alias', async () => {
    await assert.rejects(run(`${list('- &pod {kind: Pod, metadata: {name: p}, spec: {x: *pod}}\n')}`), /aliases expand/);
  });

  it('rejects nesting deeper than the limit with a position', async () => {
    const input = `apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\ndeep: ${'['.repeat(200)}${']'.repeat(200)}\n`;
    await assert.rejects(run(input), (error: Error) => {
      assert.equal((error as { code?: string }).code, 'ERR_INPUT');
      assert.match(error.message, /malformed YAML at line 4, column \d+: .*(depth|nest)/i);
      return true;
    });
  });
});
