import { eachItem, findPodSpecs } from './image-fields.js';
import type { Item } from './resource-list.js';
import type { ResourceSet } from './scan.js';
import { fieldError, type Result } from './results.js';

// k8s-digester's "online" mode reads imagePullSecrets from the cluster. The
// same credentials are usually in the package itself, so digester reads the
// kubernetes.io/dockerconfigjson and kubernetes.io/dockercfg Secrets that the
// package's pod specs name under imagePullSecrets. Secret data is never
// echoed: problems name the Secret and the key, not the content.

const SECRET_KEYS: Readonly<Record<string, string>> = {
  'kubernetes.io/dockerconfigjson': '.dockerconfigjson',
  'kubernetes.io/dockercfg': '.dockercfg',
};

/** The docker config documents found, and a result for each Secret that could not be read. */
export interface PullSecrets {
  readonly documents: string[];
  readonly problems: Result[];
}

/** Collects the registry credentials of Secrets that pods in the list use as imagePullSecrets. */
export function collectPullSecrets(list: ResourceSet): PullSecrets {
  const { tree } = list.document;
  const documents: string[] = [];
  const problems: Result[] = [];
  if (!list.items.some((item) => item.ref.kind === 'Secret')) return { documents, problems };
  const wanted = new Set<string>();
  for (const item of list.items) {
    if (item.localConfig) continue;
    for (const spec of findPodSpecs(tree, item.node)) {
      eachItem(tree, tree.get(spec.node, 'imagePullSecrets'), (reference) => {
        const name = tree.getString(reference, 'name');
        if (name !== undefined) wanted.add(secretKey(item.ref.namespace, name));
      });
    }
  }
  if (wanted.size === 0) return { documents, problems };
  for (const item of list.items) {
    if (item.ref.kind !== 'Secret' || item.ref.apiVersion !== 'v1') continue;
    if (!wanted.has(secretKey(item.ref.namespace, item.ref.name))) continue;
    const type = tree.getString(item.node, 'type') ?? '';
    const key = SECRET_KEYS[type];
    if (key === undefined) continue;
    const read = readSecret(list, item, key);
    if (typeof read === 'string') documents.push(read);
    else problems.push(read);
  }
  return { documents, problems };
}

function readSecret(list: ResourceSet, item: Item, key: string): string | Result {
  const { tree } = list.document;
  const plain = tree.getString(tree.get(item.node, 'stringData'), key);
  const encoded = tree.getString(tree.get(item.node, 'data'), key);
  let text: string | undefined = plain;
  let field = `stringData[${key}]`;
  if (text === undefined && encoded !== undefined) {
    field = `data[${key}]`;
    const compact = encoded.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 === 1) {
      return secretProblem(item, field, 'is not valid base64');
    }
    text = Buffer.from(compact, 'base64').toString('utf8');
  }
  if (text === undefined) return secretProblem(item, `data[${key}]`, 'is missing');
  try {
    JSON.parse(text);
  } catch {
    return secretProblem(item, field, 'is not valid JSON');
  }
  return text;
}

function secretProblem(item: Item, field: string, problem: string): Result {
  const where = `${item.ref.namespace === undefined ? '' : `${item.ref.namespace}/`}${item.ref.name}`;
  return fieldError(item, field, `imagePullSecret ${where}: ${field} ${problem}; its credentials are not used`);
}

function secretKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}
