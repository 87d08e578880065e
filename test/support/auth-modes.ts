import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Agent } from 'undici';
import { createServerCertificate, createSigningIdentity } from './certificates.js';
import { runCommand } from './command.js';
import type { RegistryConfigOptions } from './registry-config.js';
import { startTokenServer, type TokenServer } from './token-server.js';

/** How the harness registry authenticates clients, and whether it speaks TLS. */
export type AuthMode = 'anonymous' | 'basic' | 'token' | 'tls';

/** Username/password accepted by the basic and token modes. */
export interface Credentials {
  readonly username: string;
  readonly password: string;
}

/** Everything a mode adds to the registry: config, client-side trust, credentials and a push authorization. */
export interface ModeSetup {
  readonly config: Pick<RegistryConfigOptions, 'htpasswdFile' | 'token' | 'tls'>;
  readonly scheme: 'http' | 'https';
  /** Used for every harness request; it trusts the test CA in tls mode. */
  readonly dispatcher: Agent;
  readonly credentials?: Credentials;
  readonly caFile?: string;
  readonly tokenServer?: TokenServer;
  readonly refreshToken?: string;
  /** The Authorization header value the harness sends when pushing to `repository`. */
  authorization(repository: string): string | undefined;
  /** Releases what the mode started (token server, connection pool). */
  close(): Promise<void>;
}

const TOKEN_SERVICE = 'digester-test-registry';
const TOKEN_ISSUER = 'digester-test-token-server';

/** Optional tweaks of {@link prepareMode}. */
export interface PrepareOptions {
  /** Token mode: the realm the registry advertises, given the token server's own (default: the same). */
  readonly advertisedRealm?: (realm: string) => string;
}

/** Prepares keys, certificates, htpasswd file or token server for `mode` inside `dir`. */
export async function prepareMode(mode: AuthMode, dir: string, options: PrepareOptions = {}): Promise<ModeSetup> {
  switch (mode) {
    case 'anonymous':
      return plain({ config: {}, scheme: 'http', authorization: () => undefined });
    case 'basic':
      return prepareBasic(dir);
    case 'token':
      return prepareToken(dir, options);
    case 'tls':
      return prepareTls(dir);
  }
}

function newCredentials(): Credentials {
  // A fresh password per registry keeps tests from hard-coding one.
  return { username: 'tester', password: randomBytes(12).toString('hex') };
}

function plain(setup: Omit<ModeSetup, 'dispatcher' | 'close'>): ModeSetup {
  const dispatcher = new Agent();
  return { ...setup, dispatcher, close: () => dispatcher.close() };
}

async function prepareBasic(dir: string): Promise<ModeSetup> {
  const credentials = newCredentials();
  const authDir = join(dir, 'auth');
  await mkdir(authDir, { recursive: true });
  const htpasswdFile = join(authDir, 'htpasswd');
  // -B: bcrypt, the only hash distribution's htpasswd backend accepts.
  const entry = await runCommand('/usr/bin/htpasswd', ['-Bbn', credentials.username, credentials.password]);
  await writeFile(htpasswdFile, entry);
  const basic = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
  return plain({ config: { htpasswdFile }, scheme: 'http', credentials, authorization: () => basic });
}

async function prepareToken(dir: string, options: PrepareOptions): Promise<ModeSetup> {
  const credentials = newCredentials();
  const refreshToken = `refresh-${randomBytes(16).toString('hex')}`;
  const signer = await createSigningIdentity(dir);
  const tokenServer = await startTokenServer({
    service: TOKEN_SERVICE,
    issuer: TOKEN_ISSUER,
    ...credentials,
    refreshToken,
    signer,
  });
  const dispatcher = new Agent();
  return {
    config: {
      token: {
        realm: options.advertisedRealm?.(tokenServer.realm) ?? tokenServer.realm,
        service: TOKEN_SERVICE,
        issuer: TOKEN_ISSUER,
        rootCertBundle: signer.certFile,
      },
    },
    scheme: 'http',
    dispatcher,
    credentials,
    tokenServer,
    refreshToken,
    authorization: (repository) =>
      `Bearer ${tokenServer.mintToken(credentials.username, [{ type: 'repository', name: repository, actions: ['pull', 'push'] }])}`,
    close: async () => {
      await Promise.all([tokenServer.close(), dispatcher.close()]);
    },
  };
}

async function prepareTls(dir: string): Promise<ModeSetup> {
  const certificate = await createServerCertificate(dir);
  const dispatcher = new Agent({ connect: { ca: await readFile(certificate.caFile, 'utf8') } });
  return {
    config: { tls: { certFile: certificate.certFile, keyFile: certificate.keyFile } },
    scheme: 'https',
    dispatcher,
    caFile: certificate.caFile,
    authorization: () => undefined,
    close: () => dispatcher.close(),
  };
}
