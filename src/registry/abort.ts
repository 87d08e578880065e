import { setTimeout as delay } from 'node:timers/promises';
import { formatSeconds, RegistryError } from './errors.js';

export { formatSeconds } from './errors.js';

// Cancellation: the caller's AbortSignal (a resolve's deadline) ends requests and backoff waits at once.
// Work shared between resolves (pings, token fetches) is never aborted by one caller's signal: that caller
// stops waiting for it instead (raceAbort), and the shared work ends by its own timeouts or at close().

/**
 * The RegistryError a resolve ends with when its signal aborts. A timeout (`AbortSignal.timeout`, whose
 * DOMException carries no duration, or a reason with code ERR_TIMEOUT) is ERR_TIMEOUT; anything else is
 * ERR_ABORTED. A reason that has its own message keeps it; a bare TimeoutError becomes
 * `timed out after Ns`, N being the time since `startedAt`.
 */
export function abortError(signal: AbortSignal, startedAt?: number, now: number = Date.now()): RegistryError {
  const reason: unknown = signal.reason;
  if (reason instanceof RegistryError) return reason;
  const timeout = reason instanceof Error && (reason.name === 'TimeoutError' || (reason as { code?: unknown }).code === 'ERR_TIMEOUT');
  const options = { cause: reason, temporary: false };
  if (timeout) {
    // DOMException's own text ("The operation was aborted due to timeout") says less than the duration.
    const own = reason instanceof DOMException ? '' : reason.message;
    const message = own !== '' ? own : startedAt === undefined ? 'timed out' : `timed out after ${formatSeconds(now - startedAt)}`;
    return new RegistryError('ERR_TIMEOUT', message, options);
  }
  const own = reason instanceof Error && reason.name !== 'AbortError' ? reason.message.replace(/\s+/g, ' ').trim() : '';
  return new RegistryError('ERR_ABORTED', own === '' ? 'aborted' : `aborted: ${own}`, options);
}

/** Waits `ms`, or rejects with the abort error as soon as `signal` aborts. The timer keeps the process alive. */
export async function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) throw abortError(signal);
  try {
    await delay(ms, undefined, signal === undefined ? {} : { signal });
  } catch (error) {
    if (signal?.aborted) throw abortError(signal);
    throw error;
  }
}

/** Settles like `promise`, unless `signal` aborts first: then rejects with the abort error (the promise runs on). */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.reject(abortError(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
