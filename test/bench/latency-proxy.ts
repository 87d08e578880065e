// A TCP proxy that makes loopback behave like a network with a round-trip time: every chunk
// waits RTT/2 before it is passed on, in each direction (`tc netem` is not available here).
// It also counts the HTTP requests on the client→upstream stream, so the benchmark knows
// exactly what the client sent, however the client pools or pipelines its connections.

import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { HttpRequestParser } from './http-request-parser.js';

/** One request the proxy saw, with the time its request line reached the proxy. */
export interface ProxiedRequest {
  /** performance.now() when the first response byte came back from upstream (before the delay), if it did. */
  respondedAt?: number;
  /** The proxy's label, e.g. `anonymous`, `token`, `realm`. */
  readonly label: string;
  readonly method: string;
  readonly target: string;
  /** performance.now() when the request head had been received (before the delay). */
  readonly at: number;
  /** Which client connection carried it (numbered per proxy from 1). */
  readonly connection: number;
}

/** What a {@link LatencyProxy} has seen since the last reset. */
export interface ProxyTraffic {
  readonly requests: readonly ProxiedRequest[];
  readonly connections: number;
  /** Connections whose bytes were not HTTP/1.x (a TLS ClientHello probing a plain port). */
  readonly opaqueConnections: number;
}

/** Options of {@link startLatencyProxy}. */
export interface LatencyProxyOptions {
  readonly label: string;
  readonly rttMs: number;
  /** `host:port` to forward to; may be set later with {@link LatencyProxy.setUpstream}. */
  readonly upstream?: string;
}

/** A running latency proxy on 127.0.0.1. */
export interface LatencyProxy {
  readonly label: string;
  /** `127.0.0.1:PORT`. */
  readonly host: string;
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** Sets where new connections go; lets a proxy exist before its upstream (a token realm). */
  setUpstream(upstream: string): void;
  traffic(): ProxyTraffic;
  /** Forgets counted requests and connections (not open connections). */
  reset(): void;
  close(): Promise<void>;
}

/** Bytes queued per direction before the source is paused; registry traffic stays far below it. */
const HIGH_WATER_BYTES = 4 * 1024 * 1024;

/** Starts a proxy on an ephemeral loopback port. */
export async function startLatencyProxy(options: LatencyProxyOptions): Promise<LatencyProxy> {
  let upstream = options.upstream;
  let requests: ProxiedRequest[] = [];
  let connections = 0;
  let opaque = 0;
  let nextConnection = 0;
  const sockets = new Set<Socket>();
  const oneWayMs = options.rttMs / 2;

  // Half-open connections pass through: a FIN travels on (delayed) while the other direction keeps flowing.
  const server = createServer({ allowHalfOpen: true }, (client) => {
    const id = ++nextConnection;
    connections += 1;
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    if (upstream === undefined) {
      client.destroy();
      return;
    }
    const [host, port] = splitHostPort(upstream);
    const origin = connect({ host, port, allowHalfOpen: true });
    sockets.add(origin);
    origin.on('close', () => sockets.delete(origin));
    client.setNoDelay(true);
    origin.setNoDelay(true);
    const parser = new HttpRequestParser();
    let counted = false;
    // Requests on this connection still waiting for their first response byte, oldest first.
    const waiting: ProxiedRequest[] = [];
    const observe = (chunk: Buffer): void => {
      const at = performance.now();
      for (const line of parser.push(chunk)) {
        const request: ProxiedRequest = { label: options.label, ...line, at, connection: id };
        requests.push(request);
        waiting.push(request);
      }
      if (parser.opaque && !counted) {
        counted = true;
        opaque += 1;
      }
    };
    relay(client, origin, oneWayMs, observe);
    // Approximate without pipelining: the first upstream chunk after a request starts its response.
    relay(origin, client, oneWayMs, () => {
      const request = waiting.shift();
      if (request !== undefined) request.respondedAt = performance.now();
    });
  });
  server.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = `127.0.0.1:${port}`;
  return {
    label: options.label,
    host,
    url: `http://${host}`,
    setUpstream(next) {
      upstream = next;
    },
    traffic: () => ({ requests: [...requests], connections, opaqueConnections: opaque }),
    reset() {
      requests = [];
      connections = 0;
      opaque = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * Copies `from` to `to`, each chunk (and the final FIN) delivered `delayMs` after it arrived,
 * in order. Errors on either side tear down both, as a broken network path would.
 */
function relay(from: Socket, to: Socket, delayMs: number, observe: ((chunk: Buffer) => void) | undefined): void {
  const queue: Array<{ readonly due: number; readonly chunk: Buffer | null }> = [];
  let queuedBytes = 0;
  let timer: NodeJS.Timeout | undefined;

  const flush = (): void => {
    timer = undefined;
    const now = performance.now();
    while (queue.length > 0 && (queue[0]?.due ?? Infinity) <= now + 0.5) {
      const { chunk } = queue.shift() as { chunk: Buffer | null };
      if (to.destroyed) return;
      if (chunk === null) {
        to.end();
        return;
      }
      queuedBytes -= chunk.length;
      to.write(chunk);
    }
    if (queuedBytes < HIGH_WATER_BYTES && from.isPaused()) from.resume();
    schedule();
  };
  const schedule = (): void => {
    const head = queue[0];
    if (head === undefined || timer !== undefined) return;
    timer = setTimeout(flush, Math.max(0, head.due - performance.now()));
  };
  const enqueue = (chunk: Buffer | null): void => {
    queue.push({ due: performance.now() + delayMs, chunk });
    if (chunk !== null) {
      queuedBytes += chunk.length;
      if (queuedBytes >= HIGH_WATER_BYTES) from.pause();
    }
    schedule();
  };

  from.on('data', (chunk: Buffer) => {
    observe?.(chunk);
    enqueue(chunk);
  });
  from.on('end', () => enqueue(null));
  const teardown = (): void => {
    clearTimeout(timer);
    queue.length = 0;
    to.destroy();
  };
  from.on('error', teardown);
  to.on('error', () => from.destroy());
  // A close without FIN (reset, or destroyed by us) must reach the other side too, after the delay.
  from.on('close', (hadError) => {
    if (hadError) teardown();
    else setTimeout(() => (queue.length === 0 ? to.destroy() : undefined), delayMs + 1).unref();
  });
}

function splitHostPort(hostPort: string): [string, number] {
  const colon = hostPort.lastIndexOf(':');
  return [hostPort.slice(0, colon), Number(hostPort.slice(colon + 1))];
}
