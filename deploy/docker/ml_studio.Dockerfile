# ml_studio, the ML Studio API in front of MLflow (:5001); stateless, run as
# many replicas as needed.
#
#   docker build -f deploy/docker/ml_studio.Dockerfile -t ml-studio/ml_studio .   (context: the repo root)
#   (without a registry: deploy/containers/images.sh, which passes BUILD_IMAGE)
#
# Everything is configured with ML_STUDIO_* variables (README.md,
# "Configuration"); the image sets only what differs inside a container, and
# points at the compose service names cerberus and mlflow by default.

# The build image is an argument so that hosts without a registry can name a
# local stand-in (deploy/containers/images.sh); the default is upstream's.
ARG BUILD_IMAGE=golang:1.26.8-bookworm
FROM ${BUILD_IMAGE} AS build
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
# The final image is scratch plus out/rootfs: the binaries, CA certificates,
# an /etc/passwd naming the non-root user 65532 and /tmp. Time zones are
# compiled in (timetzdata). No shell: hence the healthcheck binary.
# nomsgpack leaves out gin's MessagePack codec (~6 MB; the APIs speak JSON).
# The compiler's cache persists between builds (BuildKit and buildah cache
# mounts): a source edit recompiles only the packages it touches.
RUN --mount=type=cache,target=/root/.cache/go-build \
    go build -tags timetzdata,nomsgpack -ldflags="-s -w" -o out/rootfs/usr/local/bin/ml_studio ./services/ml_studio/cmd/ml_studio && \
    cd deploy && GOWORK=off go build -ldflags="-s -w" -o ../out/rootfs/usr/local/bin/healthcheck ./cmd/healthcheck && \
    cd ../out/rootfs && mkdir -p etc/ssl/certs tmp && chmod 1777 tmp && \
    cp /etc/ssl/certs/ca-certificates.crt etc/ssl/certs/ && \
    printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >etc/passwd && \
    printf 'root:x:0:\nnonroot:x:65532:\n' >etc/group

FROM scratch
COPY --from=build /src/out/rootfs/ /
LABEL org.opencontainers.image.title="ml_studio" \
      org.opencontainers.image.description="The ML Studio API in front of MLflow" \
      org.opencontainers.image.source="https://github.com/ml-studio/ml-studio" \
      org.opencontainers.image.vendor="ML Studio"
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
