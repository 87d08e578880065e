import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

// A repository of plain YAML as `digester resolve` and `check` meet it in CI:
// multi-document files, comments, flow style, CRLF, a `.yml` file, a nested
// directory, a file with mode 0640, and files that must never change: Helm
// values with `image:` keys, a CI file, a Helm template that is not YAML,
// and Kubernetes files hidden in `.git/` and `node_modules/`.

const ALREADY_PINNED = `nginx@sha256:${'a'.repeat(64)}`;

/** The tree, by path. Images are the examples' (test/support/example-images.ts), so pushExampleImages covers them. */
export const CLI_TREE: Readonly<Record<string, string>> = {
  'deploy/web.yaml': `# The storefront: a Deployment, its Service and a backup job.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 2
  template:
    metadata:
      labels: {app: web}
    spec:
      initContainers:
      - name: migrate
        image: "busybox:1.36"
      containers:
      - name: web
        image: nginx:1.27   # the server
        ports:
        - containerPort: 8080
      - name: pinned
        image: ${ALREADY_PINNED}
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  ports:
  - port: 80
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: backup
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers: [{name: backup, image: 'redis:7.4', args: [save]}]
`,
  'deploy/worker.yml': `apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: worker
spec:
  serviceName: worker
  template:
    spec:
      containers:
      - name: worker
        image: ghcr.io/stefanprodan/podinfo:6.7.0
        env:
        - name: IMAGE        # a value, not an image field
          value: nginx:1.27
`,
  'deploy/settings.yaml': `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  image: nginx:1.27
`,
  'nested/deeper/pod.yaml': 'apiVersion: v1\r\nkind: Pod\r\nmetadata:\r\n  name: debug\r\nspec:\r\n  containers:\r\n  - name: debug\r\n    image: nginx:1.27\r\n',
  'values.yaml': `# Helm values: not a Kubernetes resource, though it names images.
image: nginx:1.27
sidecar:
  image:
    repository: busybox
    tag: "1.36"
containers:
- image: redis:7.4
`,
  'ci.yaml': `name: build
jobs:
  test:
    container:
      image: busybox:1.36
`,
  'chart/templates/deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "app.fullname" . }}
spec:
  template:
    spec:
      containers:
      - name: app
        image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
        {{- with .Values.resources }}
        resources:
          {{- toYaml . | nindent 12 }}
        {{- end }}
`,
  // A Helm chart whose template happens to parse as YAML: skipped as a whole, because of Chart.yaml.
  'charts/api/Chart.yaml': 'apiVersion: v2\nname: api\nversion: 0.1.0\n',
  'charts/api/templates/deployment.yaml':
    'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  template:\n    spec:\n      containers:\n      - name: api\n        image: "{{ .Values.image }}"\n',
  '.git/pod.yaml': 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: hidden\nspec:\n  containers:\n  - name: a\n    image: nginx:1.27\n',
  'node_modules/pkg/pod.yaml': 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: vendored\nspec:\n  containers:\n  - name: a\n    image: nginx:1.27\n',
  'README.md': 'image: nginx:1.27\n',
};

/** The file written with mode 0640, which must keep it. */
export const PRIVATE_FILE = 'deploy/worker.yml';

/** The file that is not YAML, left alone with a warning. */
export const TEMPLATE_FILE = 'chart/templates/deployment.yaml';

/** One image `resolve` must pin: where, and what the check reports for it. */
export interface ExpectedPin {
  readonly file: string;
  /** A substring of exactly one line of the file: the image line. */
  readonly lineText: string;
  readonly image: string;
  readonly resource: string;
  readonly field: string;
}

/** Every image that is not pinned, in the order the CLI reports them (files sorted, documents in order). */
export const EXPECTED_PINS: readonly ExpectedPin[] = [
  pin('deploy/web.yaml', 'image: "busybox:1.36"', 'busybox:1.36', 'Deployment/web', 'spec.template.spec.initContainers[0].image'),
  pin('deploy/web.yaml', 'image: nginx:1.27   # the server', 'nginx:1.27', 'Deployment/web', 'spec.template.spec.containers[0].image'),
  pin('deploy/web.yaml', "image: 'redis:7.4'", 'redis:7.4', 'CronJob/backup', 'spec.jobTemplate.spec.template.spec.containers[0].image'),
  pin('deploy/worker.yml', 'image: ghcr.io/', 'ghcr.io/stefanprodan/podinfo:6.7.0', 'StatefulSet/worker', 'spec.template.spec.containers[0].image'),
  pin('nested/deeper/pod.yaml', 'image: nginx:1.27', 'nginx:1.27', 'Pod/debug', 'spec.containers[0].image'),
];

/** Images already pinned in the tree. */
export const ALREADY_PINNED_COUNT = 1;

function pin(file: string, lineText: string, image: string, resource: string, field: string): ExpectedPin {
  return { file, lineText, image, resource, field };
}

/** The 1-based line of the one line of `file` holding `lineText`. */
export function lineOf(file: string, lineText: string, tree: Readonly<Record<string, string>> = CLI_TREE): number {
  const lines = (tree[file] ?? '').split('\n');
  const found = lines.flatMap((line, index) => (line.includes(lineText) ? [index + 1] : []));
  if (found.length !== 1) throw new Error(`expected ${JSON.stringify(lineText)} on exactly one line of ${file}, found ${found.length}`);
  return found[0] as number;
}

/** Writes the tree into `dir`, with {@link PRIVATE_FILE} (when the tree has it) at mode 0640. */
export async function writeCliTree(dir: string, tree: Readonly<Record<string, string>> = CLI_TREE): Promise<void> {
  for (const [path, text] of Object.entries(tree)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  if (PRIVATE_FILE in tree) await chmod(join(dir, PRIVATE_FILE), 0o640);
}
