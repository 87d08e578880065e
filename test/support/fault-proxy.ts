import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Agent, request } from 'undici';

/** What the proxy does with a request a rule matches. */
export type FaultAction =
  /** Answers with this status (and headers, body) instead of forwarding. */
  | { readonly kind: 'respond'; readonly status: number; readonly headers?: Readonly<Record<string, string>>; readonly body?: string | Buffer }
  /** Resets the connection (TCP RST) without answering. */
  | { readonly kind: 'reset' }
  /** Never answers; the connection stays open until the client gives up or the proxy closes. */
  | { readonly kind: 'stall' }
  /** Forwards, then replaces response headers (undefined deletes one). */
  | { readonly kind: 'rewrite'; readonly headers: Readonly<Record<string, string | undefined>> }
  /** Answers with a redirect to `location(path)`, e.g. another origin serving the same registry. */
  | { readonly kind: 'redirect'; readonly status: number; readonly location: (pathAndQuery: string) => string }
  /** Forwards, then sends the headers (Content-Length of the whole body) and half the body, and closes the connection (FIN). */
  | { readonly kind: 'truncate' }
  /** Forwards, then sends the headers and half the body, and resets the connection (TCP RST). */
  | { readonly kind: 'reset-mid-response' };

/** When a rule applies: method and path (both optional) and how many times (default: every time). */
export interface FaultRule {
  readonly method?: string;
  readonly path?: RegExp;
  readonly times?: number;
  readonly action: FaultAction;
}

/** A request as the proxy received it. */
export interface RecordedRequest {
  readonly method: string;
  /** Path and query. */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** Whether a rule handled it (rather than a plain forward). */
  readonly faulted: boolean;
}

/** An HTTP proxy in front of a registry (or any origin) that misbehaves on command. */
export interface FaultProxy {
  /** `127.0.0.1:PORT`. */
  readonly host: string;
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Replaces the rules; each rule's count starts again. Rules are tried in order; unmatched requests are forwarded. */
  setRules(rules: readonly FaultRule[]): void;
  /** Requests received whose method and path match. */
  count(method: string, path: RegExp): number;
  close(): Promise<void>;
}

// Hop-by-hop headers (RFC 9110 §7.6.1) and the host are the proxy's own business, never forwarded.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host']);

/** Starts a fault proxy on 127.0.0.1 forwarding to `upstream` (`http://127.0.0.1:5000`). */
export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const dispatcher = new Agent();
  const requests: RecordedRequest[] = [];
  let rules: Array<{ readonly rule: FaultRule; used: number }> = [];

  const server = createServer((req, res) => {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const match = rules.find(({ rule, used }) => used < (rule.times ?? Infinity) && (rule.method ?? method) === method && (rule.path?.test(path) ?? true));
    if (match !== undefined) match.used += 1;
    requests.push({ method, path, headers: { ...req.headers }, faulted: match !== undefined });
    handle(match?.rule.action, req, res, upstream, dispatcher).catch(() => res.destroy());
  });
  const host = await listen(server);
  return {
    host,
    url: `http://${host}`,
    requests,
    setRules(next) {
      rules = next.map((rule) => ({ rule, used: 0 }));
    },
    count: (method, path) => requests.filter((r) => r.method === method && path.test(r.path)).length,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await dispatcher.close();
    },
  };
}

async function handle(action: FaultAction | undefined, req: IncomingMessage, res: ServerResponse, upstream: string, dispatcher: Agent): Promise<void> {
  switch (action?.kind) {
    case 'respond':
      res.writeHead(action.status, { ...action.headers, ...(action.body === undefined ? {} : { 'content-length': Buffer.byteLength(action.body) }) });
      res.end(req.method === 'HEAD' ? undefined : action.body);
      return;
    case 'reset':
      req.socket.resetAndDestroy();
      return;
    case 'stall':
      return;
    case 'redirect':
      res.writeHead(action.status, { location: action.location(req.url ?? '/'), 'content-length': 0 }).end();
      return;
    case 'truncate':
    case 'reset-mid-response':
      await forwardPart(req, res, upstream, dispatcher, action.kind);
      return;
    case 'rewrite':
    case undefined:
      await forward(req, res, upstream, dispatcher, action?.kind === 'rewrite' ? action.headers : {});
  }
}

/** Sends the upstream's headers and the first half of its body, then ends the connection the way `kind` says. */
async function forwardPart(
  req: IncomingMessage,
  res: ServerResponse,
  upstream: string,
  dispatcher: Agent,
  kind: 'truncate' | 'reset-mid-response',
): Promise<void> {
  const response = await requestUpstream(req, upstream, dispatcher);
  const body = Buffer.from(await response.body.arrayBuffer());
  const out = responseHeaders(response.headers);
  // The whole body's length is announced, so the client knows it got less.
  out['content-length'] = String(body.length);
  res.writeHead(response.statusCode, out);
  res.write(body.subarray(0, Math.floor(body.length / 2)), () => {
    if (kind === 'truncate') req.socket.end();
    else req.socket.resetAndDestroy();
  });
}

async function forward(
  req: IncomingMessage,
  res: ServerResponse,
  upstream: string,
  dispatcher: Agent,
  rewrite: Readonly<Record<string, string | undefined>>,
): Promise<void> {
  const response = await requestUpstream(req, upstream, dispatcher);
  const out = responseHeaders(response.headers);
  for (const [name, value] of Object.entries(rewrite)) {
    if (value === undefined) delete out[name];
    else out[name] = value;
  }
  res.writeHead(response.statusCode, out);
  for await (const chunk of response.body) res.write(chunk);
  res.end();
}

function requestUpstream(req: IncomingMessage, upstream: string, dispatcher: Agent): ReturnType<typeof request> {
  const method = req.method ?? 'GET';
  const headers = Object.fromEntries(Object.entries(req.headers).filter(([name, value]) => !HOP_BY_HOP.has(name) && value !== undefined));
  return request(new URL(req.url ?? '/', upstream), {
    dispatcher,
    method: method as 'GET',
    headers: headers as Record<string, string | string[]>,
    body: method === 'GET' || method === 'HEAD' ? null : req,
  });
}

function responseHeaders(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) if (!HOP_BY_HOP.has(name) && value !== undefined) out[name] = value;
  return out;
}

/** A TCP proxy that resets the first `resets` connections and pipes the rest to `upstreamPort` (TLS passes through untouched). */
export interface TcpFaultProxy {
  readonly host: string;
  /** Connections accepted so far, reset ones included. */
  connections(): number;
  close(): Promise<void>;
}

/** Starts a TCP proxy on 127.0.0.1; a reset connection fails the client's TLS handshake, as a flaky load balancer does. */
export async function startTcpFaultProxy(upstreamPort: number, resets: number): Promise<TcpFaultProxy> {
  let accepted = 0;
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    accepted += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    if (accepted <= resets) {
      // Wait for the ClientHello, so the reset lands in the middle of the handshake.
      socket.once('data', () => socket.resetAndDestroy());
      return;
    }
    const upstream = connect(upstreamPort, '127.0.0.1');
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
    socket.pipe(upstream);
    upstream.pipe(socket);
  });
  const host = await listen(server);
  return {
    host,
    connections: () => accepted,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Listens on an ephemeral loopback port and returns `127.0.0.1:PORT`. */
export async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  // A forgotten close() must not keep node alive.
  server.unref();
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}
