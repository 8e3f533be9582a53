# PostgreSQL 15 from Debian's packages, standing in for postgres:15 in the
# compose acceptance test (POSTGRES_IMAGE): the same variables (POSTGRES_DB,
# POSTGRES_USER, POSTGRES_PASSWORD), data in /var/lib/postgresql/data,
# pg_isready for the compose healthcheck.
ARG DEBIAN_IMAGE=localhost/ml-studio-base/debian:bookworm
FROM ${DEBIAN_IMAGE}
RUN apt-get update -q && \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends postgresql-15 && \
    rm -rf /var/lib/apt/lists/* && \
    mkdir -p /var/lib/postgresql/data /var/run/postgresql && \
    chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql
COPY deploy/containers/base/postgres-entrypoint.sh /usr/local/bin/entrypoint
LABEL org.opencontainers.image.title="ml-studio test PostgreSQL" \
      org.opencontainers.image.source="deploy/containers/base/postgres.Dockerfile"
ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PGDATA=/var/lib/postgresql/data
USER postgres
EXPOSE 5432
VOLUME /var/lib/postgresql/data
HEALTHCHECK --interval=5s --timeout=5s --start-period=30s --retries=30 \
    CMD pg_isready -h 127.0.0.1 -U "${POSTGRES_USER:-postgres}"
ENTRYPOINT ["/usr/local/bin/entrypoint"]
