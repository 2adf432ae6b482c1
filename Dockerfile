# syntax=docker/dockerfile:1
# Gatehouse container image: one binary (templates, static files and migrations are compiled
# in) on a slim Debian runtime.

FROM rust:1.95-bookworm AS builder
WORKDIR /src
COPY . .
# The registry and target caches speed up rebuilds (BuildKit); the binary is copied out of the cache.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin gatehouse \
    && install -m 0755 target/release/gatehouse /usr/local/bin/gatehouse

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates libssl3 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /var/lib/gatehouse --create-home gatehouse
COPY --from=builder /usr/local/bin/gatehouse /usr/local/bin/gatehouse
ENV GATEHOUSE_LISTEN=0.0.0.0:8080 \
    GATEHOUSE_DATA_DIR=/var/lib/gatehouse
WORKDIR /var/lib/gatehouse
VOLUME ["/var/lib/gatehouse"]
USER gatehouse
EXPOSE 8080
ENTRYPOINT ["gatehouse"]
CMD ["serve"]
