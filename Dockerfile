# Ledgix Gateway image: build the single-file bundle, then ship it with production dependencies only.
# Mirrored by test/e2e/bundle.docker-layout.test.ts (no Docker engine runs in CI): same files, same
# production-only node_modules, same entry point, command and environment, started and used.

# ---- build stage: full toolchain, dev dependencies, esbuild bundle, native addon ----
FROM node:24-slim AS build
WORKDIR /src
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

# ---- runtime stage: node:24-slim, non-root, bundle + production node_modules ----
FROM node:24-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY --from=build /src/bin ./bin
COPY --from=build /src/config/policies ./config/policies
COPY gateway.example.yaml /etc/ledgix/gateway.yaml
# gateway.example.yaml reads these: listen beyond loopback inside the container, keep data on the volume.
ENV LEDGIX_LISTEN_HOST=0.0.0.0 LEDGIX_DATA_DIR=/data
RUN ln -s /app/bin/ledgix-gateway.mjs /usr/local/bin/ledgix-gateway \
 && mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
# 8080 gateway, 8000 Vault API, 9090 admin (health, readiness, metrics)
EXPOSE 8080 8000 9090
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9090/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["ledgix-gateway"]
CMD ["serve", "-c", "/etc/ledgix/gateway.yaml"]
