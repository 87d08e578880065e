import { sleep } from './abort.js';
import {
  DEFAULT_RETRY_ATTEMPTS,
  DEFAULT_RETRY_BASE_DELAY_MS,
  DEFAULT_RETRY_MAX_DELAY_MS,
  FINAL_STATUSES,
  HEADER_RETRY_AFTER,
  MAX_SMALL_BODY_BYTES,
} from './constants.js';
import { RegistryError, responseError } from './errors.js';
import type { HttpResponse } from './http-response.js';

/** How often and how patiently a request is retried. */
export interface RetryPolicy {
  /** Attempts in all, the first included; 1 disables retries. */
  readonly attempts: number;
  /** Attempt n waits a random time in [0, baseDelayMs × 2^(n-1)). */
  readonly baseDelayMs: number;
  /** Cap on every wait, Retry-After included. */
  readonly maxDelayMs: number;
}

/** 4 attempts, 0.5 s backoff base, 10 s cap. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  attempts: DEFAULT_RETRY_ATTEMPTS,
  baseDelayMs: DEFAULT_RETRY_BASE_DELAY_MS,
  maxDelayMs: DEFAULT_RETRY_MAX_DELAY_MS,
};

/** Fills in defaults and rejects nonsense (TypeError), so a typo fails when the client is built. */
export function retryPolicy(options: Partial<RetryPolicy> = {}): RetryPolicy {
  const policy = { ...DEFAULT_RETRY_POLICY, ...definedOnly(options) };
  if (!Number.isInteger(policy.attempts) || policy.attempts < 1) {
    throw new TypeError(`invalid retry.attempts ${policy.attempts}: expected a whole number of at least 1`);
  }
  for (const name of ['baseDelayMs', 'maxDelayMs'] as const) {
    if (!Number.isFinite(policy[name]) || policy[name] < 0) throw new TypeError(`invalid retry.${name} ${policy[name]}: expected 0 or more`);
  }
  return policy;
}

function definedOnly(options: Partial<RetryPolicy>): Partial<RetryPolicy> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
}

/**
 * Milliseconds to wait after failed attempt `attempt` (1-based). A server's Retry-After wins, capped;
 * otherwise exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And
 * Jitter"), so clients that failed together do not come back together.
 */
export function retryDelay(policy: RetryPolicy, attempt: number, retryAfterMs?: number, random: () => number = Math.random): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, policy.maxDelayMs);
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(random() * ceiling);
}

/** Parses Retry-After (RFC 9110 §10.2.3): delay-seconds or an HTTP-date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // HTTP-date is IMF-fixdate (or an obsolete form); a bare number or junk must not parse as a date.
  if (!/[a-z]/i.test(text)) return undefined;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Where a retried request goes, for the log line. */
export interface RetryContext {
  readonly method: string;
  readonly url: URL;
  readonly signal: AbortSignal | undefined;
  readonly log: (message: string) => void;
}

/**
 * Runs `attempt` until it yields a response that is not worth retrying, or the attempts run out.
 * Worth retrying: a temporary RegistryError (reset, refusal, timeout) or a response whose error is
 * temporary (the same predicate, RegistryError.temporary). The last response is returned as is (its
 * body replayable) for the caller to report; the last error is thrown. Waits end when `signal` aborts.
 */
export async function withRetries(policy: RetryPolicy, context: RetryContext, attempt: () => Promise<HttpResponse>): Promise<HttpResponse> {
  for (let n = 1; ; n++) {
    let reason: RegistryError;
    let retryAfterMs: number | undefined;
    try {
      const response = await attempt();
      const failure = await temporaryFailure(response);
      if (failure === undefined || n >= policy.attempts) return response;
      await response.discard();
      reason = failure;
      retryAfterMs = parseRetryAfter(response.header(HEADER_RETRY_AFTER));
    } catch (error) {
      if (!(error instanceof RegistryError) || !error.temporary || n >= policy.attempts) throw error;
      reason = error;
    }
    const wait = retryDelay(policy, n, retryAfterMs);
    const { method, url } = context;
    context.log(`${method} ${url.origin}${url.pathname}: ${reason.message}; retrying in ${wait} ms (attempt ${n + 1} of ${policy.attempts})`);
    await sleep(wait, context.signal);
  }
}

/** The temporary error a response stands for, if any. HEAD has no body, so only its status counts. */
async function temporaryFailure(response: HttpResponse): Promise<RegistryError | undefined> {
  if (response.status < 400 || FINAL_STATUSES.includes(response.status)) return undefined;
  const { method, status, host } = response;
  const body = method === 'HEAD' ? undefined : (await response.buffer(MAX_SMALL_BODY_BYTES)).data;
  const error = responseError({ method, status, host, body });
  return error.temporary ? error : undefined;
}
