import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Answers one request of a {@link ScriptedRegistry}. */
export type ScriptedHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => void;

/** An HTTP server on loopback whose every answer a test scripts, for behaviour a real registry will not show on demand. */
export interface ScriptedRegistry {
  /** `127.0.0.1:PORT`. */
  readonly host: string;
  /** `METHOD /path?query` of every request received. */
  readonly seen: string[];
  handle: ScriptedHandler;
  close(): Promise<void>;
}

/** Starts a scripted registry; until `handle` is set, it answers 500. */
export async function startScriptedRegistry(): Promise<ScriptedRegistry> {
  const seen: string[] = [];
  const scripted = { seen, handle: ((_req, res) => void res.writeHead(500).end()) as ScriptedHandler };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://scripted.invalid');
    seen.push(`${req.method ?? ''} ${url.pathname}${url.search}`);
    scripted.handle(req, res, url);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.unref();
  const { port } = server.address() as AddressInfo;
  return Object.assign(scripted, {
    host: `127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
