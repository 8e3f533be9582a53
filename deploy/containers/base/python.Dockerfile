# Stand-in for python:3.11.17-slim-bookworm where no registry answers:
# Debian's CPython 3.11 on the local base, with a virtualenv first on PATH so
# that `python -m pip install` works as in the official image.
ARG DEBIAN_IMAGE=localhost/ml-studio-base/debian:bookworm
FROM ${DEBIAN_IMAGE}
RUN apt-get update -q && \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends ca-certificates python3 python3-venv && \
    rm -rf /var/lib/apt/lists/* && \
    python3 -m venv /usr/local/python
# The host's extra CA certificates (images.sh mounts /usr/local/share/ca-certificates
# at /opt/host-ca): where outbound TLS goes through a proxy of the host's, the
# builds on this image (go mod download, npm ci, pip install) need them too.
RUN if ls /opt/host-ca/*.crt >/dev/null 2>&1; then cp /opt/host-ca/*.crt /usr/local/share/ca-certificates/; fi && \
    update-ca-certificates >/dev/null
ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    PATH=/usr/local/python/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
