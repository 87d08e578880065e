import { createServer as createHttpServer } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { listen } from './fault-proxy.js';

// Small loopback servers for the function-level fault tables: a token realm that hands out tokens
// no registry accepts, a CONNECT proxy that alone knows where a made-up host name lives, and a
// port nothing listens on.

/** A token realm answering every request with the same JSON body. */
export interface FixedTokenRealm {
  /** `http://127.0.0.1:PORT/token`. */
  readonly realm: string;
  /** Requests received so far. */
  requests(): number;
  close(): Promise<void>;
}

/** Starts a realm that answers every token request 200 with `body` (e.g. a garbage token with `expires_in: 1`). */
export async function startFixedTokenRealm(body: unknown): Promise<FixedTokenRealm> {
  let requests = 0;
  const text = JSON.stringify(body);
  const server = createHttpServer((_request, response) => {
    requests += 1;
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
  });
  const host = await listen(server);
  return {
    realm: `http://${host}/token`,
    requests: () => requests,
    close: () => closeServer(server, () => server.closeAllConnections()),
  };
}

/** An HTTP proxy that tunnels CONNECT requests for the hosts it knows. */
export interface ConnectProxy {
  /** `http://127.0.0.1:PORT`, for HTTPS_PROXY and HTTP_PROXY. */
  readonly url: string;
  /** The authority of every CONNECT request, and `METHOD url` of any other request, in arrival order. */
  readonly seen: string[];
  close(): Promise<void>;
}

/**
 * Starts a CONNECT proxy; `hosts` maps a requested `name:port` to the `127.0.0.1:port` it really is.
 * Unknown hosts get 502, any request that is not CONNECT 501: the client reaches a mapped name
 * through this proxy or not at all.
 */
export async function startConnectProxy(hosts: Readonly<Record<string, string>>): Promise<ConnectProxy> {
  const seen: string[] = [];
  const sockets = new Set<Socket>();
  const server = createHttpServer((request, response) => {
    seen.push(`${request.method ?? ''} ${request.url ?? ''}`);
    response.writeHead(501, { 'content-length': 0 }).end();
  });
  server.on('connect', (request, client: Socket, head: Buffer) => {
    const authority = request.url ?? '';
    seen.push(authority);
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    const target = hosts[authority];
    if (target === undefined) {
      client.end('HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    const [hostname, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
    const upstream = connect(port, hostname, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  const host = await listen(server);
  return {
    url: `http://${host}`,
    seen,
    close: () =>
      closeServer(server, () => {
        for (const socket of sockets) socket.destroy();
        server.closeAllConnections();
      }),
  };
}

/** A loopback port that was free a moment ago and has nothing listening on it. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  const host = await listen(server);
  await closeServer(server, () => undefined);
  return Number(host.slice(host.lastIndexOf(':') + 1));
}


function closeServer(server: Server, dropConnections: () => void): Promise<void> {
  dropConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
