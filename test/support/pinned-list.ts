// A large ResourceList whose images are all pinned already, for tests of how the function reads
// and writes it (fn/stdin.ts, fn/stdout.ts): it needs no registry, and every byte must come back.

const pod = (index: number): string => `- apiVersion: v1
  kind: Pod
  metadata:
    name: pod-${index} # café ☕, a multi-byte comment
  spec:
    containers:
    - name: app
      image: registry.example/app-${index % 7}@sha256:${String(index % 10).repeat(64)}
`;

/** `pods` Pods with pinned images, and the summary result the function appends to them. */
export function pinnedList(pods: number): { readonly list: string; readonly summary: string } {
  return {
    list: `apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n${Array.from({ length: pods }, (_, i) => pod(i)).join('')}`,
    summary: `results:\n- message: resolved 0 image(s) (0 unique), skipped ${pods} (${pods} already pinned), failed 0\n  severity: info\n`,
  };
}

/** perl arguments (perl-base, on every Debian) that set O_NONBLOCK on a descriptor, then exec the rest. */
export function nonBlocking(handle: 'STDIN' | 'STDOUT'): string[] {
  return ['-MFcntl', '-e', `fcntl(${handle}, F_SETFL, fcntl(${handle}, F_GETFL, 0) | O_NONBLOCK) or die "fcntl: $!"; exec @ARGV or die "exec: $!"`];
}
