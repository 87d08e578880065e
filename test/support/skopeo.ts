import { dirname } from 'node:path';
import { runCommand } from './command.js';
import { sha256Digest } from './distribution-push.js';
import type { TestRegistry } from './registry.js';

/**
 * The independent oracle: `skopeo inspect --raw` fetches the manifest of `repository:tag`,
 * and the digest is the sha256 of exactly the bytes it printed.
 */
export async function skopeoDigest(registry: TestRegistry, repository: string, tag: string): Promise<string> {
  const args = ['inspect', '--raw'];
  if (registry.caFile === undefined) {
    args.push('--tls-verify=false');
  } else {
    // skopeo reads every *.crt in --cert-dir as a CA; the harness keeps the CA alone in its directory.
    args.push('--tls-verify=true', '--cert-dir', dirname(registry.caFile));
  }
  if (registry.username !== undefined && registry.password !== undefined) {
    args.push('--creds', `${registry.username}:${registry.password}`);
  } else {
    args.push('--no-creds');
  }
  args.push(`docker://${registry.host}/${repository}:${tag}`);
  const raw = await runCommand('/usr/bin/skopeo', args, { timeoutMs: 60_000 });
  return sha256Digest(raw);
}
