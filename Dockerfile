# syntax=docker/dockerfile:1
# One image for both processes (docker-compose.yml runs it twice):
#   receiver: node dist/api/server.js   (default CMD, port 3000)
#   worker:   node dist/worker.js       (metrics port 9464)
# Node 20.20.2 (end of life since 2026-04-30) still ships: on the LTS, 26 (.node-version, scripts/node-lts.sh), the
# receiver's fuzz test gets connection resets for some large non-POST requests (README, "Node versions"), so the
# switch to node:26.12.1-trixie-slim waits until that is understood.
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

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
