# syntax=docker/dockerfile:1
#
# One Dockerfile, three final images:
#   docker build --target ingress    -t connector-ingress .
#   docker build --target dispatcher -t connector-dispatcher .
#   docker build --target sandbox    -t connector-sandbox .
#   docker build --target demo       -t connector-demo .
#
# Final images are distroless (glibc, libgcc, CA certificates, no shell) and run as
# uid/gid 65532 ("nonroot"). Each holds one binary and nothing else of ours.

ARG RUST_IMAGE=rust:1-bookworm
ARG RUNTIME_IMAGE=gcr.io/distroless/cc-debian12:nonroot

# ---------------------------------------------------------------- build
FROM ${RUST_IMAGE} AS build
WORKDIR /src
ENV CARGO_TERM_COLOR=never \
    CARGO_INCREMENTAL=0

# aws-lc-sys (TLS, JWT) normally builds with cc alone; cmake is its fallback.
RUN apt-get update \
 && apt-get install -y --no-install-recommends cmake \
 && rm -rf /var/lib/apt/lists/*

# 1) Dependency layer: the manifests and the lock file only, with empty sources for every
#    workspace member. This layer is rebuilt only when a Cargo.toml or Cargo.lock changes.
COPY Cargo.toml Cargo.lock ./
COPY shared/Cargo.toml        shared/Cargo.toml
COPY ingress/Cargo.toml       ingress/Cargo.toml
COPY dispatcher/Cargo.toml    dispatcher/Cargo.toml
COPY tests/sandbox/Cargo.toml tests/sandbox/Cargo.toml
COPY tests/e2e/Cargo.toml     tests/e2e/Cargo.toml
COPY tests/demo/Cargo.toml    tests/demo/Cargo.toml
COPY tests/bench/Cargo.toml   tests/bench/Cargo.toml
RUN for member in shared ingress dispatcher tests/sandbox tests/e2e tests/demo tests/bench; do \
      mkdir -p "$member/src" \
      && : > "$member/src/lib.rs" \
      && echo 'fn main() {}' > "$member/src/main.rs" \
      && for bin in $(sed -n 's/^path = "\(.*\)"/\1/p' "$member/Cargo.toml"); do \
           mkdir -p "$member/$(dirname "$bin")" && echo 'fn main() {}' > "$member/$bin"; \
         done; \
    done \
 && cargo build --release --locked \
      -p connector-ingress -p connector-dispatcher -p sandbox -p connector-demo \
 && rm -rf shared/src ingress/src dispatcher/src tests/sandbox/src tests/e2e/src \
      tests/demo/src tests/bench/src

# 2) The real sources. Touch them so cargo never mistakes them for the placeholders.
COPY shared     shared
COPY ingress    ingress
COPY dispatcher dispatcher
COPY tests      tests
RUN find shared ingress dispatcher tests -name '*.rs' -exec touch {} + \
 && cargo build --release --locked \
      --bin connector-ingress --bin connector-dispatcher --bin sandbox --bin demo \
 && mkdir -p /out \
 && cp target/release/connector-ingress target/release/connector-dispatcher \
       target/release/sandbox target/release/demo /out/

# ---------------------------------------------------------------- runtime images
FROM ${RUNTIME_IMAGE} AS ingress
COPY --from=build /out/connector-ingress /usr/local/bin/connector-ingress
USER 65532:65532
ENV INGRESS_LISTEN=0.0.0.0:8080 LOG_FORMAT=json
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/connector-ingress"]

FROM ${RUNTIME_IMAGE} AS dispatcher
COPY --from=build /out/connector-dispatcher /usr/local/bin/connector-dispatcher
USER 65532:65532
ENV DISPATCHER_LISTEN=0.0.0.0:8081 LOG_FORMAT=json
EXPOSE 8081
ENTRYPOINT ["/usr/local/bin/connector-dispatcher"]

# Test double for 4me (18081) and IdentityNow (18082). Never deploy it to production.
FROM ${RUNTIME_IMAGE} AS sandbox
COPY --from=build /out/sandbox /usr/local/bin/sandbox
USER 65532:65532
EXPOSE 18081 18082
ENTRYPOINT ["/usr/local/bin/sandbox"]

# The demo: simulated 4me and IdentityNow, the real ingress and dispatcher (started by the demo
# itself, next to it), 240 signed requests, a table at the end. Needs only a broker (AMQP_URL).
FROM ${RUNTIME_IMAGE} AS demo
COPY --from=build /out/demo /out/connector-ingress /out/connector-dispatcher /usr/local/bin/
COPY config/mapping.toml /etc/connector/mapping.toml
USER 65532:65532
ENV MAPPING_FILE=/etc/connector/mapping.toml DEMO_LOG_DIR=/tmp/demo
ENTRYPOINT ["/usr/local/bin/demo"]
