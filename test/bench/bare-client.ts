// The network scenario's physical floor: the least any client can do to pin the scenario's images,
// with none of digester's code. It is told the images up front (no input to read or parse), runs
// in a warm process (the first pass only compiles and warms the registries), and sends exactly
// the requests the limit counts: a ping per registry, in parallel; the token requests (50 scopes
// each, in parallel); then one HEAD per image, `concurrency` in flight, over keep-alive
// connections of node's own http client. Every digest is checked against the pushed one, so a
// fast failure cannot pass for a result. What is left between this and the limit is what the
// registries, the latency proxies and node's HTTP stack cost on this machine.
//
// Run by scenarios/bare-floor.ts as a child process: a BarePlan as JSON on stdin, JSON on stdout.

import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/** What the bare client resolves, and how often. */
export interface BarePlan {
  /** Registry endpoints by name, `http://` (the latency proxies). */
  readonly endpoints: Readonly<Record<string, string>>;
  /** Basic credentials for the registries that answer the ping with a Bearer challenge. */
  readonly credentials: { readonly username: string; readonly password: string };
  readonly images: ReadonlyArray<{ readonly registry: string; readonly repository: string; readonly tag: string; readonly digest: string }>;
  readonly concurrencies: readonly number[];
  /** Measured passes per concurrency, after one unmeasured pass. */
  readonly runs: number;
}

/** Wall time of each measured pass, by concurrency. */
export type BareResult = Record<string, number[]>;

const ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');
const SCOPES_PER_TOKEN = 50;

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

function send(agent: Agent, url: URL, method: string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** `Authorization` for each registry: none for anonymous ones, a bearer token for the others. */
async function authorize(agent: Agent, plan: BarePlan): Promise<Map<string, string | undefined>> {
  const registries = Object.keys(plan.endpoints);
  const pings = await Promise.all(registries.map((name) => send(agent, new URL('/v2/', plan.endpoints[name]), 'GET', {})));
  const basic = `Basic ${Buffer.from(`${plan.credentials.username}:${plan.credentials.password}`).toString('base64')}`;
  const auth = new Map<string, string | undefined>();
  await Promise.all(
    registries.map(async (name, i) => {
      const ping = pings[i] as Answer;
      if (ping.status === 200) return auth.set(name, undefined);
      const challenge = String(ping.headers['www-authenticate'] ?? '');
      const realm = /realm="([^"]+)"/.exec(challenge)?.[1];
      if (ping.status !== 401 || realm === undefined) throw new Error(`${name}: ping answered ${ping.status} ${challenge}`);
      const service = /service="([^"]+)"/.exec(challenge)?.[1];
      const repositories = [...new Set(plan.images.filter((image) => image.registry === name).map((image) => image.repository))];
      const batches: string[][] = [];
      for (let at = 0; at < repositories.length; at += SCOPES_PER_TOKEN) batches.push(repositories.slice(at, at + SCOPES_PER_TOKEN));
      // One token per batch; each image uses the token whose batch holds its repository.
      const tokens = await Promise.all(
        batches.map(async (batch) => {
          const url = new URL(realm);
          if (service !== undefined) url.searchParams.set('service', service);
          for (const repository of batch) url.searchParams.append('scope', `repository:${repository}:pull`);
          const answer = await send(agent, url, 'GET', { authorization: basic });
          if (answer.status !== 200) throw new Error(`${name}: token request answered ${answer.status}`);
          const json = JSON.parse(answer.body) as { token?: string; access_token?: string };
          return json.token ?? json.access_token ?? '';
        }),
      );
      batches.forEach((batch, b) => batch.forEach((repository) => auth.set(`${name}/${repository}`, `Bearer ${tokens[b] ?? ''}`)));
      return auth.set(name, 'per-repository');
    }),
  );
  return auth;
}

/** One pass over every image; resolves to its wall time in ms. */
async function pass(plan: BarePlan, concurrency: number): Promise<number> {
  const started = performance.now();
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  try {
    const auth = await authorize(agent, plan);
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let i = next++; i < plan.images.length; i = next++) {
        const image = plan.images[i] as BarePlan['images'][number];
        const headers: Record<string, string> = { accept: ACCEPT };
        const authorization = auth.get(image.registry) === undefined ? undefined : auth.get(`${image.registry}/${image.repository}`);
        if (authorization !== undefined) headers['authorization'] = authorization;
        const url = new URL(`/v2/${image.repository}/manifests/${image.tag}`, plan.endpoints[image.registry]);
        const answer = await send(agent, url, 'HEAD', headers);
        const digest = answer.headers['docker-content-digest'];
        if (answer.status !== 200 || digest !== image.digest) {
          throw new Error(`${image.registry}/${image.repository}:${image.tag}: HEAD answered ${answer.status}, digest ${String(digest)}, pushed ${image.digest}`);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, plan.images.length) }, worker));
    return performance.now() - started;
  } finally {
    agent.destroy();
  }
}

const plan = JSON.parse(readFileSync(0, 'utf8')) as BarePlan;
const result: BareResult = {};
await pass(plan, plan.concurrencies[0] ?? 1);
// Interleaved, so a machine that slows down during the measurement moves every concurrency alike.
for (let run = 0; run < plan.runs; run++) {
  for (const concurrency of plan.concurrencies) (result[String(concurrency)] ??= []).push(await pass(plan, concurrency));
}
process.stdout.write(`${JSON.stringify(result)}\n`);
