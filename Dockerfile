# `procura serve` in a minimal image: one static-enough binary (the abi module embedded, see
# docs/abi.md "Building") on a distroless base with glibc and nothing else; no shell, runs as
# an unprivileged user.
#
#   docker build --build-arg PROCURA_COMMIT=$(git rev-parse --short=12 HEAD) -t procura .
#   docker run --rm -p 8080:8080 -v "$PWD/rules:/policies:ro" procura
#
# deploy/README.md runs it on Kubernetes.

FROM rust:1.95-bookworm AS build
WORKDIR /src
RUN rustup target add wasm32-unknown-unknown
COPY . .
# `.git` is not copied (.dockerignore): the commit `procura --version` names comes from here.
ARG PROCURA_COMMIT=unknown
ENV PROCURA_COMMIT=${PROCURA_COMMIT}
# The module first: the binary embeds it (build.rs).
RUN scripts/build-abi.sh \
    && cargo build --release --locked --features cli,serve -j 2 \
    && strip target/release/procura \
    && target/release/procura --version

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/target/release/procura /usr/local/bin/procura
# The bundled policies with the libraries they import, for a first run; mount a directory (or
# the ConfigMaps of deploy/) over /policies. `tests/server.rs` serves what these lines copy.
COPY rules/*.policy /policies/
COPY rules/lib/ /policies/lib/
EXPOSE 8080
USER nonroot
ENTRYPOINT ["/usr/local/bin/procura", "serve", "/policies", "--addr", "0.0.0.0:8080"]
