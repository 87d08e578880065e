import { RegistryError } from './errors.js';

/** One endpoint to try: its host (for messages) and the work to do there. */
export interface EndpointAttempt<T> {
  readonly host: string;
  readonly run: () => Promise<T>;
}

/**
 * Tries each endpoint in order and returns the first success, as containerd does with the hosts of a
 * hosts.toml (docs/hosts.md: "hosts will be tried first in the order listed"; remotes/docker/resolver.go
 * moves to the next host on any request error and on any status above 399). Mirrors may be partial or
 * need other credentials, so a 404 or 401 falls through as well as network errors, timeouts, TLS
 * failures and 5xx/429 after retries.
 *
 * What does not fall through: integrity failures (a digest mismatch, a schema 1 manifest), which say
 * an endpoint serves the wrong thing and must be reported rather than papered over; the caller's
 * deadline or abort; and anything that is not a RegistryError (a bug, an invalid reference).
 *
 * With one endpoint its error is thrown as is. With several, the error names each endpoint's failure
 * and takes its code from the most telling one (containerd's priority: a response beats a 404, which
 * beats a network error).
 */
export async function tryEndpoints<T>(attempts: readonly EndpointAttempt<T>[], log: (message: string) => void): Promise<T> {
  const failures: Array<{ readonly host: string; readonly error: RegistryError }> = [];
  for (const [index, attempt] of attempts.entries()) {
    try {
      return await attempt.run();
    } catch (error) {
      if (attempts.length === 1 || !fallsThrough(error)) throw error;
      failures.push({ host: attempt.host, error });
      if (index < attempts.length - 1) log(`${attempt.host}: ${error.message}; trying the next endpoint`);
    }
  }
  const [first, ...others] = failures;
  if (first === undefined) throw new TypeError('no endpoint to try');
  const chosen = others.reduce((best, next) => (priority(next.error) > priority(best.error) ? next : best), first).error;
  const list = failures.map(({ host, error }) => `${host}: ${error.message}`).join('; ');
  throw new RegistryError(chosen.code, `all ${failures.length} endpoints failed: ${list}`, {
    status: chosen.status,
    registryCode: chosen.registryCode,
    temporary: chosen.temporary,
    cause: new AggregateError(failures.map((f) => f.error)),
  });
}

const FINAL_CODES = new Set<string>(['ERR_DIGEST_MISMATCH', 'ERR_UNSUPPORTED_MANIFEST', 'ERR_TIMEOUT', 'ERR_ABORTED']);

/** True when the next endpoint may still answer. */
export function fallsThrough(error: unknown): error is RegistryError {
  return error instanceof RegistryError && !FINAL_CODES.has(error.code);
}

function priority(error: RegistryError): number {
  if (error.status === undefined) return 1;
  if (error.code === 'ERR_MANIFEST_UNKNOWN') return 2;
  return 3;
}
