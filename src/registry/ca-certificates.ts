import { readdir, readFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { tlsRootCertificates } from './builtins.js';
import { RegistryError } from './errors.js';

/**
 * Builds the trusted CA list when `SSL_CERT_FILE` and/or `SSL_CERT_DIR` are set (the OpenSSL/Go
 * convention for private registries) or a registry names its own `caFile`s; undefined when none is,
 * so Node's defaults apply.
 *
 * Passing `ca` to TLS replaces Node's defaults, which would also drop `NODE_EXTRA_CA_CERTS`, so the
 * list is Node's bundled roots + NODE_EXTRA_CA_CERTS + the named files. SSL_CERT_DIR may list several
 * directories (`:`-separated, like OpenSSL); every `*.pem` and `*.crt` file in them is read. A
 * registry's caFiles add to all of these (as docker's certs.d/<host>/ca.crt adds to the system pool).
 */
export async function loadCaCertificates(
  env: NodeJS.ProcessEnv,
  log: (message: string) => void,
  caFiles: readonly string[] = [],
): Promise<string[] | undefined> {
  const file = env['SSL_CERT_FILE'] || undefined;
  const dirs = (env['SSL_CERT_DIR'] ?? '').split(delimiter).filter((d) => d !== '');
  if (file === undefined && dirs.length === 0 && caFiles.length === 0) return undefined;

  const certificates = [...tlsRootCertificates()];
  const extra = env['NODE_EXTRA_CA_CERTS'];
  if (extra) {
    try {
      certificates.push(await readFile(extra, 'utf8'));
    } catch (error) {
      // Node itself only warns about an unreadable NODE_EXTRA_CA_CERTS; do the same.
      log(`ignoring NODE_EXTRA_CA_CERTS ${extra}: ${(error as Error).message}`);
    }
  }
  if (file !== undefined) certificates.push(await readCertificateFile('SSL_CERT_FILE', file));
  for (const dir of dirs) {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (error) {
      throw unreadable('SSL_CERT_DIR', dir, error);
    }
    for (const name of names.filter((n) => /\.(pem|crt)$/i.test(n)).sort()) {
      certificates.push(await readCertificateFile('SSL_CERT_DIR', join(dir, name)));
    }
  }
  for (const caFile of caFiles) certificates.push(await readCertificateFile('caFile', caFile));
  return certificates;
}

async function readCertificateFile(variable: string, path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw unreadable(variable, path, error);
  }
}

function unreadable(variable: string, path: string, error: unknown): RegistryError {
  // A named CA source that cannot be read would otherwise surface later as a baffling certificate error.
  return new RegistryError('ERR_REGISTRY_UNAVAILABLE', `cannot read ${variable} ${path}: ${(error as Error).message}`, { cause: error });
}
