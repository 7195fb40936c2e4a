# syntax=docker/dockerfile:1
# One image for both processes (docker-compose.yml runs it twice):
#   receiver: node dist/api/server.js   (default CMD, port 3000)
#   worker:   node dist/worker.js       (metrics port 9464)
# Node 26.12.1, the current LTS (since 2026-10-28), is what ships: the same version as .node-version, on which CI
# runs the whole suite (scripts/node-lts.sh). Node images from 26 on are built on Debian trixie.
ARG NODE_IMAGE=node:26.12.1-trixie-slim

# --- build: all dependencies, compile src/ to dist/ ------------------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts/bundle-workflows.ts ./scripts/
RUN npm run build

# --- runtime: production dependencies and dist/ only, as the unprivileged `node` user ---------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: no install script is needed at run time (the Temporal core bridge and @swc/core ship
# prebuilt linux-gnu binaries in their packages / optional dependencies). The core bridge carries binaries for
# every platform; the macOS and Windows ones (~80 MB) are dropped.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
  && npm cache clean --force \
  && rm -rf node_modules/@temporalio/core-bridge/releases/*-apple-darwin \
    node_modules/@temporalio/core-bridge/releases/*-windows-msvc
COPY --from=build /app/dist ./dist
USER node
EXPOSE 3000 9462 9464
CMD ["node", "dist/api/server.js"]
