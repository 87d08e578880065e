import type { ExecFileException } from 'node:child_process';
import * as z from 'zod/mini';
import './schema.js';
import { childProcess } from './builtins.js';
import { CREDENTIAL_HELPER_GET, MAX_SMALL_BODY_BYTES } from './constants.js';
import type { Credentials } from './docker-config.js';
import { formatSeconds, RegistryError } from './errors.js';

/** Output of `docker-credential-<name> get` (docker-credential-helpers `credentials.Credentials`). */
export const HelperOutput = z.object({
  ServerURL: z.optional(z.string()),
  Username: z.optional(z.string()),
  Secret: z.optional(z.string()),
});
/** Parsed helper output. */
export type HelperOutput = z.infer<typeof HelperOutput>;

/** Environment and deadline for running a helper; PATH comes from `env`, so tests can put a fake helper first. */
export interface HelperOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly timeoutMs: number;
}

// docker-credential-helpers marks an identity token by this username (credentials/credentials.go).
const IDENTITY_TOKEN_USERNAME = '<token>';
// The message helpers print, with a non-zero exit, when they hold nothing for the server (credentials/error.go).
const NOT_FOUND = /credentials not found/i;
// The name becomes part of a program name looked up on PATH, so it must not carry a path.
const HELPER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * Asks `docker-credential-<helper> get` for the credentials of serverUrl.
 * The helper runs without a shell (argument array, server URL on stdin) so neither the name nor the
 * URL is ever interpreted. "credentials not found" means anonymous (undefined). Error messages name
 * the helper and never repeat the helper's stdout on success, which holds the secret.
 */
export async function getHelperCredentials(helper: string, serverUrl: string, options: HelperOptions): Promise<Credentials | undefined> {
  const program = `docker-credential-${helper}`;
  if (!HELPER_NAME.test(helper)) {
    throw new RegistryError('ERR_REGISTRY_AUTH', `invalid credential helper name "${helper}": expected letters, digits, ".", "_" or "-"`);
  }
  const { error, stdout, stderr } = await run(program, serverUrl, options);
  if (error !== null) {
    const output = (stdout.trim() || stderr.trim()).split('\n')[0] ?? '';
    if (NOT_FOUND.test(output)) return undefined;
    throw new RegistryError('ERR_REGISTRY_AUTH', `credential helper ${program} ${describeFailure(error, output, options.timeoutMs)}`, {
      cause: error,
    });
  }
  const parsed = parseOutput(stdout);
  if (parsed === undefined) {
    const expected = '{"ServerURL","Username","Secret"} json';
    throw new RegistryError('ERR_REGISTRY_AUTH', `credential helper ${program} returned output that is not ${expected}`);
  }
  const username = parsed.Username ?? '';
  const secret = parsed.Secret ?? '';
  if (secret === '') return undefined;
  if (username === IDENTITY_TOKEN_USERNAME) return { kind: 'identity-token', token: secret };
  return { kind: 'basic', username, password: secret };
}

interface RunResult {
  readonly error: ExecFileException | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(program: string, serverUrl: string, options: HelperOptions): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = childProcess().execFile(
      program,
      [CREDENTIAL_HELPER_GET],
      { env: options.env, timeout: options.timeoutMs, maxBuffer: MAX_SMALL_BODY_BYTES, encoding: 'utf8', windowsHide: true },
      (error, stdout, stderr) => resolve({ error, stdout, stderr }),
    );
    // A helper may exit without reading stdin; the resulting EPIPE is not the interesting error.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(serverUrl);
  });
}

function describeFailure(error: ExecFileException, output: string, timeoutMs: number): string {
  if (error.code === 'ENOENT') return 'not found on PATH';
  if (error.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') return `wrote more than ${MAX_SMALL_BODY_BYTES} bytes`;
  if (error.killed === true) return `timed out after ${formatSeconds(timeoutMs)}`;
  const status = typeof error.code === 'number' ? `exit ${error.code}` : error.signal != null ? `signal ${error.signal}` : 'failed to run';
  // On failure a helper prints its error message (not a secret) on stdout or stderr.
  const detail = output.length > 200 ? `${output.slice(0, 200)}…` : output;
  return detail === '' ? `failed (${status})` : `failed (${status}): ${detail}`;
}

function parseOutput(stdout: string): HelperOutput | undefined {
  try {
    const result = HelperOutput.safeParse(JSON.parse(stdout));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}
