# Installs exactly as CI does (npm ci with the repo's .npmrc, ignore-scripts: onnxruntime-node's
# CUDA download never runs and its CPU binary, shipped in the package, is used). Node 24 is the
# current LTS line; the environment variable says the same to onnxruntime-node itself, should an
# install ever run its script.
FROM node:24-bookworm-slim AS build
ENV ONNXRUNTIME_NODE_INSTALL=skip
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json codegen.ts ./
COPY schema ./schema
COPY src ./src
COPY web ./web
COPY scripts ./scripts
RUN npm run build

FROM node:24-bookworm-slim
ENV ONNXRUNTIME_NODE_INSTALL=skip
WORKDIR /app
# Production requires PUBLIC_BASE_URL (mask URLs are built on it): set it to the address clients
# use; the default lets the image start as shipped for a local try.
ENV NODE_ENV=production PORT=4000 DATA_DIR=/data PUBLIC_BASE_URL=http://localhost:4000
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY schema ./schema
COPY migrations ./migrations
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||4000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/main.js"]
