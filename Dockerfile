# Multi-stage build of all Switchboard executables, for linux/amd64 and linux/arm64:
#   docker buildx build --platform linux/amd64,linux/arm64 -t switchboard .
# The build stage's Swift must be at least the highest swift-tools-version in the resolved dependency graph
# (6.2 today: Hummingbird, jwt-kit, swift-prometheus, …); `make check-dockerfile` (part of `make test`) compares them.
FROM swift:6.3-bookworm AS build
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        libzmq3-dev libhiredis-dev libssl-dev zlib1g-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Shared Shared
COPY Services Services
COPY Tools Tools
COPY Tests Tests
COPY Benchmarks Benchmarks
# Every executable compose runs (answer-worker and signer-sim included), plus any SwiftPM resource bundle beside them.
RUN swift build -c release --static-swift-stdlib \
    && bin="$(swift build -c release --show-bin-path)" \
    && mkdir /out \
    && for exe in ws-edge auth scheduler signer menu answer-worker signer-sim switchboard; do cp "$bin/$exe" /out/; done \
    && strip /out/* \
    && for bundle in "$bin"/*.resources; do [ -d "$bundle" ] && cp -R "$bundle" /out/ || true; done

FROM debian:bookworm-slim
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        libzmq5 libhiredis0.14 libssl3 zlib1g ca-certificates libcurl4 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 switchboard \
    && mkdir -p /run/switchboard && chown switchboard /run/switchboard && chmod 0700 /run/switchboard
COPY --from=build /out/ /usr/local/bin/
USER switchboard
ENV SWITCHBOARD_RUN_DIR=/run/switchboard SWITCHBOARD_ENV=production SWITCHBOARD_HTTP_HOST=0.0.0.0
EXPOSE 6005
CMD ["ws-edge"]
