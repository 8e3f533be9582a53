# Stand-in for node:20.19.5-alpine where no registry answers: the local Debian
# base plus the host's Node.js 20 and npm, mounted by `podman build -v` at
# /opt/host-node (deploy/containers/images.sh).
ARG DEBIAN_IMAGE=localhost/ml-studio-base/debian:bookworm
FROM ${DEBIAN_IMAGE}
RUN apt-get update -q && \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends ca-certificates && \
    rm -rf /var/lib/apt/lists/*
# The host's extra CA certificates (images.sh mounts /usr/local/share/ca-certificates
# at /opt/host-ca): where outbound TLS goes through a proxy of the host's, the
# builds on this image (go mod download, npm ci, pip install) need them too.
RUN if ls /opt/host-ca/*.crt >/dev/null 2>&1; then cp /opt/host-ca/*.crt /usr/local/share/ca-certificates/; fi && \
    update-ca-certificates >/dev/null
RUN mkdir -p /usr/local/lib/node_modules && \
    cp /opt/host-node/node /usr/local/bin/node && \
    cp -a /opt/host-node/npm /usr/local/lib/node_modules/npm && \
    ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm && \
    ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx && \
    node --version && npm --version
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
