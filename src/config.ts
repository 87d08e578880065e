import * as z from 'zod/mini';
import './registry/schema.js';
import { ConfigError, parseDuration, settingsFromEnv, splitList, splitPrefixes, type Settings } from './settings.js';

export { ConfigError, parseDuration, splitPrefixes, type Settings } from './settings.js';

// The function's configuration comes from three places, all validated here:
// a ConfigMap functionConfig (what `kpt fn eval … -- key=value` builds), a
// typed `Digester` functionConfig, and k8s-digester's environment variables.

/** The typed functionConfig's apiVersion. */
export const DIGESTER_API_VERSION = 'fn.digester.dev/v1alpha1';
/** The typed functionConfig's kind. */
export const DIGESTER_KIND = 'Digester';

/** One registry's routing: where requests for `host` go, and whether plain http/unverified TLS is allowed. */
export const RegistryConfig = z.strictObject({
  host: z.string().check(z.minLength(1)),
  endpoint: z.optional(z.url({ protocol: /^https?$/ })),
  /** Mirrors, tried in order; a failing one falls through to the next. */
  endpoints: z.optional(z.array(z.url({ protocol: /^https?$/ })).check(z.minLength(1))),
  insecure: z.optional(z.boolean()),
  /** PEM file of extra CAs trusted for this registry. */
  caFile: z.optional(z.string().check(z.minLength(1))),
});
export type RegistryConfig = z.infer<typeof RegistryConfig>;

const Duration = z.union([z.number().check(z.positive()), z.string().check(z.minLength(1))]);
const Metadata = z.optional(z.looseObject({}));

/** The typed functionConfig, `apiVersion: fn.digester.dev/v1alpha1`, `kind: Digester`. */
export const DigesterConfig = z.strictObject({
  apiVersion: z.literal(DIGESTER_API_VERSION),
  kind: z.literal(DIGESTER_KIND),
  metadata: Metadata,
  skipPrefixes: z.optional(z.array(z.string().check(z.minLength(1)))),
  registries: z.optional(z.array(RegistryConfig)),
  concurrency: z.optional(z.int().check(z.minimum(1), z.maximum(256))),
  timeout: z.optional(Duration),
  deadline: z.optional(Duration),
  mode: z.optional(z.enum(['resolve', 'check'])),
});
export type DigesterConfig = z.infer<typeof DigesterConfig>;

/** The ConfigMap functionConfig; `data` keys are kebab-case strings. */
export const ConfigMapConfig = z.strictObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('ConfigMap'),
  metadata: Metadata,
  data: z.optional(
    z.strictObject({
      'skip-prefixes': z.optional(z.string()),
      concurrency: z.optional(z.string().check(z.regex(/^\d+$/, 'expected a whole number'))),
      timeout: z.optional(z.string()),
      deadline: z.optional(z.string()),
      mode: z.optional(z.enum(['resolve', 'check'])),
      'insecure-registries': z.optional(z.string()),
    }),
  ),
});
export type ConfigMapConfig = z.infer<typeof ConfigMapConfig>;

/** Validates a functionConfig (already converted to plain data) and merges it with the environment's settings. */
export function loadSettings(functionConfig: unknown, env: NodeJS.ProcessEnv): Settings {
  const base = settingsFromEnv(env);
  const fromEnv = base.skipPrefixes;
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
      mode: data.mode ?? base.mode,
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
      mode: config.mode ?? base.mode,
    };
  }
  throw new ConfigError(
    `functionConfig: unsupported kind ${JSON.stringify(kind ?? null)}: use a ConfigMap or ${DIGESTER_API_VERSION} ${DIGESTER_KIND}`,
  );
}



function checkConcurrency(value: number): number {
  if (value < 1 || value > 256) throw new ConfigError('functionConfig.data.concurrency: must be between 1 and 256');
  return value;
}



function parseWith<T>(schema: z.ZodMiniType<T>, value: unknown, kind: string): T {
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
