# Arbiter's production image: one image for both processes.
#   gateway (default): node dist/apps/gateway/src/main.js
#   worker:            node dist/apps/worker/src/main.js
# docker-compose.yml runs both against KurrentDB (events) and PostgreSQL (read models).

# The product targets Node.js 24 LTS, pinned to the release CI tests on (tools/node24/package.json;
# `npm run compose:check` fails when the two differ, so they are bumped together). bookworm-slim:
# Debian (glibc) without curl or compilers; the KurrentDB client's native bridge arrives prebuilt
# (@kurrent/bridge-linux-{x64,arm64}-gnu), so no build tools are needed.
ARG NODE_IMAGE=node:24.22.3-bookworm-slim

# ---- build: all dependencies (TypeScript, tsc-alias are devDependencies), then `npm run build`.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# Manifests first, so the dependency layer is reused while only sources change.
COPY package.json package-lock.json ./
# NODE_ENV is deliberately unset here: with NODE_ENV=production npm would skip devDependencies.
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY apps ./apps
COPY libs ./libs
# Compiles apps/ and libs/ to dist/, rewrites the @arbiter/* path aliases, and copies
# libs/read-models/migrations to dist/libs/read-models/migrations (applied at start-up).
RUN npm run build

# ---- prod-deps: production dependencies only, from the same lockfile.
# Never --omit=optional: @kurrent/kurrentdb-client loads its native bridge from optional,
# per-platform packages (@kurrent/bridge-linux-x64-gnu, ...); without them the client cannot load.
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# ---- runtime
FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
# Production mode: no schema file written, no GraphiQL/introspection, and config.ts then requires
# JWT_SECRET (>= 32 characters) or JWT_JWKS_URL, ANALYTICS_PSEUDONYM_KEY (>= 32 characters),
# EVIDENCE_URL_SECRET and AUDIT_SIGNING_KEY: the container refuses to start without them.
# EVIDENCE_DIR and PGLITE_DATA_DIR point into /app/data, the one folder the app user may write
# (mount a volume there; PGlite is only used when no DATABASE_URL is given).
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    EVIDENCE_DIR=/app/data/evidence \
    PGLITE_DATA_DIR=/app/data/pglite
# Code and dependencies stay root-owned (read-only for the app); only /app/data belongs to `node`,
# so a named volume mounted there starts out writable by it.
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY tools/docker/healthcheck.mjs ./tools/docker/healthcheck.mjs
RUN mkdir -p /app/data/evidence /app/data/pglite && chown -R node:node /app/data
# The official image's unprivileged user (uid 1000).
USER node
EXPOSE 3000
# GET /health/live on $PORT (the worker serves it too): liveness only, the process serves. What
# orchestrators restart a container on must not follow a database outage or a missing worker;
# route traffic on /health/ready (database, projections owned and within lag). Slim images have
# no curl, so node makes the request.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["node", "tools/docker/healthcheck.mjs", "/health/live"]
# Exec form: node is PID 1 and receives SIGTERM directly, so it drains on `docker stop` (within
# SHUTDOWN_TIMEOUT_MS, 25 s: give `docker stop --time 30`, Docker's default being 10 s).
CMD ["node", "dist/apps/gateway/src/main.js"]
