// What the three entry points (the KRM function, the resolve/check CLI and
// the kustomize plugin) share about their process: the debug log, how a
// result becomes one stderr line, writing with back-pressure, and the
// registry source built from settings.
import { readFileSync } from 'node:fs';
import type { Result } from '../src/krm/index.js';
import { createRegistrySource, type DigestSource } from '../src/resolve/index.js';
import { isTruthy, type Settings } from '../src/settings.js';

/** Exit codes, documented in the README. */
export const EXIT = { ok: 0, errorResults: 1, unusableInput: 2, internal: 3 } as const;

/** The DEBUG log to stderr, or undefined when DEBUG is off. */
export function debugLog(env: NodeJS.ProcessEnv): ((message: string) => void) | undefined {
  return isTruthy(env['DEBUG']) ? (message: string) => void process.stderr.write(`digester: ${message}\n`) : undefined;
}

/** One result as one line: `Kind/name field.path: message`. kustomize and kpt print stderr as is. */
export function describeResult(result: Result): string {
  const where = result.resourceRef === undefined ? '' : `${result.resourceRef.kind}/${result.resourceRef.name}`;
  const field = result.field === undefined ? '' : ` ${result.field.path}`;
  const message = oneLine(result.message);
  return where === '' ? message : `${where}${field}: ${message}`;
}

/** Folds line breaks so a message stays on one line. */
export function oneLine(message: string): string {
  return message.replace(/\s*\r?\n\s*/g, ' ');
}

/** Writes and waits until the stream took it, so the exit code is set after the output. */
export function writeTo(stream: NodeJS.WritableStream, text: string | Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(text, (error) => (error ? reject(error) : resolve()));
  });
}

/** package.json's version; this module is compiled (and bundled) into dist/fn/, two levels below it. */
export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * The registry-backed digest source for these settings; throws for a registry mapping the client refuses.
 * Each registry gets at most `settings.concurrency` connections: every caller (the function, the
 * plugin, the CLI across its files) runs at most that many resolves at once, so none waits for one.
 */
export function registrySource(
  settings: Settings,
  pullSecrets: readonly string[],
  log: ((message: string) => void) | undefined,
): Promise<DigestSource> {
  return createRegistrySource({
    registries: settings.registries,
    pullSecrets,
    timeoutMs: settings.timeoutMs,
    maxConnectionsPerOrigin: settings.concurrency,
    env: process.env,
    userAgent: `digester/${packageVersion()}`,
    ...(log !== undefined && { log }),
  });
}
