import assert from 'node:assert/strict';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Preconnector } from '../../src/registry/preconnect.js';
import { bypassesProxy } from '../../src/registry/no-proxy.js';
import { connectsDirectly } from '../../src/registry/transport.js';
import { EnvHttpProxyAgent } from '../../src/registry/undici.js';
import type { buildConnector } from '../../src/registry/undici.js';

/** A TCP server that holds what it accepts; `refuse` makes it close each new connection at once. */
interface HoldingServer {
  readonly origin: URL;
  readonly accepted: Socket[];
  refuse: boolean;
  close(): Promise<void>;
}

async function holdingServer(): Promise<HoldingServer> {
  const held: HoldingServer = {
    origin: new URL('http://127.0.0.1'),
    accepted: [],
    refuse: false,
    close: () => new Promise<void>((resolve) => {
      for (const socket of held.accepted) socket.destroy();
      server.close(() => resolve());
    }),
  };
  const server: Server = createServer((socket) => {
    held.accepted.push(socket);
    socket.on('error', () => undefined);
    if (held.refuse) socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  held.origin.port = String((server.address() as AddressInfo).port);
  return held;
}

/** A connector like undici's (core/connect.js): a TCP connection, handed over once it is open. */
function countingConnector(): { readonly connector: buildConnector.connector; readonly dialed: string[] } {
  const dialed: string[] = [];
  const connector: buildConnector.connector = (options, callback) => {
    dialed.push(`${options.protocol}//${options.hostname}:${options.port}`);
    const socket = connect({ host: options.hostname, port: Number(options.port) });
    socket.on('error', (error) => callback(error, null));
    socket.once('connect', () => callback(null, socket));
  };
  return { connector, dialed };
}

/** Asks for a connection the way undici's client does (dispatcher/client.js `connect`). */
function take(preconnector: Preconnector, origin: URL): Promise<Socket> {
  return new Promise((resolve, reject) => {
    preconnector.connector({ host: origin.host, hostname: origin.hostname, protocol: origin.protocol, port: origin.port }, (error, socket) =>
      error === null ? resolve(socket) : reject(error),
    );
  });
}

/** Resolves when the server's end of `socket` has closed. */
function closed(socket: Socket): Promise<void> {
  return socket.destroyed ? Promise.resolve() : new Promise((resolve) => socket.once('close', () => resolve()));
}

/** The connections the server accepts from now on, as they come. */
async function nextAccepted(server: HoldingServer, count: number): Promise<Socket[]> {
  const from = server.accepted.length;
  await until(() => server.accepted.length >= from + count, `${count} connection(s)`);
  return server.accepted.slice(from, from + count);
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !condition(); waited += 5) {
    if (waited > 5_000) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('Preconnector: connections opened ahead of need', () => {
  let server: HoldingServer;
  const taken: Socket[] = [];

  before(async () => {
    server = await holdingServer();
  });
  after(async () => {
    for (const socket of taken) socket.destroy();
    await server.close();
  });

  it('opens connections until `count` are open, and hands them out before making new ones', async () => {
    const { connector, dialed } = countingConnector();
    const preconnector = new Preconnector(connector);
    const accepted = nextAccepted(server, 3);
    preconnector.open(server.origin, 3);
    assert.equal(dialed.length, 3);
    await accepted;
    const sockets = await Promise.all([take(preconnector, server.origin), take(preconnector, server.origin), take(preconnector, server.origin)]);
    taken.push(...sockets);
    assert.equal(new Set(sockets).size, 3);
    assert.equal(dialed.length, 3, 'no connection made for a request while a spare was left');
    taken.push(await take(preconnector, server.origin));
    assert.equal(dialed.length, 4, 'with the spares used up, a request connects itself');
    preconnector.close();
  });

  it('counts the connections made through it, in use or not: open() adds only what is missing', async () => {
    const { connector, dialed } = countingConnector();
    const preconnector = new Preconnector(connector);
    taken.push(await take(preconnector, server.origin));
    preconnector.open(server.origin, 3);
    assert.equal(dialed.length, 3, 'the connection in use counts: two more make three');
    preconnector.open(server.origin, 3);
    preconnector.open(server.origin, 2);
    assert.equal(dialed.length, 3);
    preconnector.close();
  });

  it('keeps each origin apart', async () => {
    const other = await holdingServer();
    const { connector, dialed } = countingConnector();
    const preconnector = new Preconnector(connector);
    try {
      preconnector.open(server.origin, 1);
      const socket = await take(preconnector, other.origin);
      taken.push(socket);
      assert.deepEqual(dialed, [`http://127.0.0.1:${server.origin.port}`, `http://127.0.0.1:${other.origin.port}`]);
      assert.equal(socket.remotePort, Number(other.origin.port));
    } finally {
      preconnector.close();
      await other.close();
    }
  });

  it('hands out no spare the server has closed: the request connects itself', async () => {
    const { connector, dialed } = countingConnector();
    const preconnector = new Preconnector(connector);
    server.refuse = true;
    try {
      const accepted = nextAccepted(server, 1);
      preconnector.open(server.origin, 1);
      await closed((await accepted)[0] as Socket);
      await new Promise((resolve) => setTimeout(resolve, 20)); // for the FIN to reach the spare
    } finally {
      server.refuse = false;
    }
    const socket = await take(preconnector, server.origin);
    taken.push(socket);
    assert.equal(dialed.length, 2);
    assert.equal(socket.readyState, 'open');
    preconnector.close();
  });

  it('when a spare could not connect, the request connects itself and meets the error', async () => {
    const refused = new URL(server.origin);
    const probe = await holdingServer();
    refused.port = probe.origin.port;
    await probe.close(); // nothing listens there now
    const { connector, dialed } = countingConnector();
    const preconnector = new Preconnector(connector);
    preconnector.open(refused, 1);
    await assert.rejects(take(preconnector, refused), { code: 'ECONNREFUSED' });
    assert.equal(dialed.length, 2);
    preconnector.open(refused, 1);
    assert.equal(dialed.length, 3, 'failed connections are not counted as open');
    preconnector.close();
  });

  it('closes a spare nobody took after the idle time', async () => {
    const { connector } = countingConnector();
    const preconnector = new Preconnector(connector, 30);
    const accepted = nextAccepted(server, 1);
    preconnector.open(server.origin, 1);
    await closed((await accepted)[0] as Socket);
    preconnector.close();
  });

  it('close() closes the spares, and opens none afterwards', async () => {
    const { connector, dialed } = countingConnector();
    const preconnector = new Preconnector(connector);
    const accepted = nextAccepted(server, 2);
    preconnector.open(server.origin, 2);
    const spares = await accepted;
    preconnector.close();
    await Promise.all(spares.map(closed));
    preconnector.open(server.origin, 2);
    assert.equal(dialed.length, 2);
  });
});

describe('connectsDirectly: where connections may be opened ahead', () => {
  const proxied = { HTTPS_PROXY: 'http://proxy.example:3128', http_proxy: 'http://proxy.example:3128' };

  it('loopback registries connect directly, whatever the proxy settings', () => {
    assert.equal(connectsDirectly(new URL('https://127.0.0.1:5000'), proxied), true);
    assert.equal(connectsDirectly(new URL('http://[::1]:5000'), proxied), true);
    assert.equal(connectsDirectly(new URL('https://localhost:5000'), proxied), true);
  });

  it('other hosts connect directly only when no proxy is set for their scheme', () => {
    assert.equal(connectsDirectly(new URL('https://registry.example'), proxied), false);
    assert.equal(connectsDirectly(new URL('http://registry.example'), proxied), false);
    assert.equal(connectsDirectly(new URL('http://registry.example'), { HTTPS_PROXY: 'http://proxy.example:3128' }), true);
    assert.equal(connectsDirectly(new URL('https://registry.example'), { https_proxy: '' }), true);
    assert.equal(connectsDirectly(new URL('https://registry.example'), {}), true);
  });

  it('hosts that NO_PROXY exempts connect directly', () => {
    assert.equal(connectsDirectly(new URL('https://registry.corp.example'), { ...proxied, NO_PROXY: 'localhost,.corp.example' }), true);
    assert.equal(connectsDirectly(new URL('https://registry.corp.example'), { ...proxied, no_proxy: 'other.example', NO_PROXY: 'corp.example' }), false);
  });
});

describe('bypassesProxy reads NO_PROXY as undici routes requests', () => {
  const cases: ReadonlyArray<readonly [string, string, boolean]> = [
    ['https://registry.example', '', false],
    ['https://registry.example', '*', true],
    ['https://registry.example', 'registry.example', true],
    ['https://REGISTRY.example:443', 'Registry.Example', true],
    ['https://eu.registry.example', 'registry.example', true],
    ['https://eu.registry.example', '.registry.example', true],
    ['https://eu.registry.example', '*.registry.example', true],
    ['https://otherregistry.example', 'registry.example', false],
    ['https://registry.example', 'a.example registry.example,b.example', true],
    ['https://registry.example', 'registry.example:443', true],
    ['https://registry.example:5000', 'registry.example:443', false],
    ['http://registry.example', 'registry.example:80', true],
    ['https://[::2]:5000', '[::2]', true],
    ['https://registry.example', ' *', false],
  ];
  // undici's own agent, told to proxy through a closed port: a direct attempt reaches `connect`.
  const routedDirectly = async (url: URL, noProxy: string): Promise<boolean> => {
    const hosts: string[] = [];
    const agent = new EnvHttpProxyAgent({
      httpProxy: 'http://127.0.0.1:1',
      httpsProxy: 'http://127.0.0.1:1',
      noProxy,
      connect: (options, callback) => {
        hosts.push(options.hostname);
        callback(new Error('not connecting'), null);
      },
    });
    await agent.request({ origin: url.origin, path: '/v2/', method: 'GET' }).catch(() => undefined);
    await agent.close();
    // undici's connector gets an IPv6 literal without its brackets.
    return hosts.includes(url.hostname.replace(/^\[(.*)\]$/, '$1'));
  };
  for (const [url, noProxy, expected] of cases) {
    it(`${url} with NO_PROXY=${JSON.stringify(noProxy)}: ${expected ? 'direct' : 'proxied'}`, async () => {
      assert.equal(bypassesProxy(new URL(url), noProxy), expected);
      assert.equal(await routedDirectly(new URL(url), noProxy), expected, 'undici routes it the same way');
    });
  }
});
