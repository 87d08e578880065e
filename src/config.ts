import { z } from 'zod';

// The function's configuration comes from three places, all validated here:
// a ConfigMap functionConfig (what `kpt fn eval … -- key=value` builds), a
// typed `Digester` functionConfig, and k8s-digester's environment variables.

/** The typed functionConfig's apiVersion. */
export const DIGESTER_API_VERSION = 'fn.digester.dev/v1alpha1';
/** The typed functionConfig's kind. */
export const DIGESTER_KIND = 'Digester';

const DEFAULT_CONCURRENCY = 16;
const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_DEADLINE_MS = 300_000;

/** One registry's routing: where requests for `host` go, and whether plain http/unverified TLS is allowed. */
export const RegistryConfig = z.strictObject({
  host: z.string().min(1),
  endpoint: z.url({ protocol: /^https?$/ }).optional(),
  /** Mirrors, tried in order; a failing one falls through to the next. */
  endpoints: z.array(z.url({ protocol: /^https?$/ })).min(1).optional(),
  insecure: z.boolean().optional(),
  /** PEM file of extra CAs trusted for this registry. */
  caFile: z.string().min(1).optional(),
});
export type RegistryConfig = z.infer<typeof RegistryConfig>;

const Duration = z.union([z.number().positive(), z.string().min(1)]);
const Metadata = z.looseObject({}).optional();

/** The typed functionConfig, `apiVersion: fn.digester.dev/v1alpha1`, `kind: Digester`. */
export const DigesterConfig = z.strictObject({
  apiVersion: z.literal(DIGESTER_API_VERSION),
  kind: z.literal(DIGESTER_KIND),
  metadata: Metadata,
  skipPrefixes: z.array(z.string().min(1)).optional(),
  registries: z.array(RegistryConfig).optional(),
  concurrency: z.number().int().min(1).max(256).optional(),
  timeout: Duration.optional(),
  deadline: Duration.optional(),
});
export type DigesterConfig = z.infer<typeof DigesterConfig>;

/** The ConfigMap functionConfig; `data` keys are kebab-case strings. */
export const ConfigMapConfig = z.strictObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('ConfigMap'),
  metadata: Metadata,
  data: z
    .strictObject({
      'skip-prefixes': z.string().optional(),
      concurrency: z.string().regex(/^\d+$/, 'expected a whole number').optional(),
      timeout: z.string().optional(),
      deadline: z.string().optional(),
      'insecure-registries': z.string().optional(),
    })
    .optional(),
});
export type ConfigMapConfig = z.infer<typeof ConfigMapConfig>;

/** The settings the function runs with, after merging every source. */
export interface Settings {
  readonly skipPrefixes: readonly string[];
  readonly registries: readonly RegistryConfig[];
  readonly concurrency: number;
  /** Per-request timeout. */
  readonly timeoutMs: number;
  /** The whole run's deadline. */
  readonly deadlineMs: number;
  readonly debug: boolean;
}

/** A configuration problem, reported as an error result naming the field. */
export class ConfigError extends Error {
  readonly code = 'ERR_CONFIG';
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Validates a functionConfig (already converted to plain data) and merges it with the environment. */
export function loadSettings(functionConfig: unknown, env: NodeJS.ProcessEnv): Settings {
  const fromEnv = splitPrefixes(env['SKIP_PREFIXES'] ?? '');
  const base: Settings = {
    skipPrefixes: fromEnv,
    registries: [],
    concurrency: DEFAULT_CONCURRENCY,
    timeoutMs: DEFAULT_TIMEOUT_MS,
    deadlineMs: DEFAULT_DEADLINE_MS,
    debug: isTruthy(env['DEBUG']),
  };
  if (functionConfig === undefined || functionConfig === null) return base;
  const kind = typeof functionConfig === 'object' ? (functionConfig as { kind?: unknown }).kind : undefined;

  if (kind === 'ConfigMap') {
    const data = parseWith(ConfigMapConfig, functionConfig, 'ConfigMap').data ?? {};
    const insecure = splitList(data['insecure-registries'] ?? '', /,/);
    return {
      ...base,
      skipPrefixes: [...fromEnv, ...splitPrefixes(data['skip-prefixes'] ?? '')],
      registries: insecure.map((host) => ({ host, insecure: true })),
      concurrency: data.concurrency === undefined ? base.concurrency : checkConcurrency(Number(data.concurrency)),
      timeoutMs: data.timeout === undefined ? base.timeoutMs : parseDuration(data.timeout, 'data.timeout'),
      deadlineMs: data.deadline === undefined ? base.deadlineMs : parseDuration(data.deadline, 'data.deadline'),
    };
  }
  if (kind === DIGESTER_KIND) {
    const config = parseWith(DigesterConfig, functionConfig, DIGESTER_KIND);
    return {
      ...base,
      skipPrefixes: [...fromEnv, ...(config.skipPrefixes ?? [])],
      registries: config.registries ?? [],
      concurrency: config.concurrency ?? base.concurrency,
      timeoutMs: config.timeout === undefined ? base.timeoutMs : parseDuration(config.timeout, 'timeout'),
      deadlineMs: config.deadline === undefined ? base.deadlineMs : parseDuration(config.deadline, 'deadline'),
    };
  }
  throw new ConfigError(
    `functionConfig: unsupported kind ${JSON.stringify(kind ?? null)}: use a ConfigMap or ${DIGESTER_API_VERSION} ${DIGESTER_KIND}`,
  );
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

function checkConcurrency(value: number): number {
  if (value < 1 || value > 256) throw new ConfigError('functionConfig.data.concurrency: must be between 1 and 256');
  return value;
}

function splitList(value: string, separator: RegExp): string[] {
  return value.split(separator).map((part) => part.trim()).filter((part) => part.length > 0);
}

function isTruthy(value: string | undefined): boolean {
  return value !== undefined && !['', '0', 'false', 'no', 'off'].includes(value.toLowerCase());
}

function parseWith<T>(schema: z.ZodType<T>, value: unknown, kind: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const messages = parsed.error.issues.map((issue) => formatIssue(issue));
  throw new ConfigError(`invalid ${kind} functionConfig: ${messages.join('; ')}`);
}

/** Turns one zod issue into `functionConfig.path: what is wrong`. */
export function formatIssue(issue: z.core.$ZodIssue, root = 'functionConfig'): string {
  const path = [root, ...issue.path.map((part) => (typeof part === 'number' ? `[${part}]` : String(part)))]
    .join('.')
    .replace(/\.\[/g, '[');
  if (issue.code === 'unrecognized_keys') {
    return `${path}: unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((key) => JSON.stringify(key)).join(', ')}`;
  }
  return `${path}: ${issue.message.charAt(0).toLowerCase()}${issue.message.slice(1)}`;
}
