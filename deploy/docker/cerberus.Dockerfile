# cerberus, ML Studio's user-access-control service (:5000).
#
#   docker build -f deploy/docker/cerberus.Dockerfile -t ml-studio/cerberus .   (context: the repo root)
#
# Everything is configured with CERBERUS_* variables (README.md,
# "Configuration"); the image sets only what differs inside a container.
# Without CERBERUS_DATABASE_DSN it keeps an SQLite file in /data (mount a
# volume there); compose and the Helm chart give it MySQL.

FROM golang:1.26.8-bookworm AS build
WORKDIR /src
# Static binaries, reproducible paths, and the toolchain of this image only.
ENV CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-trimpath

# Module files first, so the download layer survives source edits. The build
# uses a workspace of exactly the modules it needs (not the repo's go.work,
# which lists modules this image does not copy); go.work.sum carries the
# checksums that workspace builds need beyond each module's go.sum.
COPY go.work.sum ./
COPY pkg/go.mod pkg/go.sum pkg/
COPY services/cerberus/go.mod services/cerberus/go.sum services/cerberus/
COPY deploy/go.mod deploy/go.sum deploy/
RUN go work init ./pkg ./services/cerberus && go mod download

COPY pkg/ pkg/
COPY services/cerberus/ services/cerberus/
COPY deploy/cmd/healthcheck/ deploy/cmd/healthcheck/
RUN go build -ldflags="-s -w" -o out/cerberus ./services/cerberus/cmd/cerberus && \
    cd deploy && GOWORK=off go build -ldflags="-s -w" -o ../out/healthcheck ./cmd/healthcheck && \
    cd .. && mkdir -p out/data

# distroless static: CA certificates, tzdata, /etc/passwd with nonroot
# (65532); no shell, hence the healthcheck binary above.
FROM gcr.io/distroless/static-debian12:nonroot@sha256:d093aa3e30dbadd3efe1310db061a14da60299baff8450a17fe0ccc514a16639
COPY --from=build /src/out/cerberus /usr/local/bin/cerberus
COPY --from=build /src/out/healthcheck /usr/local/bin/healthcheck
COPY --from=build --chown=65532:65532 /src/out/data /data
ENV CERBERUS_HOST=0.0.0.0 \
    CERBERUS_PORT=5000 \
    CERBERUS_DATABASE_DSN=sqlite:/data/auth.db
WORKDIR /data
USER 65532:65532
EXPOSE 5000
# Liveness of the process; compose and Kubernetes also ask /readyz.
HEALTHCHECK --interval=15s --timeout=5s --start-period=90s --retries=3 \
    CMD ["/usr/local/bin/healthcheck", "http://127.0.0.1:${CERBERUS_PORT:-5000}/healthz"]
ENTRYPOINT ["/usr/local/bin/cerberus"]
