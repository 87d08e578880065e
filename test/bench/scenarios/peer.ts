// Scenario 2: what a user's script does without digester: one `skopeo inspect --raw` per unique
// image, one after another, through the same latency proxies.

import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { sha256Digest } from '../../support/distribution-push.js';
import type { ImageSpec } from '../generators.js';
import { expectSuccess, measureProcess } from '../measure.js';
import type { NetworkRig, RequestCounts } from './network-rig.js';

const SKOPEO = '/usr/bin/skopeo';
const SKOPEO_TIMEOUT_MS = 60_000;

/** One pass of the skopeo loop over every unique image. */
export interface PeerSample {
  readonly wallMs: number;
  readonly requests: RequestCounts;
  readonly requestsPerImage: number;
}

/** Runs the loop once and checks each digest against the pushed one. */
export async function runPeerOnce(rig: NetworkRig): Promise<PeerSample> {
  rig.resetTraffic();
  const started = performance.now();
  for (const [i, image] of rig.images.entries()) {
    const run = await measureProcess({
      file: SKOPEO,
      args: skopeoArgs(rig, image),
      env: rig.env,
      keepStdout: true,
      timeoutMs: SKOPEO_TIMEOUT_MS,
    });
    expectSuccess(run, `skopeo inspect of ${image.repository}:${image.tag}`);
    const digest = sha256Digest(run.stdout);
    if (digest !== rig.digests[i]) {
      throw new Error(`skopeo saw ${digest} for ${image.repository}:${image.tag}, pushed ${rig.digests[i] ?? '(none)'}`);
    }
  }
  const wallMs = performance.now() - started;
  const requests = rig.traffic().all;
  return { wallMs, requests, requestsPerImage: requests.total / rig.images.length };
}

function skopeoArgs(rig: NetworkRig, image: ImageSpec): string[] {
  const registry = rig.registries[image.role];
  const creds =
    registry.username !== undefined && registry.password !== undefined
      ? ['--creds', `${registry.username}:${registry.password}`]
      : ['--no-creds'];
  return ['inspect', '--raw', '--tls-verify=false', ...creds, `docker://${rig.proxies[image.role].host}/${image.repository}:${image.tag}`];
}

/** True when skopeo is installed. */
export function hasSkopeo(): boolean {
  return existsSync(SKOPEO);
}
