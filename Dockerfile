# Multi-stage build of all Switchboard executables, for linux/amd64 and linux/arm64:
#   docker buildx build --platform linux/amd64,linux/arm64 -t switchboard .
FROM swift:6.1-bookworm AS build
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        libzmq3-dev libhiredis-dev libssl-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Shared Shared
COPY Services Services
COPY Tools Tools
COPY Tests Tests
COPY Benchmarks Benchmarks
RUN swift build -c release --static-swift-stdlib \
    && mkdir /out \
    && for exe in ws-edge auth scheduler signer menu switchboard; do cp "$(swift build -c release --show-bin-path)/$exe" /out/; done \
    && strip /out/* && cp -R "$(swift build -c release --show-bin-path)/Switchboard_WSEdge.resources" /out/

FROM debian:bookworm-slim
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        libzmq5 libhiredis0.14 libssl3 ca-certificates libcurl4 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 switchboard \
    && mkdir -p /run/switchboard && chown switchboard /run/switchboard
COPY --from=build /out/ /usr/local/bin/
USER switchboard
ENV SWITCHBOARD_RUN_DIR=/run/switchboard SWITCHBOARD_ENV=production SWITCHBOARD_HTTP_HOST=0.0.0.0
EXPOSE 6005
CMD ["ws-edge"]
