# playrouter container: build on Debian bookworm, run on bookworm-slim with only
# the runtime libraries. tests/e2e/test_dockerfile.py checks that every library
# the binary links to is installed by the runtime stage below.

FROM debian:bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config python3 \
      libmicrohttpd-dev libsqlite3-dev libcurl4-openssl-dev libjansson-dev \
      libhiredis-dev libjwt-dev libssl-dev libcmocka-dev libre2-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DPLAYROUTER_WERROR=ON \
 && cmake --build build -j"$(nproc)" --target playrouter

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libmicrohttpd12 libsqlite3-0 libcurl4 libjansson4 libhiredis0.14 libssl3 \
      libre2-9 libstdc++6 \
      ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin playrouter \
 && mkdir -p /data && chown playrouter:playrouter /data
COPY --from=build /src/build/playrouter /usr/local/bin/playrouter
USER playrouter
ENV PLAYROUTER_DB=/data/playrouter.db \
    PLAYROUTER_BIND=0.0.0.0 \
    PLAYROUTER_PORT=8080 \
    PLAYROUTER_ENV=production
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=5s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/playrouter"]
