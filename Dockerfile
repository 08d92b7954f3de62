# syntax=docker/dockerfile:1.7
# Node 22 LTS in the image (the code also runs on Node 20.19+, which CI uses).
ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY nest-cli.json tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM ${NODE_IMAGE} AS runtime
# A 16 MB semi-space whatever the container's memory limit: from a small limit (384 MiB) Node
# derives a ~1 MB one, and the constant young-generation collections cost 41-44% of the
# throughput (measured on Node 20: bench/NOTES.md, "Memory"). The Kubernetes Deployment also
# sizes the old generation; a NODE_OPTIONS of your own replaces this one, so keep the flag.
# (dist/main.js sets the V8 flags NODE_OPTIONS refuses itself: src/runtime/v8-tuning.ts.)
ENV NODE_ENV=production \
    NODE_OPTIONS=--max-semi-space-size=16 \
    PORT=3000 \
    HOST=0.0.0.0 \
    TENANTS_FILE=/etc/blooio-gateway/tenants.yaml
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
USER node
EXPOSE 3000
# Liveness only: point the orchestrator's readiness probe at /health/ready.
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/main.js"]
