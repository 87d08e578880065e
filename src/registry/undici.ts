// The parts of undici digester uses, imported one by one. The package's index
// also loads fetch, WebSocket, EventSource, caches and mocks: about twice the
// code, which costs tens of milliseconds of compiling on every run before the
// first request (measured by the benchmark's network scenario). undici 7 has
// no `exports` map, so these paths are the package's own files.
import Agent from 'undici/lib/dispatcher/agent.js';
import buildConnector from 'undici/lib/core/connect.js';
import Dispatcher from 'undici/lib/dispatcher/dispatcher.js';
import EnvHttpProxyAgent from 'undici/lib/dispatcher/env-http-proxy-agent.js';
import api from 'undici/lib/api/index.js';

// What undici's index does to give every dispatcher its request() method.
Object.assign(Dispatcher.prototype, api);

export { Agent, buildConnector, EnvHttpProxyAgent };
