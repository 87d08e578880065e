import { randomBytes } from 'node:crypto';

/** Where `auth.token` sends clients and what it trusts. */
export interface TokenAuthSettings {
  readonly realm: string;
  readonly service: string;
  readonly issuer: string;
  readonly rootCertBundle: string;
}

/** Inputs of {@link registryConfig}; at most one of `htpasswdFile` and `token` is set. */
export interface RegistryConfigOptions {
  readonly port: number;
  readonly storageDir: string;
  readonly htpasswdFile?: string;
  readonly token?: TokenAuthSettings;
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
}

/**
 * Builds a distribution 2.8 configuration (https://distribution.github.io/distribution/about/configuration/).
 * It is written as JSON, which the registry's YAML parser reads as well, so nothing needs quoting by hand.
 */
export function registryConfig(options: RegistryConfigOptions): string {
  const auth: Record<string, unknown> = {};
  if (options.htpasswdFile !== undefined) {
    auth['htpasswd'] = { realm: 'digester-test', path: options.htpasswdFile };
  }
  if (options.token !== undefined) {
    auth['token'] = {
      realm: options.token.realm,
      service: options.token.service,
      issuer: options.token.issuer,
      rootcertbundle: options.token.rootCertBundle,
    };
  }
  const config = {
    version: '0.1',
    log: { level: 'info', formatter: 'text', accesslog: { disabled: false } },
    storage: {
      filesystem: { rootdirectory: options.storageDir },
      delete: { enabled: true },
      // Background upload purging and the storage health check only add noise to a short-lived registry.
      maintenance: { uploadpurging: { enabled: false } },
    },
    http: {
      addr: `127.0.0.1:${options.port}`,
      secret: randomBytes(16).toString('hex'),
      ...(options.tls === undefined ? {} : { tls: { certificate: options.tls.certFile, key: options.tls.keyFile } }),
    },
    health: { storagedriver: { enabled: false } },
    ...(Object.keys(auth).length === 0 ? {} : { auth }),
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}
