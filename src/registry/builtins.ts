// Node built-ins the registry client needs on some paths only, loaded on first use. Imported at the
// top, node:crypto (to hash a manifest), node:child_process (for a credential helper) and node:tls
// (for SSL_CERT_FILE) took about 3 ms of every run's start before its first request, while a run
// against registries that answer HEADs with digests uses none of them. (node:http is not here:
// undici's core loads it anyway.)
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export function crypto(): typeof import('node:crypto') {
  return require('node:crypto') as typeof import('node:crypto');
}

export function childProcess(): typeof import('node:child_process') {
  return require('node:child_process') as typeof import('node:child_process');
}

export function tlsRootCertificates(): readonly string[] {
  return (require('node:tls') as typeof import('node:tls')).rootCertificates;
}
