# ml_studio, the ML Studio API in front of MLflow (:5001); stateless, run as
# many replicas as needed.
#
#   docker build -f deploy/docker/ml_studio.Dockerfile -t ml-studio/ml_studio .   (context: the repo root)
#
# Everything is configured with ML_STUDIO_* variables (README.md,
# "Configuration"); the image sets only what differs inside a container, and
# points at the compose service names cerberus and mlflow by default.

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
COPY services/ml_studio/go.mod services/ml_studio/go.sum services/ml_studio/
COPY deploy/go.mod deploy/go.sum deploy/
RUN go work init ./pkg ./services/ml_studio && go mod download

COPY pkg/ pkg/
COPY services/ml_studio/ services/ml_studio/
COPY deploy/cmd/healthcheck/ deploy/cmd/healthcheck/
RUN go build -ldflags="-s -w" -o out/ml_studio ./services/ml_studio/cmd/ml_studio && \
    cd deploy && GOWORK=off go build -ldflags="-s -w" -o ../out/healthcheck ./cmd/healthcheck

# distroless static: CA certificates, tzdata, /etc/passwd with nonroot
# (65532); no shell, hence the healthcheck binary above.
FROM gcr.io/distroless/static-debian12:nonroot@sha256:d093aa3e30dbadd3efe1310db061a14da60299baff8450a17fe0ccc514a16639
COPY --from=build /src/out/ml_studio /usr/local/bin/ml_studio
COPY --from=build /src/out/healthcheck /usr/local/bin/healthcheck
ENV ML_STUDIO_HOST=0.0.0.0 \
    ML_STUDIO_PORT=5001 \
    ML_STUDIO_CERBERUS_URL=http://cerberus:5000 \
    ML_STUDIO_MLFLOW_URL=http://mlflow:5050
USER 65532:65532
EXPOSE 5001
# Liveness of the process; compose and Kubernetes also ask /readyz.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/usr/local/bin/healthcheck", "http://127.0.0.1:${ML_STUDIO_PORT:-5001}/healthz"]
ENTRYPOINT ["/usr/local/bin/ml_studio"]
