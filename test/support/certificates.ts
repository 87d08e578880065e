import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from './command.js';

const OPENSSL = '/usr/bin/openssl';

/** Files of a TLS server identity signed by a throwaway CA. */
export interface ServerCertificate {
  /** PEM of the CA, alone in its directory so it can serve as a skopeo `--cert-dir`. */
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
}

/** An RSA key and self-signed certificate used to sign registry bearer tokens. */
export interface SigningIdentity {
  readonly privateKey: KeyObject;
  /** PEM file of the certificate; it goes into the registry's `rootcertbundle`. */
  readonly certFile: string;
  /** DER bytes of the certificate, for the JWT `x5c` header. */
  readonly certDer: Buffer;
}

/**
 * Creates a CA and a server certificate for IP 127.0.0.1 and DNS localhost, signed by it.
 * Our own openssl config keeps the result independent of the distribution's openssl.cnf defaults.
 */
export async function createServerCertificate(dir: string): Promise<ServerCertificate> {
  const pki = join(dir, 'pki');
  const caDir = join(dir, 'ca');
  await mkdir(pki, { recursive: true });
  await mkdir(caDir, { recursive: true });
  const caFile = join(caDir, 'ca.crt');
  const caKey = join(pki, 'ca.key');
  const caConfig = join(pki, 'ca.cnf');
  const certFile = join(pki, 'server.crt');
  const keyFile = join(pki, 'server.key');
  const csrFile = join(pki, 'server.csr');
  const serverConfig = join(pki, 'server.cnf');

  await writeFile(caConfig, opensslConfig('digester test CA', [
    'basicConstraints = critical, CA:TRUE',
    'keyUsage = critical, keyCertSign, cRLSign',
    'subjectKeyIdentifier = hash',
  ]));
  await writeFile(serverConfig, opensslConfig('localhost', [
    'basicConstraints = critical, CA:FALSE',
    'keyUsage = critical, digitalSignature',
    'extendedKeyUsage = serverAuth',
    'subjectAltName = IP:127.0.0.1, DNS:localhost',
  ]));

  await runCommand(OPENSSL, ['req', '-x509', '-new', ...ecKey(caKey), '-config', caConfig, '-days', '2', '-out', caFile]);
  await runCommand(OPENSSL, ['req', '-new', ...ecKey(keyFile), '-config', serverConfig, '-out', csrFile]);
  await runCommand(OPENSSL, [
    'x509', '-req', '-in', csrFile, '-CA', caFile, '-CAkey', caKey, '-set_serial', '1', '-days', '2',
    '-extfile', serverConfig, '-extensions', 'ext', '-out', certFile,
  ]);
  return { caFile, certFile, keyFile };
}

/** Creates the RS256 signing key and self-signed certificate of the token server. */
export async function createSigningIdentity(dir: string): Promise<SigningIdentity> {
  const tokenDir = join(dir, 'token');
  await mkdir(tokenDir, { recursive: true });
  const keyFile = join(tokenDir, 'signer.key');
  const certFile = join(tokenDir, 'signer.crt');
  const config = join(tokenDir, 'signer.cnf');
  await writeFile(config, opensslConfig('digester test token signer', [
    'basicConstraints = critical, CA:FALSE',
    'keyUsage = critical, digitalSignature',
  ]));
  await runCommand(OPENSSL, [
    'req', '-x509', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile,
    '-config', config, '-days', '2', '-out', certFile,
  ]);
  const privateKey = createPrivateKey(await readFile(keyFile));
  const certDer = new X509Certificate(await readFile(certFile)).raw;
  return { privateKey, certFile, certDer };
}

/** P-256 keys are generated in milliseconds; Go's TLS stack accepts them. */
function ecKey(keyFile: string): string[] {
  return ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile];
}

function opensslConfig(commonName: string, extensions: readonly string[]): string {
  return [
    '[req]',
    'prompt = no',
    'distinguished_name = dn',
    'x509_extensions = ext',
    'req_extensions = ext',
    '[dn]',
    `CN = ${commonName}`,
    '[ext]',
    ...extensions,
    '',
  ].join('\n');
}
