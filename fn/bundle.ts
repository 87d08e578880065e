// Build step (`npm run bundle`, after tsc): esbuild bundles the function into two CommonJS
// scripts that main.ts runs with V8 code caches (see main.ts for why scripts, not modules).
//
//   dist/fn/digester.cjs   fn/digester.ts and all it imports: the KRM layer, js-yaml, the config
//   dist/fn/registry.cjs   the registry client: undici, the auth layers, their schemas
//
// The registry client is most of the code, so a run with nothing to resolve (an empty list, all
// images pinned, check mode) never reads or compiles it: the resolver's dynamic imports of the
// client are routed to main.ts's loader instead. No other module is in both bundles but zod's
// core and the pure formatSeconds, so no class is ever compared across them.
//
//   node dist/fn/bundle.js
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions, type Plugin } from 'esbuild';
import { LAZY_ASSERT_SOURCE } from './lazy-assert.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OUT = `${ROOT}dist/fn/`;

/** Bundle names main.ts's loader knows; `load('registry')` runs registry.cjs. */
const REGISTRY_BUNDLE = 'registry';
/** Each bundle's last line: this, then the SHA-256 of what precedes it (main.ts BUILD_ID_PREFIX). */
const BUILD_ID_PREFIX = '//# digester-build ';

const COMMON: BuildOptions = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // The loader passes the bundle's URL as __digesterModuleUrl; the modules read package.json through it.
  define: { 'import.meta.url': '__digesterModuleUrl' },
  legalComments: 'external',
  // Comments go too, so the scripts are pure ASCII and main.ts can read them without UTF-8 decoding.
  minifyWhitespace: true,
  charset: 'ascii',
  logLevel: 'warning',
};

/** In digester.cjs, `import('../registry/client.js')` (and endpoint.js) become the loader's registry.cjs. */
const registryFromLoader: Plugin = {
  name: 'registry-from-loader',
  setup(builder) {
    builder.onResolve({ filter: /^\.\.\/registry\/(client|endpoint)\.js$/ }, (args) =>
      args.kind === 'dynamic-import' ? { path: REGISTRY_BUNDLE, namespace: 'digester-loader' } : undefined,
    );
    builder.onLoad({ filter: /.*/, namespace: 'digester-loader' }, (args) => ({
      contents: `module.exports = __digesterLoad(${JSON.stringify(args.path)});`,
      loader: 'js',
    }));
  },
};

/**
 * undici's HTTP/2 client requires node:http2 at load for ten constants, though digester never enables
 * HTTP/2 (allowH2). Loading it, with the parts of tls and crypto it pulls in, was about 1 ms of every
 * run's start. The registry bundle gets the constants as they are in the node that builds it; any other
 * member loads the real module.
 */
const lazyHttp2: Plugin = {
  name: 'lazy-http2',
  setup(builder) {
    builder.onResolve({ filter: /^node:http2$/ }, (args) =>
      /undici[\\/]lib[\\/]dispatcher[\\/]client-h2\.js$/.test(args.importer) ? { path: 'node:http2', namespace: 'lazy-http2' } : undefined,
    );
    builder.onLoad({ filter: /.*/, namespace: 'lazy-http2' }, async () => {
      const { constants } = await import('node:http2');
      return {
        contents: `const constants = ${JSON.stringify(constants)};
let real;
module.exports = new Proxy({ constants }, { get: (target, key) => (key === 'constants' ? constants : (real ??= require('node:http2'))[key]) });`,
        loader: 'js',
      };
    });
  },
};

/** In the registry bundle undici's `require('node:assert')` gets fn/lazy-assert.ts's function. */
const lazyAssert: Plugin = {
  name: 'lazy-assert',
  setup(builder) {
    builder.onResolve({ filter: /^(node:)?assert$/ }, (args) =>
      /undici[\\/]lib[\\/]/.test(args.importer) ? { path: 'node:assert', namespace: 'lazy-assert' } : undefined,
    );
    builder.onLoad({ filter: /.*/, namespace: 'lazy-assert' }, () => ({ contents: LAZY_ASSERT_SOURCE, loader: 'js' }));
  },
};

async function main(): Promise<void> {
  await build({ ...COMMON, entryPoints: [`${ROOT}fn/digester.ts`], outfile: `${OUT}digester.cjs`, plugins: [registryFromLoader] });
  await build({
    ...COMMON,
    stdin: {
      contents: "export { RegistryClient } from './client.ts';\nexport { validateMapping } from './endpoint.ts';\n",
      resolveDir: `${ROOT}src/registry`,
      sourcefile: 'registry-bundle.ts',
      loader: 'ts',
    },
    outfile: `${OUT}${REGISTRY_BUNDLE}.cjs`,
    plugins: [lazyHttp2, lazyAssert],
  });
  for (const name of ['digester', REGISTRY_BUNDLE]) {
    const file = `${OUT}${name}.cjs`;
    const bytes = readFileSync(file);
    const offset = bytes.findIndex((byte) => byte > 0x7f);
    if (offset >= 0) throw new Error(`${name}.cjs has a non-ASCII byte at offset ${offset}; main.ts reads it as latin1`);
    // The build's identity, which the code cache repeats and main.ts compares without hashing.
    const id = createHash('sha256').update(bytes).digest('hex');
    writeFileSync(file, `${bytes.toString('latin1')}\n${BUILD_ID_PREFIX}${id}\n`, 'latin1');
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bundle: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
