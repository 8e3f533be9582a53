#!/bin/sh
# Starts `mlflow server` from environment variables (deploy/docker/mlflow.Dockerfile);
# the flags are those of deploy/local/mlflow.sh. Extra arguments are passed on.
#
#   mlflow-server               the tracking server
#   mlflow-server db-upgrade    upgrade the backend store's schema after a new
#                               MLflow pin (MLflow does not do it by itself)
set -eu

uri="${MLFLOW_BACKEND_STORE_URI:?MLFLOW_BACKEND_STORE_URI is required, e.g. postgresql://user:password@pg-db:5432/mlflow}"
# SQLAlchemy 2.1 reads plain postgresql:// as psycopg 3; the lock ships psycopg2.
case "$uri" in
postgresql://* | postgres://*) uri="postgresql+psycopg2://${uri#*://}" ;;
esac
export MLFLOW_BACKEND_STORE_URI="$uri"

if [ "${1:-}" = db-upgrade ]; then
	exec mlflow db upgrade "$uri"
fi

# The image creates /mlflow/artifacts (a volume in compose and on Kubernetes).
artifacts="${MLFLOW_ARTIFACTS_DESTINATION:-/mlflow/artifacts}"

set -- \
	--host "${MLFLOW_HOST:-0.0.0.0}" \
	--port "${MLFLOW_PORT:-5050}" \
	--workers "${MLFLOW_WORKERS:-2}" \
	--backend-store-uri "$uri" \
	--serve-artifacts \
	--artifacts-destination "$artifacts" \
	--allowed-hosts "${MLFLOW_SERVER_ALLOWED_HOSTS:-mlflow,mlflow:*,localhost,localhost:*,127.0.0.1,127.0.0.1:*}" \
	"$@"
# uvloop sets TCP_NODELAY on every connection; asyncio's loop does not on the
# sockets uvicorn binds for several workers, and a reused connection then
# waits ~40 ms for the client's delayed ACK (deploy/local/mlflow.sh). Named,
# so an image without uvloop fails to start rather than --loop auto falling
# back to asyncio.
uvicorn_opts="${MLFLOW_UVICORN_OPTS---loop uvloop}"
if [ -n "$uvicorn_opts" ]; then
	set -- "$@" --uvicorn-opts "$uvicorn_opts"
fi
if [ -n "${MLFLOW_SERVER_CORS_ALLOWED_ORIGINS:-}" ]; then
	set -- "$@" --cors-allowed-origins "$MLFLOW_SERVER_CORS_ALLOWED_ORIGINS"
fi
# Job execution (huey consumers for GenAI jobs) costs ~2 GB that ML Studio does not use.
export MLFLOW_SERVER_ENABLE_JOB_EXECUTION="${MLFLOW_SERVER_ENABLE_JOB_EXECUTION:-false}"
# AI gateway secrets are encrypted with a key derived from
# MLFLOW_CRYPTO_KEK_PASSPHRASE (compose and the Helm chart pass it from a
# secret); without it MLflow uses its built-in, public passphrase.
if [ -z "${MLFLOW_CRYPTO_KEK_PASSPHRASE:-}" ]; then
	echo "mlflow-server: MLFLOW_CRYPTO_KEK_PASSPHRASE is not set: AI gateway secrets are encrypted with MLflow's built-in passphrase" >&2
fi
# Each worker caches decrypted secrets: 10 s (MLflow's minimum) bounds how
# long a rotated or deleted provider key is still used.
export MLFLOW_SERVER_SECRETS_CACHE_TTL="${MLFLOW_SERVER_SECRETS_CACHE_TTL:-10}"
# The catalogue of providers' models MLflow ships, unless a URL is given:
# fetching it from GitHub provider by provider hangs for minutes where the
# network does not reach it.
export MLFLOW_MODEL_CATALOG_URI="${MLFLOW_MODEL_CATALOG_URI-}"
exec mlflow server "$@"
