#!/usr/bin/env node
// The executable. It runs the bundles esbuild made (fn/bundle.ts) with the V8 code caches the build
// wrote for them (fn/code-cache-warmup.ts): digester.cjs at once, registry.cjs when there is an image
// to resolve. With its cache a bundle's functions are deserialized rather than parsed and compiled,
// which was most of digester's start-up (README, "Benchmark"). Node 20 has no compile cache of its
// own (module.enableCompileCache is Node 22+), and V8 caches scripts, not ES modules: hence
// CommonJS bundles run through node:vm.
//
// A cache is used only with the build it was made from: both end with the same build id (V8 itself
// compares only the source's length), and V8 rejects a cache made by another version or with other
// flags. Without a usable cache a bundle is compiled as usual, only slower; DEBUG=1 says why.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { Script } from 'node:vm';

/** What digester.cjs exports (fn/digester.ts). */
interface Digester {
  main(argv: readonly string[]): Promise<number>;
}

/** The build (fn/code-cache-warmup.ts) sets it to write each bundle's cache when the run exits. */
const WRITE_CACHE_ENV = 'DIGESTER_CODE_CACHE_WRITE';
/** Each bundle's last line (fn/bundle.ts); a cache starts with the same line. */
const BUILD_ID_PREFIX = '//# digester-build ';
const BUILD_ID_LENGTH = BUILD_ID_PREFIX.length + 64;

const debugValue = process.env['DEBUG']?.toLowerCase();
// DEBUG as the function reads it (src/settings.ts isTruthy), without loading that module first.
const debugOn = debugValue !== undefined && !['', '0', 'false', 'no', 'off'].includes(debugValue);
const writeCaches = process.env[WRITE_CACHE_ENV] === '1';
const loaded = new Map<string, unknown>();

/** Runs `<name>.cjs` from this directory once and returns its exports; the bundles call it for each other. */
function load(name: string): unknown {
  if (loaded.has(name)) return loaded.get(name);
  const url = new URL(`./${name}.cjs`, import.meta.url);
  const file = fileURLToPath(url);
  // The bundles are pure ASCII (fn/bundle.ts checks), so latin1 reads them without UTF-8 decoding.
  const source = readFileSync(file, 'latin1');
  const buildId = source.slice(source.lastIndexOf(BUILD_ID_PREFIX)).trimEnd();
  const cachedData = readCache(`${file}.cache`, buildId);
  // Node's CommonJS wrapper, plus what esbuild's import.meta.url became and the loader itself.
  const wrapped = `(function (exports, require, module, __filename, __dirname, __digesterModuleUrl, __digesterLoad) {${source}\n})`;
  const script = new Script(wrapped, { filename: file, ...(cachedData !== undefined && { cachedData }) });
  if (script.cachedDataRejected === true) debug(`${name}.cjs.cache rejected by V8: made by another node or with other flags`);
  const module = { exports: {} };
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  run(module.exports, createRequire(file), module, file, dirname(file), url.href, load);
  loaded.set(name, module.exports);
  if (name === 'registry') keepWebAssemblyOnLiftoff();
  // At exit, so the cache holds every function the run compiled, not only the top level.
  if (writeCaches) process.once('exit', () => writeFileSync(`${file}.cache`, Buffer.concat([Buffer.from(`${buildId}\n`, 'latin1'), script.createCachedData()])));
  return module.exports;
}

/**
 * undici parses HTTP with llhttp, which is WebAssembly. V8 compiles it with Liftoff at once and then,
 * once it is hot, again with TurboFan on a background thread: about 80 ms of CPU in a run that parses
 * a few hundred small responses at most, taken from everything else on a small CI machine (README,
 * "Benchmark": about 20 ms of wall time on 2 cores). Set once registry.cjs is loaded, because V8
 * rejects code caches made under other flags, node's own for built-ins loaded later included; and
 * never while writing caches, which must be made under the flags they are read with.
 */
function keepWebAssemblyOnLiftoff(): void {
  if (writeCaches) return;
  try {
    setFlagsFromString('--liftoff-only');
    debug('WebAssembly (undici\'s llhttp) stays on Liftoff: no background tier-up');
  } catch (error) {
    debug(`--liftoff-only not set: ${(error as Error).message}`);
  }
}

function readCache(file: string, buildId: string): Buffer | undefined {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch (error) {
    debug(`no code cache: ${(error as Error).message}`);
    return undefined;
  }
  if (buildId.length !== BUILD_ID_LENGTH || data.toString('latin1', 0, BUILD_ID_LENGTH + 1) !== `${buildId}\n`) {
    debug(`code cache ${file} ignored: it was made for another build`);
    return undefined;
  }
  return data.subarray(BUILD_ID_LENGTH + 1);
}

function debug(message: string): void {
  if (debugOn) process.stderr.write(`digester: ${message}\n`);
}

let digester: Digester;
try {
  digester = load('digester') as Digester;
} catch (error) {
  process.stderr.write(`digester: internal error: cannot load digester.cjs: ${(error as Error).message} (npm run build makes it)\n`);
  process.exit(3);
}
// main() has written its output by now. Exiting at once leaves what the run built to the exit, rather
// than taking it down piece by piece: the function's pooled registry connections (closing 34 of them
// took 5-7 ms) and the heap.
process.exit(await digester.main(process.argv.slice(2)));
