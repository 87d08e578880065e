// The settings the function runs with, and the parts of configuration that
// need no schema library: defaults, k8s-digester's environment variables,
// prefix lists and durations. Kept apart from config.ts so a run without a
// functionConfig never loads zod (startup is paid on every kpt render).

const DEFAULT_CONCURRENCY = 16;
const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_DEADLINE_MS = 300_000;

/** One registry's routing, as the typed functionConfig's `registries[]` gives it. */
export interface RegistrySettings {
  readonly host: string;
  readonly endpoint?: string | undefined;
  readonly endpoints?: readonly string[] | undefined;
  readonly insecure?: boolean | undefined;
  readonly caFile?: string | undefined;
}

/** The settings the function runs with, after merging every source. */
export interface Settings {
  readonly skipPrefixes: readonly string[];
  readonly registries: readonly RegistrySettings[];
  readonly concurrency: number;
  /** Per-request timeout. */
  readonly timeoutMs: number;
  /** The whole run's deadline. */
  readonly deadlineMs: number;
  readonly debug: boolean;
  /** `resolve` pins images; `check` only reports those that are not pinned, without network. */
  readonly mode: 'resolve' | 'check';
}

/** A configuration problem, reported as an error result naming the field. */
export class ConfigError extends Error {
  readonly code = 'ERR_CONFIG';
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** The settings from the environment alone: SKIP_PREFIXES and DEBUG over the defaults. */
export function settingsFromEnv(env: NodeJS.ProcessEnv): Settings {
  return {
    skipPrefixes: splitPrefixes(env['SKIP_PREFIXES'] ?? ''),
    registries: [],
    concurrency: DEFAULT_CONCURRENCY,
    timeoutMs: DEFAULT_TIMEOUT_MS,
    deadlineMs: DEFAULT_DEADLINE_MS,
    debug: isTruthy(env['DEBUG']),
    mode: 'resolve',
  };
}

/**
 * The settings for a functionConfig already converted to plain data (null when the list has none).
 * The schemas, and zod, load only when there is a functionConfig to check. Throws ConfigError.
 */
export async function settingsFor(functionConfig: unknown, env: NodeJS.ProcessEnv): Promise<Settings> {
  return functionConfig === null ? settingsFromEnv(env) : (await import('./config.js')).loadSettings(functionConfig, env);
}

/**
 * Splits a prefix list on commas, or on colons as k8s-digester's
 * SKIP_PREFIXES does. A colon before a port number (`localhost:5000/`) is
 * kept, so registry prefixes survive the colon form.
 */
export function splitPrefixes(value: string): string[] {
  if (value.includes(',')) return splitList(value, /,/);
  const parts: string[] = [];
  for (const part of value.split(':')) {
    const previous = parts[parts.length - 1];
    if (previous !== undefined && /^\d+(\/|$)/.test(part)) parts[parts.length - 1] = `${previous}:${part}`;
    else parts.push(part);
  }
  return parts.map((part) => part.trim()).filter((part) => part.length > 0);
}

/** Parses `30s`, `1m30s`, `500ms`, or a number of seconds, into milliseconds. */
export function parseDuration(value: string | number, field: string): number {
  if (typeof value === 'number') return value * 1000;
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const pattern = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  for (const match of value.matchAll(pattern)) {
    total += Number(match[1]) * (units[match[2] ?? 's'] ?? 1000);
    consumed += match[0].length;
  }
  if (consumed !== value.length || total <= 0) {
    throw new ConfigError(`functionConfig.${field}: invalid duration ${JSON.stringify(value)}: use e.g. 30s, 2m or 1m30s`);
  }
  return total;
}

export function splitList(value: string, separator: RegExp): string[] {
  return value.split(separator).map((part) => part.trim()).filter((part) => part.length > 0);
}

/** Whether an environment flag such as DEBUG is on: set, and not empty, 0, false, no or off. */
export function isTruthy(value: string | undefined): boolean {
  return value !== undefined && !['', '0', 'false', 'no', 'off'].includes(value.toLowerCase());
}
