# syntax=docker/dockerfile:1.7
# inferd, CPU image: TypeScript is built with dev dependencies, the runtime stage gets production
# dependencies only, runs as uid 1000 and writes nothing outside /tmp and the cache volume, so it
# runs with a read-only root filesystem.
#   docker build -t inferd:0.1.0 .
#   docker run --init --read-only --tmpfs /tmp -p 8000-8002:8000-8002 -v inferd-cache:/var/cache/inferd \
#     inferd:0.1.0 serve --model smollm2-135m-instruct
# Base images are pinned to exact versions; pin their digests as well for reproducible builds
# (docs/deploy.md, "Pinning base images").

FROM node:20.19.5-bookworm-slim AS build
WORKDIR /app
# node-llama-cpp's postinstall would look for binaries to download; the prebuilt @node-llama-cpp/* packages are enough.
ENV NODE_LLAMA_CPP_SKIP_DOWNLOAD=true
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# tsc emits only JavaScript. Data files (.proto, catalogs) are gathered under /app/assets/src, which
# becomes /opt/inferd/src (code that resolves them from the package root, like the gRPC proto loader),
# and are also placed beside the compiled modules in dist/src.
RUN npm run build \
 && find src -type f ! -name '*.ts' ! -path '*/testdata/*' -exec cp --parents {} dist/ \; \
 && mkdir -p /app/assets/src \
 && find src -type f ! -name '*.ts' ! -path '*/testdata/*' -exec cp --parents {} /app/assets/ \;

FROM node:20.19.5-bookworm-slim AS deps
WORKDIR /app
ENV NODE_LLAMA_CPP_SKIP_DOWNLOAD=true
COPY package.json package-lock.json .npmrc ./
COPY deploy/docker/prune-node-modules.sh /usr/local/bin/prune-node-modules
RUN npm ci --omit=dev --no-audit --no-fund \
 && sh /usr/local/bin/prune-node-modules node_modules cpu

FROM node:20.19.5-bookworm-slim AS runtime
LABEL org.opencontainers.image.title="inferd" \
      org.opencontainers.image.description="Triton/KServe v2 and OpenAI-compatible inference server (CPU)" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV NODE_ENV=production \
    INFERD_HOST=0.0.0.0 \
    INFERD_CACHE_DIR=/var/cache/inferd
WORKDIR /opt/inferd
# Code and dependencies stay owned by root: the server user can read but not modify them.
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/assets/src ./src
COPY package.json ./
RUN mkdir -p /var/cache/inferd /models && chown 1000:1000 /var/cache/inferd
VOLUME ["/var/cache/inferd"]
# uid 1000 is the base image's "node" user; numeric so Kubernetes can verify runAsNonRoot.
USER 1000:1000
EXPOSE 8000 8001 8002
# Slim images have no curl: probe liveness with node's fetch.
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.INFERD_HTTP_PORT || 8000) + '/v1/health/live').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "/opt/inferd/dist/src/main.js"]
CMD ["serve"]
