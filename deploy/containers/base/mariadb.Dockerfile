# MariaDB 10.11 from Debian's packages, standing in for mysql:8.0 in the
# compose acceptance test (MYSQL_IMAGE): the same variables (MYSQL_DATABASE,
# MYSQL_USER, MYSQL_PASSWORD, MYSQL_ROOT_PASSWORD), data in /var/lib/mysql,
# the `mysql` client for the compose healthcheck.
ARG DEBIAN_IMAGE=localhost/ml-studio-base/debian:bookworm
FROM ${DEBIAN_IMAGE}
RUN apt-get update -q && \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends mariadb-server mariadb-client && \
    rm -rf /var/lib/apt/lists/* /var/lib/mysql/* && \
    mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld /var/lib/mysql
COPY deploy/containers/base/mariadb-entrypoint.sh /usr/local/bin/entrypoint
LABEL org.opencontainers.image.title="ml-studio test MariaDB" \
      org.opencontainers.image.source="deploy/containers/base/mariadb.Dockerfile"
USER mysql
EXPOSE 3306
VOLUME /var/lib/mysql
HEALTHCHECK --interval=5s --timeout=5s --start-period=60s --retries=30 \
    CMD mysqladmin --protocol=socket ping >/dev/null
ENTRYPOINT ["/usr/local/bin/entrypoint"]
