// Smoke test of the benchmark's inputs and bookkeeping: every scenario generator once at a small
// size, plus the proxy's request parser and the round counting. No network, no timing.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { load } from 'js-yaml';
import {
  cpuResourceList,
  emptyResourceList,
  imageReference,
  networkResourceList,
  planImages,
  planWorkloads,
  seededRandom,
  type ImageSpec,
} from './generators.js';
import { HttpRequestParser } from './http-request-parser.js';
import { countRequests } from './scenarios/network-rig.js';
import { describeMachine, type BenchResults } from './report.js';
import { countRounds, summarize } from './stats.js';

interface Container {
  readonly name: string;
  readonly image: string;
}
interface Item {
  readonly kind: string;
  readonly spec: Record<string, unknown>;
}
interface ResourceList {
  readonly kind: string;
  readonly items: readonly Item[];
  readonly functionConfig?: { readonly kind: string; readonly registries: ReadonlyArray<{ host: string; endpoint: string }> };
}

const HOSTS = { anonymous: 'registry.bench.test', token: 'private.bench.test' } as const;
const SHAPE = { workloads: 20, containers: 60, uniqueImages: 12 };

interface PodSpec {
  readonly initContainers?: Container[];
  readonly containers: Container[];
}

/** The pod spec of any workload kind the generator writes. */
function podSpec(item: Item): PodSpec {
  const path = item.kind === 'Pod' ? [] : item.kind === 'CronJob' ? ['jobTemplate', 'spec', 'template', 'spec'] : ['template', 'spec'];
  return path.reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], item.spec) as PodSpec;
}

describe('network scenario generators', () => {
  it('plans unique images on both registries, some written without a tag', () => {
    const images = planImages(150);
    assert.equal(images.length, 150);
    assert.equal(new Set(images.map((i) => `${i.role} ${i.repository}:${i.tag}`)).size, 150);
    const token = images.filter((i) => i.role === 'token');
    assert.equal(token.length, 60);
    // More token repositories than one token request may name (50), so batching is exercised.
    assert.ok(new Set(token.map((i) => i.repository)).size > 50);
    assert.ok(images.some((i) => i.implicitTag && i.tag === 'latest'));
    assert.deepEqual(new Set(images.map((i) => i.kind)), new Set(['oci-manifest', 'docker-schema2', 'oci-index', 'docker-manifest-list']));
  });

  it('uses every image at least once, in a skewed mix, with the requested totals', () => {
    const workloads = planWorkloads(SHAPE);
    assert.equal(workloads.length, SHAPE.workloads);
    const used = workloads.flatMap((w) => [...w.initContainers, ...w.containers]);
    assert.equal(used.length, SHAPE.containers);
    assert.deepEqual(new Set(used), new Set(Array.from({ length: SHAPE.uniqueImages }, (_, i) => i)));
    const counts = new Map<number, number>();
    for (const image of used) counts.set(image, (counts.get(image) ?? 0) + 1);
    assert.ok(Math.max(...counts.values()) >= 3 * (SHAPE.containers / SHAPE.uniqueImages) / 2, 'the most used image stands out');
    for (const w of workloads) assert.ok(w.containers.length >= 1 && w.containers.length + w.initContainers.length <= 6, w.name);
  });

  it('refuses shapes that cannot be placed', () => {
    assert.throws(() => planWorkloads({ workloads: 2, containers: 20, uniqueImages: 2 }), RangeError);
    assert.throws(() => planWorkloads({ workloads: 10, containers: 10, uniqueImages: 11 }), RangeError);
  });

  it('writes a ResourceList whose images and routes match the plan', () => {
    const images = planImages(SHAPE.uniqueImages);
    const workloads = planWorkloads(SHAPE);
    const routes = [
      { host: HOSTS.anonymous, endpoint: 'http://127.0.0.1:1' },
      { host: HOSTS.token, endpoint: 'http://127.0.0.1:2' },
    ];
    const text = networkResourceList(workloads, images, HOSTS, routes);
    const list = load(text) as ResourceList;
    assert.equal(list.kind, 'ResourceList');
    assert.equal(list.items.length, SHAPE.workloads);
    assert.deepEqual(list.functionConfig?.registries, routes);
    assert.deepEqual(new Set(list.items.map((i) => i.kind)), new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'Pod']));
    list.items.forEach((item, w) => {
      const spec = podSpec(item);
      const plan = workloads[w];
      assert.ok(plan !== undefined);
      const written = [...(spec.initContainers ?? []), ...spec.containers].map((c) => c.image);
      const expected = [...plan.initContainers, ...plan.containers].map((i) => imageReference(images[i] as ImageSpec, HOSTS));
      assert.deepEqual(written, expected, plan.name);
    });
  });

  it('is deterministic', () => {
    assert.deepEqual(planWorkloads(SHAPE), planWorkloads(SHAPE));
    const a = seededRandom(7);
    const b = seededRandom(7);
    assert.deepEqual([a(), a(), a()], [b(), b(), b()]);
  });
});

describe('cpu and startup scenario generators', () => {
  it('writes pinned Deployments with a comment, an init container and two containers each', () => {
    const text = cpuResourceList({ deployments: 50, uniqueImages: 30 });
    const list = load(text) as ResourceList;
    assert.equal(list.items.length, 50);
    const images = new Set<string>();
    for (const item of list.items) {
      assert.equal(item.kind, 'Deployment');
      const spec = podSpec(item);
      assert.equal(spec.initContainers?.length, 1);
      assert.equal(spec.containers.length, 2);
      for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
        assert.match(c.image, /^registry\.example\.com\/[a-z0-9-]+\/[a-z0-9-]+:[\d.]+@sha256:[0-9a-f]{64}$/);
        images.add(c.image);
      }
    }
    assert.equal(images.size, 30);
    assert.equal(text.match(/^# svc-/gm)?.length, 50);
  });

  it('comes to about 8–9 MB at 10,000 Deployments', () => {
    const bytesPerDeployment = Buffer.byteLength(cpuResourceList({ deployments: 100, uniqueImages: 300 })) / 100;
    assert.ok(bytesPerDeployment > 800 && bytesPerDeployment < 900, `${bytesPerDeployment} bytes per Deployment`);
  });

  it('writes an empty ResourceList', () => {
    assert.deepEqual(load(emptyResourceList()), { apiVersion: 'config.kubernetes.io/v1', kind: 'ResourceList', items: [] });
  });
});

describe('latency proxy bookkeeping', () => {
  const wire = [
    'GET /v2/ HTTP/1.1\r\nHost: x\r\n\r\n',
    'POST /token HTTP/1.1\r\nContent-Length: 11\r\n\r\nscope=a b c',
    'PUT /v2/a/blobs/uploads/1 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nGET \r\n3;x=1\r\n/v2\r\n0\r\nX-Trailer: 1\r\n\r\n',
    '\r\nHEAD /v2/a/b/manifests/v1 HTTP/1.1\r\nContent-Length: 0\r\n\r\n',
  ].join('');
  const expected = [
    { method: 'GET', target: '/v2/' },
    { method: 'POST', target: '/token' },
    { method: 'PUT', target: '/v2/a/blobs/uploads/1' },
    { method: 'HEAD', target: '/v2/a/b/manifests/v1' },
  ];

  it('finds pipelined requests and skips Content-Length and chunked bodies', () => {
    assert.deepEqual(new HttpRequestParser().push(Buffer.from(wire)), expected);
  });

  it('finds the same requests when the bytes arrive one at a time', () => {
    const parser = new HttpRequestParser();
    const found = [...Buffer.from(wire)].flatMap((byte) => parser.push(Buffer.from([byte])));
    assert.deepEqual(found, expected);
  });

  it('gives up on a stream that is not HTTP (a TLS ClientHello)', () => {
    const parser = new HttpRequestParser();
    assert.deepEqual(parser.push(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01])), []);
    assert.equal(parser.opaque, true);
    assert.deepEqual(parser.push(Buffer.from('GET / HTTP/1.1\r\n\r\n')), []);
  });

  it('classifies pings, manifests and the rest', () => {
    const at = { label: 'x', at: 0, connection: 1 };
    const counts = countRequests(
      [
        { ...at, method: 'GET', target: '/v2/' },
        { ...at, method: 'HEAD', target: '/v2/a/b/manifests/v1' },
        { ...at, method: 'GET', target: '/v2/a/manifests/sha256:00' },
        { ...at, method: 'GET', target: '/v2/a/blobs/sha256:00' },
      ],
      2,
      0,
      3,
    );
    assert.deepEqual(counts, { pings: 1, tokens: 2, manifests: 2, other: 1, opaqueConnections: 0, connections: 3, total: 6 });
  });

  it('counts rounds: requests less than one RTT apart share one', () => {
    assert.equal(countRounds([], 20), 0);
    assert.equal(countRounds([100, 105, 119], 20), 1);
    assert.equal(countRounds([100, 121, 130, 400], 20), 3);
    assert.equal(countRounds([100, 121, 141, 400], 20), 4);
  });

  it('summarizes with the median and range', () => {
    assert.deepEqual(summarize([3, 1, 2]), { median: 2, min: 1, max: 3, samples: [3, 1, 2] });
    assert.equal(summarize([1, 2, 3, 10]).median, 2.5);
    assert.ok(Number.isNaN(summarize([]).median));
  });

  it('calls the figures noisy only when the machine was busy before the bench started', () => {
    const results = (start: number, end: number): BenchResults => ({
      date: '2026-12-05T00:00:00.000Z',
      nproc: 2,
      node: 'v20.20.2',
      rttMs: 20,
      quick: false,
      runs: { cpu: 5, startup: 20, network: 5, peer: 2 },
      loadAverage: { start: [start], end: [end] },
      errors: [],
    });
    assert.doesNotMatch(describeMachine(results(0.2, 1.9)), /busy/);
    assert.match(describeMachine(results(1.6, 1.9)), /the machine was busy/);
  });
});
