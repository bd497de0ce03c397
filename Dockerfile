# Berth's image: `berth` (release, Swift runtime linked statically) on a slim Ubuntu with the
# C libraries it loads (libpq, libcurl, OpenSSL, and libxml2 for FoundationXML), and the SQL
# migrations `berth migrate` runs.
#   docker build -t berth .            (docker-compose.yml builds it for `migrate` and `worker`)
ARG SWIFT_VERSION=6.2
ARG UBUNTU=jammy

FROM swift:${SWIFT_VERSION}-${UBUNTU} AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        libpq-dev libcurl4-openssl-dev libssl-dev libxml2-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Dependencies first, so source edits don't refetch them.
COPY Package.swift ./
RUN swift package resolve
COPY Sources ./Sources
# SwiftPM checks every target's folder, including the test targets'.
COPY Tests ./Tests
RUN swift build -c release --product berth --static-swift-stdlib \
 && cp "$(swift build -c release --show-bin-path)/berth" /usr/local/bin/berth

FROM ubuntu:22.04
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        libpq5 libcurl4 libssl3 libxml2 ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --no-create-home berth
COPY --from=build /usr/local/bin/berth /usr/local/bin/berth
COPY migrations /usr/local/share/berth/migrations
ENV BERTH_MIGRATIONS_DIR=/usr/local/share/berth/migrations \
    BERTH_LOG_FORMAT=json
USER berth
# SIGTERM drains the worker gracefully (finishes or hands back its jobs).
STOPSIGNAL SIGTERM
CMD ["berth", "worker"]
