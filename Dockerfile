# Alpha Panda. Node 22 LTS runs the TypeScript directly (type stripping): no build step.
# Build args label the image: VERSION (package.json's), REVISION (the commit) and SOURCE (the repository),
#   docker build --build-arg REVISION=$(git rev-parse HEAD) -t alpha-panda .
FROM node:22-bookworm-slim

ARG VERSION=0.1.0
ARG REVISION=unknown
ARG SOURCE=unknown
LABEL org.opencontainers.image.title="alpha-panda" \
      org.opencontainers.image.description="Actor-model stream-processing trading system for Indian markets: every strategy paper-traded, the trusted ones live." \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE}"

ENV NODE_ENV=production
WORKDIR /app
# The code and its dependencies belong to root and are read-only for the app's user; the app writes only
# to /app/var (its data folder), which belongs to that user.
COPY package.json package-lock.json ./
# The `node` devDependency only pins Node for npm scripts on hosts; the image already has Node 22.
# Then what the runtime never reads goes, in the same layer: type declarations, source maps, docs (licences
# stay), and PGlite's optional Postgres extensions (none is loaded). About 31 MB of 70.
RUN npm ci --omit=dev --no-fund --no-audit && npm cache clean --force \
    && find node_modules -type f \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.map' \
         -o \( -iname '*.md' ! -iname 'licen[cs]e*' \) \) -delete \
    && rm -f node_modules/@electric-sql/pglite/dist/*.tar.gz \
    && mkdir -p /app/var && chown node:node /app/var
COPY src ./src
COPY actors ./actors
COPY supervisors ./supervisors
COPY config ./config
COPY data ./data
COPY tsconfig.json ./

# The official image's unprivileged user (uid 1000).
USER node
# Healthy while the broker answers and the database opens with its migrations applied (the reason is in
# the health log: docker inspect / podman healthcheck run). Needs the docker image format under podman
# (BUILDAH_FORMAT=docker); OCI images carry no healthcheck.
HEALTHCHECK --interval=30s --timeout=20s --start-period=60s --retries=3 CMD ["node", "src/cli/main.ts", "health"]
# Exec form: node is PID 1 and gets SIGTERM itself (it drains, commits and exits).
ENTRYPOINT ["node", "src/cli/main.ts"]
CMD ["run", "--bus", "kafka", "--no-status"]
