import { randomBytes, sign } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SigningIdentity } from './certificates.js';

/** One entry of the JWT `access` claim: what the bearer may do to one resource. */
export interface ResourceAccess {
  readonly type: string;
  readonly name: string;
  readonly actions: readonly string[];
}

/** Identity and credentials of a {@link TokenServer}. */
export interface TokenServerOptions {
  readonly service: string;
  readonly issuer: string;
  readonly username: string;
  readonly password: string;
  /** The one refresh token (docker "identitytoken") the OAuth2 POST flow accepts. */
  readonly refreshToken: string;
  readonly signer: SigningIdentity;
}

/** A running token server for distribution's `auth.token` (docker token authentication). */
export interface TokenServer {
  /** The realm URL the registry puts in its `WWW-Authenticate: Bearer` challenge. */
  readonly realm: string;
  /** Requests received over HTTP so far; tokens minted with {@link TokenServer.mintToken} are not counted. */
  tokenRequests(): number;
  /** Signs a token directly, so harness pushes leave {@link TokenServer.tokenRequests} untouched. */
  mintToken(subject: string, access: readonly ResourceAccess[]): string;
  close(): Promise<void>;
}

const TOKEN_PATH = '/token';
const EXPIRES_IN_SECONDS = 300;
const MAX_FORM_BYTES = 64 * 1024;

/**
 * Starts a token server on an ephemeral loopback port.
 * GET follows https://distribution.github.io/distribution/spec/auth/token/ (Basic credentials, repeated `scope`);
 * POST follows https://distribution.github.io/distribution/spec/auth/oauth/ (`password` and `refresh_token` grants).
 * Valid credentials get every requested action, no credentials get an empty `access` claim,
 * wrong credentials get 401 (GET) or 400 `invalid_grant` (POST).
 */
export async function startTokenServer(options: TokenServerOptions): Promise<TokenServer> {
  let requests = 0;
  const mintToken = (subject: string, access: readonly ResourceAccess[]): string =>
    signToken(options, subject, access);
  const server = createServer((request, response) => {
    requests += 1;
    handleRequest(options, request, response).catch((error: unknown) => {
      sendJson(response, 500, { errors: [{ code: 'UNKNOWN', message: String(error) }] });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  // Like the registry process, a forgotten close() must not keep node alive.
  server.unref();
  const { port } = server.address() as AddressInfo;
  return {
    realm: `http://127.0.0.1:${port}${TOKEN_PATH}`,
    tokenRequests: () => requests,
    mintToken,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error === undefined ? resolve() : reject(error)));
      }),
  };
}

/** Parses a scope such as `repository:library/nginx:pull,push`; the name is everything between the first and last colon. */
export function parseScope(scope: string): ResourceAccess {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first <= 0 || last === first) {
    throw new Error(`invalid scope \`${scope}\`: expected type:name:actions`);
  }
  return {
    type: scope.slice(0, first),
    name: scope.slice(first + 1, last),
    actions: scope.slice(last + 1).split(',').filter((action) => action !== ''),
  };
}

async function handleRequest(options: TokenServerOptions, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://token.invalid');
  if (url.pathname !== TOKEN_PATH) {
    sendJson(response, 404, { errors: [{ code: 'NOT_FOUND', message: `no such path ${url.pathname}` }] });
    return;
  }
  if (request.method === 'GET') {
    handleGet(options, url.searchParams, request.headers.authorization, response);
    return;
  }
  if (request.method === 'POST') {
    handlePost(options, new URLSearchParams(await readBody(request)), response);
    return;
  }
  response.setHeader('Allow', 'GET, POST');
  sendJson(response, 405, { errors: [{ code: 'UNSUPPORTED', message: `method ${request.method ?? ''} not allowed` }] });
}

function handleGet(options: TokenServerOptions, params: URLSearchParams, authorization: string | undefined, response: ServerResponse): void {
  if (!checkService(options, params.get('service'), response)) return;
  const caller = authenticateBasic(options, authorization);
  if (caller.kind === 'rejected') {
    response.setHeader('WWW-Authenticate', `Basic realm="${options.service}"`);
    sendJson(response, 401, { errors: [{ code: 'UNAUTHORIZED', message: 'incorrect username or password' }] });
    return;
  }
  const access = grant(params.getAll('scope'), caller, response);
  if (access === undefined) return;
  sendToken(options, caller.kind === 'user' ? caller.username : '', access, undefined, response);
}

function handlePost(options: TokenServerOptions, form: URLSearchParams, response: ServerResponse): void {
  if (!checkService(options, form.get('service'), response)) return;
  const grantType = form.get('grant_type');
  let valid: boolean;
  if (grantType === 'refresh_token') {
    valid = form.get('refresh_token') === options.refreshToken;
  } else if (grantType === 'password') {
    valid = form.get('username') === options.username && form.get('password') === options.password;
  } else {
    sendJson(response, 400, { error: 'unsupported_grant_type' });
    return;
  }
  if (!valid) {
    sendJson(response, 400, { error: 'invalid_grant' });
    return;
  }
  // OAuth2 sends all scopes space-delimited in one parameter (RFC 6749 section 3.3).
  const scopes = (form.get('scope') ?? '').split(' ').filter((scope) => scope !== '');
  const access = grant(scopes, { kind: 'user', username: options.username }, response);
  if (access === undefined) return;
  const offline = grantType === 'refresh_token' || form.get('access_type') === 'offline';
  sendToken(options, options.username, access, offline ? options.refreshToken : undefined, response);
}

function checkService(options: TokenServerOptions, service: string | null, response: ServerResponse): boolean {
  if (service === options.service) return true;
  sendJson(response, 400, { errors: [{ code: 'DENIED', message: `unknown service \`${service ?? ''}\`, expected \`${options.service}\`` }] });
  return false;
}

/** Anonymous callers get a token with no access, so the registry refuses them with insufficient_scope. */
function grant(scopes: readonly string[], caller: Caller, response: ServerResponse): ResourceAccess[] | undefined {
  try {
    return caller.kind === 'user' ? scopes.map(parseScope) : [];
  } catch (error) {
    sendJson(response, 400, { errors: [{ code: 'DENIED', message: (error as Error).message }] });
    return undefined;
  }
}

type Caller = { readonly kind: 'anonymous' } | { readonly kind: 'rejected' } | { readonly kind: 'user'; readonly username: string };

function authenticateBasic(options: TokenServerOptions, authorization: string | undefined): Caller {
  if (authorization === undefined) return { kind: 'anonymous' };
  const match = /^Basic\s+(\S+)$/i.exec(authorization);
  if (match?.[1] === undefined) return { kind: 'rejected' };
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const username = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  const valid = colon > 0 && username === options.username && password === options.password;
  return valid ? { kind: 'user', username } : { kind: 'rejected' };
}

function sendToken(
  options: TokenServerOptions,
  subject: string,
  access: readonly ResourceAccess[],
  refreshToken: string | undefined,
  response: ServerResponse,
): void {
  const token = signToken(options, subject, access);
  sendJson(response, 200, {
    token,
    access_token: token,
    expires_in: EXPIRES_IN_SECONDS,
    issued_at: new Date().toISOString(),
    ...(refreshToken === undefined ? {} : { refresh_token: refreshToken }),
  });
}

/**
 * Signs an RS256 JWT the way distribution 2.8 verifies it (registry/auth/token/token.go):
 * `x5c` carries the signing certificate, which must chain to `rootcertbundle`; `aud` is a single string.
 */
function signToken(options: TokenServerOptions, subject: string, access: readonly ResourceAccess[]): string {
  const now = Math.floor(Date.now() / 1000);
  const header = { typ: 'JWT', alg: 'RS256', x5c: [options.signer.certDer.toString('base64')] };
  const claims = {
    iss: options.issuer,
    sub: subject,
    aud: options.service,
    exp: now + EXPIRES_IN_SECONDS,
    nbf: now,
    iat: now,
    jti: randomBytes(16).toString('hex'),
    access,
  };
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  const signature = sign('sha256', Buffer.from(signingInput), options.signer.privateKey);
  return `${signingInput}.${signature.toString('base64url')}`;
}

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_FORM_BYTES) throw new Error(`form body larger than ${MAX_FORM_BYTES} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  if (response.headersSent) {
    response.end();
    return;
  }
  const text = JSON.stringify(body);
  response.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  response.end(text);
}
