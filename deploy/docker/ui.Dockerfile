# The ML Studio web app (:3000): the React/Vite build of ui/ served by
# deploy/cmd/uiserver (what `make run` uses), which also relays /api and
# /ajax-api to ml_studio, so the browser talks to one origin.
#
#   docker build -f deploy/docker/ui.Dockerfile -t ml-studio/ui .   (context: the repo root)
#   (without a registry: deploy/containers/images.sh, which passes NODE_IMAGE and BUILD_IMAGE)
#
# Configuration (environment, UI_*; go run ./deploy/cmd/uiserver -h lists them):
#   UI_PORT (3000), UI_ML_STUDIO_URL (http://ml-studio:5001, the compose network alias)
# The build expects ui/package.json, ui/package-lock.json and `npm run build`
# writing ui/dist (Vite's default).

# The build images are arguments so that hosts without a registry can name
# local stand-ins (deploy/containers/images.sh); the defaults are upstream's.
ARG NODE_IMAGE=node:20.19.5-alpine
ARG BUILD_IMAGE=golang:1.26.8-bookworm

FROM ${NODE_IMAGE} AS web
WORKDIR /ui
COPY ui/package.json ui/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY ui/ ./
RUN npm run build && test -f dist/index.html

FROM ${BUILD_IMAGE} AS build
WORKDIR /src
# Static binaries, reproducible paths, and the toolchain of this image only.
# The deploy module alone (plus pkg, which it replaces with ../pkg); go build
# fetches only the modules uiserver and healthcheck need.
ENV CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-trimpath GOWORK=off
COPY pkg/ pkg/
COPY deploy/go.mod deploy/go.sum deploy/
COPY deploy/cmd/ deploy/cmd/
# scratch plus out/rootfs: the binaries, CA certificates, an /etc/passwd
# naming the non-root user 65532 and /tmp. No shell: hence the healthcheck binary.
# nomsgpack leaves out gin's MessagePack codec (~6 MB; nothing here uses it).
RUN --mount=type=cache,target=/root/.cache/go-build --mount=type=cache,target=/go/pkg/mod \
    cd deploy && go build -tags timetzdata,nomsgpack -ldflags="-s -w" -o ../out/rootfs/usr/local/bin/uiserver ./cmd/uiserver && \
    go build -ldflags="-s -w" -o ../out/rootfs/usr/local/bin/healthcheck ./cmd/healthcheck && \
    cd ../out/rootfs && mkdir -p etc/ssl/certs tmp && chmod 1777 tmp && \
    cp /etc/ssl/certs/ca-certificates.crt etc/ssl/certs/ && \
    printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >etc/passwd && \
    printf 'root:x:0:\nnonroot:x:65532:\n' >etc/group

FROM scratch
COPY --from=build /src/out/rootfs/ /
COPY --from=web /ui/dist/ /srv/ui/
LABEL org.opencontainers.image.title="ml-studio-ui" \
      org.opencontainers.image.description="The ML Studio web app and its relay to ml_studio" \
      org.opencontainers.image.source="https://github.com/ml-studio/ml-studio" \
      org.opencontainers.image.vendor="ML Studio"
ENV UI_HOST=0.0.0.0 \
    UI_PORT=3000 \
    UI_DIST=/srv/ui \
    UI_ML_STUDIO_URL=http://ml-studio:5001
USER 65532:65532
EXPOSE 3000
# /healthz: the process answers (/readyz also asks ml_studio).
HEALTHCHECK --interval=15s --timeout=5s --start-period=10s --retries=3 \
    CMD ["/usr/local/bin/healthcheck", "http://127.0.0.1:${UI_PORT:-3000}/healthz"]
ENTRYPOINT ["/usr/local/bin/uiserver"]
