// A ResourceList whose image fields sit among comments, anchors, flow collections, block scalars
// and values YAML 1.1 would rewrite (0755, on, dates, 0x10): what digester must hand back byte for
// byte, except the image scalars it pinned.

/** The three image fields of {@link oddResourceList}, each with its field path. */
export interface OddImages {
  /** `spec.template.spec.containers[0].image`, double-quoted. */
  readonly healthy: string;
  /** `spec.template.spec.containers[1].image`, single-quoted in a flow mapping. */
  readonly faulty: string;
  /** `spec.template.spec.initContainers[0].image`, plain. */
  readonly bystander: string;
}

/** Field paths of the images in {@link oddResourceList}. */
export const ODD_PATHS = {
  healthy: 'spec.template.spec.containers[0].image',
  faulty: 'spec.template.spec.containers[1].image',
  bystander: 'spec.template.spec.initContainers[0].image',
} as const;

/** The Deployment's file, as kpt annotates it. */
export const ODD_FILE = { path: 'deploy/web.yaml', index: 0 } as const;

/** Builds the ResourceList; `config` holds extra lines of the Digester functionConfig, each indented two spaces. */
export function oddResourceList(images: OddImages, config: readonly string[] = []): string {
  return `# fault table: everything but the pinned images must come back byte for byte
apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
- apiVersion: apps/v1   # a comment after a value
  kind: Deployment
  metadata:
    name: web
    annotations:
      internal.config.kubernetes.io/path: 'deploy/web.yaml'
      internal.config.kubernetes.io/index: '0'
      mode: 0755
      released: 2024-01-01
      enabled: on
      note: >-
        folded text
        over two lines
  spec:
    replicas: 0x10
    template:
      metadata: {labels: &labels {app: web, tier: "front"}}
      spec:
        containers:
        - name: healthy
          image: "${images.healthy}"    # double-quoted
          args: ['--flag=yes', "--other", plain]
        - {name: faulty, image: '${images.faulty}'}
        initContainers:
        - name: bystander
          image: ${images.bystander}
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: settings, labels: *labels}
  data:
    empty: ""
    literal: |
      line one
        indented line two

functionConfig:
  apiVersion: fn.digester.dev/v1alpha1
  kind: Digester
  metadata: {name: digester}
${config.map((line) => `  ${line}\n`).join('')}`;
}

/** The input with each image in `pins` followed by `@digest`, where it stands as a whole scalar. */
export function pinnedText(input: string, pins: ReadonlyMap<string, string>): string {
  let text = input;
  for (const [image, digest] of pins) {
    const escaped = image.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    text = text.replace(new RegExp(`(?<=[\\s"'])${escaped}(?=["'\\s,}])`, 'g'), `${image}@${digest}`);
  }
  return text;
}

/** The output up to its appended top-level `results:` key, which must be the input (plus pins) exactly. */
export function textBeforeResults(output: string): string {
  const at = output.lastIndexOf('\nresults:\n');
  return at === -1 ? output : output.slice(0, at + 1);
}
