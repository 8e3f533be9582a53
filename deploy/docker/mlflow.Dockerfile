# The MLflow tracking server behind ml_studio (:5050), pinned exactly as
# `make run` pins it: deploy/local/mlflow-requirements.txt is a complete lock
# installed with --no-deps (mlflow 3.18.0's declared mlflow-skinny and
# mlflow-tracing 3.18.0 were never published; see that file's header).
#
#   docker build -f deploy/docker/mlflow.Dockerfile -t ml-studio/mlflow .   (context: the repo root)
#
# Configuration (environment; see deploy/docker/mlflow-server.sh):
#   MLFLOW_BACKEND_STORE_URI      postgresql://user:pw@pg-db:5432/mlflow (postgresql:// and
#                                 postgres:// are run with the psycopg2 driver the lock ships);
#                                 default: SQLite in /mlflow/db
#   MLFLOW_ARTIFACTS_DESTINATION  where --serve-artifacts keeps files (default /mlflow/artifacts: a volume)
#   MLFLOW_SERVER_ALLOWED_HOSTS   Host header allow-list (default: mlflow, localhost, 127.0.0.1 on any port)
#   MLFLOW_SERVER_CORS_ALLOWED_ORIGINS, MLFLOW_PORT (5050), MLFLOW_WORKERS (2),
#   MLFLOW_UVICORN_OPTS (--loop uvloop: no ~40 ms on reused connections),
#   MLFLOW_SERVER_ENABLE_JOB_EXECUTION (false)
#
# pkg/testenv builds this file (context: the repo root) and sets
# MLFLOW_BACKEND_STORE_URI; keep the name, the port and GET /health.
# No BuildKit-only syntax here: testcontainers may use the classic builder.
# Without a registry, deploy/containers/images.sh passes PYTHON_IMAGE: a local
# stand-in with `python` (3.11) and pip first on PATH.

ARG PYTHON_IMAGE=python:3.11.17-slim-bookworm
FROM ${PYTHON_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_INPUT=1

# Every pin has a manylinux/none wheel for CPython 3.11 on x86_64: no compiler needed.
COPY deploy/local/mlflow-requirements.txt /tmp/mlflow-requirements.txt
RUN python -m pip install pip==26.3 && \
    python -m pip install --no-deps -r /tmp/mlflow-requirements.txt && \
    rm /tmp/mlflow-requirements.txt && \
    mlflow --version

COPY deploy/docker/mlflow-server.sh /usr/local/bin/mlflow-server
RUN chmod 0755 /usr/local/bin/mlflow-server && \
    groupadd --system --gid 10001 mlflow && \
    useradd --system --uid 10001 --gid 10001 --home-dir /mlflow --shell /usr/sbin/nologin mlflow && \
    mkdir -p /mlflow/artifacts /mlflow/db && \
    chown -R 10001:10001 /mlflow

LABEL org.opencontainers.image.title="ml-studio-mlflow" \
      org.opencontainers.image.description="MLflow 3.18.0 tracking server behind ml_studio" \
      org.opencontainers.image.source="https://github.com/ml-studio/ml-studio" \
      org.opencontainers.image.vendor="ML Studio"
ENV HOME=/mlflow \
    MLFLOW_PORT=5050 \
    MLFLOW_WORKERS=2 \
    MLFLOW_BACKEND_STORE_URI=sqlite:////mlflow/db/mlflow.db \
    MLFLOW_ARTIFACTS_DESTINATION=/mlflow/artifacts \
    MLFLOW_SERVER_ALLOWED_HOSTS=mlflow,mlflow:*,localhost,localhost:*,127.0.0.1,127.0.0.1:*,[::1],[[]::1]:* \
    MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false \
    MLFLOW_DISABLE_TELEMETRY=true
WORKDIR /mlflow
USER 10001:10001
EXPOSE 5050
# /health is exempt from the Host check. The first start on an empty
# database runs every migration: hence the long start period.
HEALTHCHECK --interval=15s --timeout=5s --start-period=180s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ.get('MLFLOW_PORT', '5050'), timeout=4)"]
CMD ["/usr/local/bin/mlflow-server"]
