# Stand-in for golang:1.26.8-bookworm where no registry answers: the local
# Debian base (deploy/containers/images.sh) plus the host's Go toolchain,
# mounted at /opt/host-go by `podman build -v` (images.sh checks its version).
ARG DEBIAN_IMAGE=localhost/ml-studio-base/debian:bookworm
FROM ${DEBIAN_IMAGE}
RUN apt-get update -q && \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends ca-certificates tzdata git && \
    rm -rf /var/lib/apt/lists/*
# The host's extra CA certificates (images.sh mounts /usr/local/share/ca-certificates
# at /opt/host-ca): where outbound TLS goes through a proxy of the host's, the
# builds on this image (go mod download, npm ci, pip install) need them too.
RUN if ls /opt/host-ca/*.crt >/dev/null 2>&1; then cp /opt/host-ca/*.crt /usr/local/share/ca-certificates/; fi && \
    update-ca-certificates >/dev/null
RUN cp -a /opt/host-go /usr/local/go && /usr/local/go/bin/go version
ENV GOPATH=/go PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
WORKDIR /go
