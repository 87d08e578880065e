// The process adapter: argv, stdin/stdout, exit code. Everything else lives in src/.
// esbuild bundles this file, and all it imports, into dist/fn/digester.cjs; main.ts runs it.
import { processResourceList, UnusableInputError } from '../src/krm/index.js';
import { debugLog, describeResult, EXIT, packageVersion, registrySource } from './process-io.js';
import { readStdin } from './stdin.js';
import { writeStdout } from './stdout.js';

const HELP = `Usage: digester < resource-list.yaml > resource-list.yaml
       digester resolve [flags] PATH...      pin images in plain YAML files in place (- for stdin)
       digester check [flags] PATH...        list images that are not pinned; no network
       digester install-kustomize-plugin     install the kubectl kustomize legacy exec plugin
       digester kustomize-plugin CONFIG      run as that plugin (kustomize calls this)

A KRM function that pins container images to digests: every image in the
ResourceList's workloads (containers, initContainers, ephemeralContainers and
image volumes) is resolved over the OCI distribution API and written back as
image@sha256:... in the user's own spelling. Everything else is left byte for byte.

Run it with kpt (kpt fn eval DIR --exec digester), in a Kptfile pipeline, or as a
kustomize exec transformer. Configure it with a ConfigMap functionConfig
(skip-prefixes, concurrency, timeout, deadline, insecure-registries) or a
fn.digester.dev/v1alpha1 Digester (skipPrefixes, registries, concurrency,
timeout, deadline).

Environment: SKIP_PREFIXES, DEBUG, DOCKER_CONFIG, REGISTRY_AUTH_FILE, SSL_CERT_FILE,
SSL_CERT_DIR, NODE_EXTRA_CA_CERTS, HTTPS_PROXY, HTTP_PROXY, NO_PROXY.

Exit codes: 0 all images pinned or skipped; 1 error results (output still written);
2 input is not a usable ResourceList (nothing written); 3 internal error.

Options:
  -h, --help     show this help (each subcommand has its own --help)
  -v, --version  print the version
`;

/** Runs digester with the arguments after `node main.js`; resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [first] = argv;
  if (first === '-h' || first === '--help') {
    process.stdout.write(HELP);
    return EXIT.ok;
  }
  if (first === '-v' || first === '--version') {
    process.stdout.write(`digester ${packageVersion()}\n`);
    return EXIT.ok;
  }
  if (first === 'resolve' || first === 'check') return (await import('./cli.js')).runCli(first, argv.slice(1));
  if (first === 'kustomize-plugin') return (await import('./kustomize-plugin.js')).runKustomizePlugin(argv.slice(1));
  if (first === 'install-kustomize-plugin') return (await import('./kustomize-plugin.js')).installKustomizePlugin(argv.slice(1));
  if (first !== undefined) {
    process.stderr.write(`digester: unknown argument ${JSON.stringify(first)}; see digester --help\n`);
    return EXIT.unusableInput;
  }
  const log = debugLog(process.env);
  try {
    const input = await readStdin();
    const outcome = await processResourceList(input, {
      env: process.env,
      createSource: (settings, credentials) => registrySource(settings, credentials.pullSecrets, log),
      // main.ts exits once this returns: the exit closes the connections.
      keepSourceOpen: true,
      ...(log !== undefined && { log }),
    });
    await writeStdout(outcome.output);
    for (const result of outcome.results) {
      if (result.severity === 'error') process.stderr.write(`digester: ${describeResult(result)}\n`);
    }
    return outcome.exitCode;
  } catch (error) {
    if (error instanceof UnusableInputError) {
      process.stderr.write(`digester: ${error.message}\n`);
      return EXIT.unusableInput;
    }
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`digester: internal error: ${message}\n`);
    if (log !== undefined && error instanceof Error && error.stack !== undefined) process.stderr.write(`${error.stack}\n`);
    return EXIT.internal;
  }
}
