// Deterministic inputs for the benchmark scenarios: which images exist in which registry, which
// workloads use them (a skewed, Zipf-like mix, as real clusters have a few base images everywhere),
// and the ResourceLists themselves. The same seed always gives the same bytes.

import { createHash } from 'node:crypto';
import type { ManifestKind } from '../support/registry.js';

/** The two registries of the network scenario. */
export type RegistryRole = 'anonymous' | 'token';

/** One unique image to push and reference. */
export interface ImageSpec {
  readonly role: RegistryRole;
  readonly repository: string;
  readonly tag: string;
  /** Written without a tag (resolves `latest`). */
  readonly implicitTag: boolean;
  readonly kind: ManifestKind;
}

/** One workload of the network scenario; container entries index into the image list. */
export interface WorkloadSpec {
  readonly kind: WorkloadKind;
  readonly name: string;
  readonly namespace: string;
  readonly initContainers: readonly number[];
  readonly containers: readonly number[];
}

/** Workload kinds the network scenario mixes, each with its pod spec at a different path. */
export type WorkloadKind = 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'Job' | 'CronJob' | 'Pod';

/** Sizes of the network scenario. */
export interface NetworkShape {
  readonly workloads: number;
  readonly containers: number;
  readonly uniqueImages: number;
  readonly seed?: number;
}

/** A `registries:` entry of the Digester functionConfig. */
export interface RegistryRoute {
  readonly host: string;
  readonly endpoint: string;
}

const MAX_CONTAINERS_PER_WORKLOAD = 6;
const ZIPF_EXPONENT = 1.1;
const KINDS: readonly WorkloadKind[] = ['Deployment', 'Deployment', 'Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'Pod'];
const API_VERSIONS: Readonly<Record<WorkloadKind, string>> = {
  Deployment: 'apps/v1',
  StatefulSet: 'apps/v1',
  DaemonSet: 'apps/v1',
  Job: 'batch/v1',
  CronJob: 'batch/v1',
  Pod: 'v1',
};
const RESOURCE_LIST_HEAD = 'apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n';

/** A small seeded PRNG (mulberry32): [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The unique images: 40% on the token registry, spread over more repositories than one token
 * request may name (50), so scope batching is exercised; the rest on the anonymous registry,
 * where repositories carry several tags. Manifest kinds mix OCI and Docker manifests and indexes.
 */
export function planImages(uniqueImages: number): ImageSpec[] {
  const byRole: Record<RegistryRole, number> = { anonymous: 0, token: 0 };
  const images: ImageSpec[] = [];
  const tokenTotal = Math.round(uniqueImages * 0.4);
  const repositoryCount: Record<RegistryRole, number> = {
    token: Math.max(1, Math.ceil(tokenTotal * 0.9)),
    anonymous: Math.max(1, Math.ceil((uniqueImages - tokenTotal) * 0.55)),
  };
  for (let i = 0; i < uniqueImages; i++) {
    const role: RegistryRole = i % 5 === 1 || i % 5 === 3 ? 'token' : 'anonymous';
    const j = byRole[role]++;
    const repo = j % repositoryCount[role];
    const version = Math.floor(j / repositoryCount[role]);
    const implicitTag = version === 0 && repo % 7 === 3;
    images.push({
      role,
      repository: `${role === 'token' ? 'internal' : 'team'}-${repo % 9}/service-${repo}`,
      tag: implicitTag ? 'latest' : `v${version + 1}.${repo % 10}.${i % 4}`,
      implicitTag,
      kind: manifestKind(i),
    });
  }
  return images;
}

function manifestKind(i: number): ManifestKind {
  const slot = i % 20;
  if (slot < 10) return 'oci-manifest';
  if (slot < 16) return 'docker-schema2';
  if (slot < 19) return 'oci-index';
  return 'docker-manifest-list';
}

/** Spreads `containers` over `workloads` with every image used at least once and a Zipf-skewed rest. */
export function planWorkloads(shape: NetworkShape): WorkloadSpec[] {
  const { workloads, containers, uniqueImages } = shape;
  if (containers < workloads || containers > workloads * MAX_CONTAINERS_PER_WORKLOAD || containers < uniqueImages) {
    throw new RangeError(`cannot place ${containers} containers using ${uniqueImages} images in ${workloads} workloads`);
  }
  const random = seededRandom(shape.seed ?? 1);
  // Popularity rank is shuffled against image index, so both registries have popular images.
  const rank = shuffle(Array.from({ length: uniqueImages }, (_, i) => i), random);
  const weights = rank.map((r) => 1 / (r + 1) ** ZIPF_EXPONENT);
  const cumulative: number[] = [];
  weights.reduce((sum, w) => (cumulative.push(sum + w), sum + w), 0);
  const total = cumulative[cumulative.length - 1] ?? 1;
  const pick = (): number => {
    const x = random() * total;
    const index = cumulative.findIndex((c) => c > x);
    return index < 0 ? uniqueImages - 1 : index;
  };
  const slots = Array.from({ length: containers }, (_, i) => (i < uniqueImages ? i : pick()));
  shuffle(slots, random);

  const sizes = new Array<number>(workloads).fill(1);
  for (let extra = containers - workloads; extra > 0; extra--) {
    let w = Math.floor(random() * workloads);
    // Bounded: the capacity check above guarantees a workload with room.
    while ((sizes[w] as number) >= MAX_CONTAINERS_PER_WORKLOAD) w = (w + 1) % workloads;
    sizes[w] = (sizes[w] as number) + 1;
  }
  let next = 0;
  return sizes.map((size, w) => {
    const images = slots.slice(next, next + size);
    next += size;
    const inits = size >= 3 && random() < 0.5 ? 1 : 0;
    return {
      kind: KINDS[w % KINDS.length] as WorkloadKind,
      name: `workload-${String(w).padStart(4, '0')}`,
      namespace: `ns-${w % 12}`,
      initContainers: images.slice(0, inits),
      containers: images.slice(inits),
    };
  });
}

/** The image reference as written in the manifests, on the host of its registry. */
export function imageReference(image: ImageSpec, hosts: Readonly<Record<RegistryRole, string>>): string {
  const name = `${hosts[image.role]}/${image.repository}`;
  return image.implicitTag ? name : `${name}:${image.tag}`;
}

/** The network scenario's ResourceList, with a Digester functionConfig routing each host to its endpoint. */
export function networkResourceList(
  workloads: readonly WorkloadSpec[],
  images: readonly ImageSpec[],
  hosts: Readonly<Record<RegistryRole, string>>,
  routes: readonly RegistryRoute[],
): string {
  const out: string[] = [RESOURCE_LIST_HEAD, 'items:\n'];
  const ref = (index: number): string => imageReference(images[index] as ImageSpec, hosts);
  for (const workload of workloads) out.push(workloadYaml(workload, ref));
  out.push('functionConfig:\n  apiVersion: fn.digester.dev/v1alpha1\n  kind: Digester\n  metadata:\n    name: digester\n');
  out.push('  registries:\n');
  for (const route of routes) out.push(`  - host: ${route.host}\n    endpoint: ${route.endpoint}\n`);
  return out.join('');
}

function workloadYaml(workload: WorkloadSpec, ref: (index: number) => string): string {
  const { kind } = workload;
  // The pod spec's indentation depends on where the kind keeps it.
  const depth = kind === 'Pod' ? 1 : kind === 'CronJob' ? 5 : 3;
  const pad = '  '.repeat(depth + 1);
  const lines = [
    `- apiVersion: ${API_VERSIONS[kind]}`,
    `  kind: ${kind}`,
    `  metadata:`,
    `    name: ${workload.name}`,
    `    namespace: ${workload.namespace}`,
    `  spec:`,
  ];
  if (kind === 'CronJob') lines.push(`    schedule: "*/5 * * * *"`, `    jobTemplate:`, `      spec:`, `        template:`, `          spec:`);
  else if (kind !== 'Pod') lines.push(`    template:`, `      spec:`);
  const list = (key: string, entries: readonly number[]): void => {
    if (entries.length === 0) return;
    lines.push(`${pad}${key}:`);
    entries.forEach((image, i) => {
      // Alternate scalar styles, as hand-written manifests do.
      const value = i % 3 === 1 ? `"${ref(image)}"` : ref(image);
      lines.push(`${pad}- name: c${i}`, `${pad}  image: ${value}`);
    });
  };
  list('initContainers', workload.initContainers);
  list('containers', workload.containers);
  return `${lines.join('\n')}\n`;
}

/** Sizes of the CPU scenario. */
export interface CpuShape {
  readonly deployments: number;
  readonly uniqueImages: number;
}

/** A fake but well-formed sha256 digest, stable for a name. */
export function fakeDigest(name: string): string {
  return `sha256:${createHash('sha256').update(name).digest('hex')}`;
}

/**
 * The CPU scenario's ResourceList: Deployments with a comment, an init container and two
 * containers, every image already pinned (so no network), `uniqueImages` images in all.
 * 10,000 Deployments come to about 8.7 MB.
 */
export function cpuResourceList(shape: CpuShape): string {
  const images = Array.from({ length: shape.uniqueImages }, (_, i) => {
    const name = `registry.example.com/team-${i % 17}/component-${i}:${1 + (i % 5)}.${i % 11}.${i % 3}`;
    return `${name}@${fakeDigest(name)}`;
  });
  const image = (n: number): string => images[n % images.length] as string;
  const out: string[] = [RESOURCE_LIST_HEAD, 'items:\n'];
  for (let d = 0; d < shape.deployments; d++) {
    const name = `svc-${String(d).padStart(5, '0')}`;
    const team = `team-${d % 17}`;
    out.push(`# ${name}: owned by ${team}
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: ${name}
    namespace: ${team}
    labels: {app: ${name}}
  spec:
    replicas: ${1 + (d % 5)} # scaled for peak traffic
    template:
      spec:
        initContainers:
        - name: migrate
          image: ${image(d * 3)}
          args: ["--wait", "30s"]
        containers:
        - name: app
          image: ${image(d * 3 + 1)}
          ports: [{containerPort: 8080}]
          resources: {limits: {memory: 256Mi}}
        - name: proxy
          image: '${image(d * 3 + 2)}'
`);
  }
  return out.join('');
}

/** A ResourceList with no items: the startup scenario. */
export function emptyResourceList(): string {
  return `${RESOURCE_LIST_HEAD}items: []\n`;
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}
