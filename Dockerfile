# Corral's container image. Build and run: docs/container.md.
#
#   buildah bud --layers --format docker --target server -t corral .
#   podman run -d -p 127.0.0.1:2181:2181 corral          (one standalone member)
#   buildah bud --layers --format docker --target operator -t corral-operator .
# Written for buildah (what tests/container builds it with); Docker with BuildKit accepts the
# same syntax, but no Docker engine has built it yet.
#
# Stages: `builder` compiles the server on debian:bookworm with the -dev packages; `server` is
# debian:bookworm-slim with only the shared libraries the binaries link, the binaries and the
# entrypoint. `operator-builder` adds cpprestsdk and compiles the Kubernetes operator;
# `operator` is bookworm-slim with corral-operator alone. `--format docker` keeps the HEALTHCHECK (the OCI image format has no field for it).

# ---------------------------------------------------------------------------------------------
FROM docker.io/library/debian:bookworm AS builder

# The build's packages only (dev/lib.sh CORRAL_DEB_PACKAGES minus the test tools), in a layer of
# its own before any source is copied: a source change does not reinstall them. ccache keeps
# object files between builds in a cache mount (below), so a rebuild after a small change
# recompiles only what changed even though the build directory itself is thrown away.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build pkg-config ccache \
      libboost-dev libssl-dev libyaml-cpp-dev protobuf-compiler libprotobuf-dev \
      prometheus-cpp-dev libedit-dev libjemalloc-dev \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY CMakeLists.txt ./
COPY proto proto
COPY server server

# Parallel compile jobs; empty means one per CPU. (tests/container passes 2.)
ARG BUILD_JOBS=
# Optimized with assertions on, as ./dev/run and ./dev/test build (CMakeLists.txt), so the image
# runs the code the tests ran. Only the three binaries the image ships; CORRAL_BUILD_TESTS=OFF
# so neither GoogleTest nor the ZooKeeper C client is needed. The build directory lives and dies
# inside this RUN: the layer holds only /out. Debug sections are stripped (the symbol table
# stays, so a backtrace still names functions): corral-server goes from 60 MB to 3.3 MB.
RUN --mount=type=cache,target=/root/.cache/ccache,id=corral-ccache \
    set -eu; \
    export CCACHE_DIR=/root/.cache/ccache CCACHE_MAXSIZE=2G; \
    ccache --zero-stats >/dev/null; \
    cmake -S /src -B /tmp/build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCORRAL_BUILD_TESTS=OFF -DCORRAL_BUILD_OPERATOR=OFF \
      -DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache >/dev/null; \
    cmake --build /tmp/build -j "${BUILD_JOBS:-$(nproc)}" \
      --target corral-server corralctl corral-dump; \
    mkdir -p /out/bin; \
    for b in corral-server corralctl corral-dump; do \
      strip --strip-debug -o "/out/bin/$b" "/tmp/build/bin/$b"; \
    done; \
    ccache --show-stats | grep -Ei '^ *(hits|misses)' || true; \
    rm -rf /tmp/build

# ---------------------------------------------------------------------------------------------
# The operator's builder: the server's builder (its packages and sources) plus cpprestsdk, the
# operator's HTTP library, and the operator's sources. Its own stage, so that building the
# server image never needs cpprestsdk.
FROM builder AS operator-builder
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libcpprest-dev \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/*
COPY operator operator
RUN --mount=type=cache,target=/root/.cache/ccache,id=corral-ccache \
    set -eu; \
    export CCACHE_DIR=/root/.cache/ccache CCACHE_MAXSIZE=2G; \
    cmake -S /src -B /tmp/build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCORRAL_BUILD_TESTS=OFF -DCORRAL_BUILD_OPERATOR=ON \
      -DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache >/dev/null; \
    cmake --build /tmp/build -j "${BUILD_JOBS:-$(nproc)}" --target corral-operator; \
    strip --strip-debug -o /out/bin/corral-operator /tmp/build/bin/corral-operator; \
    rm -rf /tmp/build

# ---------------------------------------------------------------------------------------------
# The operator's image: corral-operator alone, as manifests/operator.yaml runs it (non-root,
# in-cluster config, health and metrics ports of its own). Runtime libraries found with ldd and
# dpkg -S as for the server.
FROM docker.io/library/debian:bookworm-slim AS operator
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates libstdc++6 libssl3 libcpprest2.10 libyaml-cpp0.7 libbrotli1 \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/log/apt/* /var/log/dpkg.log
COPY --from=operator-builder /out/bin/corral-operator /usr/local/bin/corral-operator
USER 65532:65532
EXPOSE 8081 9090
ENTRYPOINT ["/usr/local/bin/corral-operator"]

# ---------------------------------------------------------------------------------------------
FROM docker.io/library/debian:bookworm-slim AS server

# Runtime libraries only, one package per library the binaries link (found with ldd and
# dpkg -S on the built binaries; docs/container.md). libc6, libgcc-s1, zlib1g and libtinfo6 are
# already in the base. tests/container checks that ldd finds every library in the image.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libstdc++6 libprotobuf-lite32 libyaml-cpp0.7 libprometheus-cpp-core1.0 libedit2 \
      libjemalloc2 \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/log/apt/* /var/log/dpkg.log

# A fixed, numeric, unprivileged user: Kubernetes' runAsNonRoot can only verify a numeric USER,
# and fsGroup 1000 then gives it the volumes. /conf is for a mounted configuration (read only
# is fine); /data and /datalog belong to the user, and a new named volume copies that ownership.
RUN groupadd --gid 1000 corral \
 && useradd --uid 1000 --gid corral --home-dir /data --no-create-home \
      --shell /usr/sbin/nologin corral \
 && mkdir -p /data /datalog /conf \
 && chown corral:corral /data /datalog

COPY --from=builder /out/bin/ /usr/local/bin/
COPY docker/entrypoint.sh /usr/local/bin/corral-entrypoint
COPY docker/healthcheck.sh /usr/local/bin/corral-healthcheck

LABEL org.opencontainers.image.title="corral" \
      org.opencontainers.image.description="Corral: a coordination service speaking ZooKeeper's wire protocol" \
      org.opencontainers.image.licenses="Apache-2.0"

USER 1000:1000
WORKDIR /data
# Snapshots and myid; the transaction log, on a device of its own where latency matters.
VOLUME ["/data", "/datalog"]
# client, quorum, election, Prometheus /metrics, admin API
EXPOSE 2181 2888 3888 7000 8080
# Liveness, not readiness (corral-healthcheck says why). start-period covers recovering a large
# data directory; an election never makes it fail.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD ["/usr/local/bin/corral-healthcheck"]
ENTRYPOINT ["/usr/local/bin/corral-entrypoint"]
CMD ["corral-server"]
