# syntax=docker/dockerfile:1
# reaper's image: node and reaper bundled with its dependencies (scripts/bundle.ts), on an empty base, run
# as a non-root user (the chart runs the agent as uid 0 only because node-side Docker sockets and
# CNI lease stores are usually root-owned; see charts/reaper/values.yaml).
#
#   docker build -t reaper:0.1.0 .
#
# The build stage runs scripts/build-image rootfs, the same assembly scripts/build-image imports
# with `docker import` on machines that cannot pull a base image.
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
# strip, to drop the node binary's debug symbols (about 13 MB), unless the base image has it.
RUN command -v strip >/dev/null || { apt-get update \
  && apt-get install -y --no-install-recommends binutils \
  && rm -rf /var/lib/apt/lists/*; }
WORKDIR /src
COPY package.json package-lock.json ./
# Every dependency, for the bundler; the image gets the bundle and the bundled packages' licenses only.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY controllers ./controllers
COPY scripts/build-image scripts/bundle.ts ./scripts/
# The base image's own node: scripts/build-image would otherwise fetch one.
RUN NODE_BINARY="$(command -v node)" scripts/build-image rootfs /rootfs

FROM scratch
COPY --from=build /rootfs /
USER 65532:65532
WORKDIR /app
ENV NODE_ENV=production PATH=/usr/local/bin:/usr/bin:/bin
# The same malloc settings as scripts/build-image sets (why: there).
ENV GLIBC_TUNABLES=glibc.malloc.arena_max=2:glibc.malloc.mmap_threshold=131072
EXPOSE 8080
LABEL org.opencontainers.image.title=reaper \
  org.opencontainers.image.description="Reaps Docker containers, networks, volumes and CNI IP leases whose Kubernetes owner is gone" \
  org.opencontainers.image.licenses=Apache-2.0
# The same entrypoint as scripts/build-image makes, V8 flags included (why: there).
ENTRYPOINT ["node", "--max-semi-space-size=1", "--optimize-for-size", "--disable-warning=DEP0169", "/app/reaper/main.js"]
CMD ["run"]
