import type { Socket } from 'node:net';
import type { buildConnector } from './undici.js';

type Connector = buildConnector.connector;
type ConnectOptions = buildConnector.Options;

/**
 * How long a connection opened ahead waits to be used before it is closed. undici closes its own
 * idle connections after 4 s (its keepAliveTimeout default); one never used is no more worth keeping.
 */
export const SPARE_IDLE_MS = 4_000;

/**
 * Opens connections ahead of need. undici connects when a request finds no free connection, so the
 * first round of manifest requests to a registry would each wait for a TCP (and TLS) handshake. While
 * the registry's ping is in flight, the client opens here the connections those requests will run on;
 * undici's pools get them through {@link Preconnector.connector}, and open their own only when no
 * spare is left.
 *
 * Every connection to an origin goes through the connector, so it knows how many are open or opening,
 * in use or not: {@link Preconnector.open} opens only what is missing, and never more than asked for.
 */
export class Preconnector {
  readonly #connect: Connector;
  readonly #idleMs: number;
  // Per origin: connections open or opening through this connector, spare or in use.
  readonly #counts = new Map<string, number>();
  // Per origin: connections opened ahead and not handed out yet, oldest first; undefined if it failed.
  readonly #spares = new Map<string, Array<Promise<Socket | undefined>>>();
  #closed = false;

  /** `connect` makes the connections (undici's buildConnector, with the transport's TLS options). */
  constructor(connect: Connector, idleMs = SPARE_IDLE_MS) {
    this.#connect = connect;
    this.#idleMs = idleMs;
  }

  /** The connector to give undici: a spare connection to the origin when one is open or opening, else a new one. */
  readonly connector: Connector = (options, callback) => {
    const key = originKey(options);
    // A TLS upgrade of a proxy tunnel (httpSocket) is not a connection of its own.
    const spare = options.httpSocket === undefined ? this.#spares.get(key)?.shift() : undefined;
    if (spare === undefined) {
      this.#dial(key, options, callback);
      return;
    }
    void spare.then((socket) => {
      if (socket === undefined || socket.destroyed || socket.readyState !== 'open') {
        socket?.destroy();
        this.#dial(key, options, callback);
        return;
      }
      socket.setTimeout(0);
      socket.off('timeout', closeIdle);
      // Spares never keep the process alive; from now on undici refs and unrefs it as requests come and go.
      socket.ref();
      callback(null, socket);
    });
  };

  /** Opens connections to `origin` (`https://host:port`) until `count` are open or opening, spare or in use. */
  open(origin: URL, count: number): void {
    if (this.#closed) return;
    const options = connectOptions(origin);
    const key = originKey(options);
    let spares = this.#spares.get(key);
    if (spares === undefined) this.#spares.set(key, (spares = []));
    const list = spares;
    for (let open = this.#counts.get(key) ?? 0; open < count; open++) {
      const spare: Promise<Socket | undefined> = new Promise((resolve) => {
        this.#dial(key, options, (error, socket) => {
          if (error !== null) {
            // The request that would have used it connects itself, and reports its own error.
            remove(list, spare);
            resolve(undefined);
            return;
          }
          socket.unref();
          socket.setTimeout(this.#idleMs);
          socket.on('timeout', closeIdle);
          socket.once('close', () => remove(list, spare));
          resolve(socket);
        });
      });
      list.push(spare);
    }
  }

  /** Closes the spare connections; those handed out belong to undici's pools, which close them. */
  close(): void {
    this.#closed = true;
    for (const spares of this.#spares.values()) {
      for (const spare of spares.splice(0)) void spare.then((socket) => socket?.destroy());
    }
  }

  /** Connects, counting the connection from now until it fails or closes. */
  #dial(key: string, options: ConnectOptions, callback: buildConnector.Callback): void {
    this.#adjust(key, 1);
    try {
      this.#connect(options, (error, socket) => {
        if (error !== null) {
          this.#adjust(key, -1);
          callback(error, null);
          return;
        }
        socket.once('close', () => this.#adjust(key, -1));
        callback(null, socket);
      });
    } catch (error) {
      this.#adjust(key, -1);
      throw error;
    }
  }

  #adjust(key: string, by: number): void {
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + by);
  }
}

/** What undici's client passes its connector for an origin (dispatcher/client.js `connect`). */
function connectOptions(origin: URL): ConnectOptions {
  // undici hands the connector an IPv6 literal without its brackets.
  const hostname = origin.hostname.startsWith('[') ? origin.hostname.slice(1, -1) : origin.hostname;
  return { host: origin.host, hostname, protocol: origin.protocol, port: origin.port };
}

function closeIdle(this: Socket): void {
  this.destroy();
}

function originKey(options: ConnectOptions): string {
  return `${options.protocol}//${options.hostname}:${options.port}`;
}

function remove<T>(list: T[], item: T): void {
  const index = list.indexOf(item);
  if (index >= 0) list.splice(index, 1);
}
