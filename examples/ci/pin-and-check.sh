#!/usr/bin/env bash
# Pins every container image in a repository's plain Kubernetes YAML to a digest,
# then proves nothing is left unpinned.
#
#   examples/ci/pin-and-check.sh [PATH...]        (default: the current directory)
#
# Environment:
#   DIGESTER         the digester command (default: digester, looked up on PATH)
#   DIGESTER_CONFIG  a Digester config file (skipPrefixes, registries), passed as --config
#
# Exit status is digester's: 0 all pinned; 1 an image could not be resolved (the
# others are pinned anyway; the lines above say which file:line); 2 a bad path or
# config; 3 an internal error.
set -euo pipefail

digester=${DIGESTER:-digester}
paths=("$@")
if [ ${#paths[@]} -eq 0 ]; then paths=(.); fi
config=()
if [ -n "${DIGESTER_CONFIG:-}" ]; then config=(--config "$DIGESTER_CONFIG"); fi

# Pin in place: only image lines change, files without images are not rewritten.
"$digester" resolve ${config[@]+"${config[@]}"} "${paths[@]}"

# The same check a pull request runs: no network, exit 1 on any unpinned image.
"$digester" check --quiet ${config[@]+"${config[@]}"} "${paths[@]}"
