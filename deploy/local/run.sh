#!/usr/bin/env bash
# `make run`: the whole stack on this machine, in the foreground.
#
#   STORE=sqlite (default)  cerberus on an embedded SQLite file, MLflow on SQLite
#   STORE=mysql             cerberus on MariaDB (auth), MLflow on PostgreSQL (mlflow)
#
# Ctrl-C (or SIGTERM) stops everything this script started; servers that were
# already running before it are left alone.
set -euo pipefail

SCRIPT_NAME=run.sh
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

STORE="${STORE:-sqlite}"
BIN_DIR="${BIN_DIR:-$REPO_ROOT/bin}"
CERBERUS_PORT="${CERBERUS_PORT:-5000}"
ML_STUDIO_PORT="${ML_STUDIO_PORT:-5001}"
UI_PORT="${UI_PORT:-3000}"
MLFLOW_PORT="${MLFLOW_PORT:-5050}"
MARIADB_PASSWORD="${MARIADB_PASSWORD:-blendata}"
export CERBERUS_PORT ML_STUDIO_PORT MLFLOW_PORT UI_PORT

ensure_dirs
started_deps=()
pids=()

cleanup() {
	trap - INT TERM EXIT
	log "stopping what make run started"
	local pid
	for pid in "${pids[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${pids[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	local dep
	for dep in "${started_deps[@]}"; do
		"$LOCAL_DIR/$dep.sh" stop || true
	done
}
trap 'cleanup; exit 0' INT TERM
trap cleanup EXIT

# start_dep NAME [ENV...]: start a dependency, remembering whether we did.
start_dep() {
	local name="$1" port="$2"
	shift 2
	if port_open "$port"; then
		log "$name already answers on :$port, reusing it"
	else
		started_deps+=("$name")
	fi
	env "$@" "$LOCAL_DIR/$name.sh" start
}

for port in "$CERBERUS_PORT" "$ML_STUDIO_PORT" "$UI_PORT"; do
	port_open "$port" && die "port $port is already in use (another make run?)"
done

case "$STORE" in
sqlite)
	start_dep mlflow "$MLFLOW_PORT" MLFLOW_BACKEND=sqlite
	export CERBERUS_DATABASE_DSN="${CERBERUS_DATABASE_DSN:-sqlite:$ML_STUDIO_DATA/cerberus/auth.db}"
	;;
mysql)
	start_dep mariadb "${MARIADB_PORT:-3306}"
	start_dep postgres "${PG_PORT:-5432}"
	start_dep mlflow "$MLFLOW_PORT" MLFLOW_BACKEND=postgres
	export CERBERUS_DATABASE_DSN="${CERBERUS_DATABASE_DSN:-mysql://blendata:${MARIADB_PASSWORD}@127.0.0.1:${MARIADB_PORT:-3306}/auth}"
	;;
*) die "STORE must be sqlite or mysql, got '$STORE'" ;;
esac

# The first admin: on the first run make run picks a password, keeps it in a
# file only root can read, and shows it; cerberus creates the account with it
# when its database has no user yet.
admin_file="$ML_STUDIO_DATA/cerberus/admin-password"
first_run=false
if [[ -z "${CERBERUS_ADMIN_PASSWORD:-}" ]]; then
	if [[ ! -s "$admin_file" ]]; then
		mkdir -p "$(dirname "$admin_file")"
		(umask 077 && head -c 18 /dev/urandom | base64 | tr '+/' '-_' >"$admin_file")
		first_run=true
	fi
	CERBERUS_ADMIN_PASSWORD="$(cat "$admin_file")"
	export CERBERUS_ADMIN_PASSWORD
fi

# ml_studio proves with a shared secret that it registers the experiments
# and models it creates; nobody else may (see CERBERUS_REGISTRAR_SECRET).
registrar_file="$ML_STUDIO_DATA/cerberus/registrar-secret"
if [[ ! -s "$registrar_file" ]]; then
	mkdir -p "$(dirname "$registrar_file")"
	(umask 077 && head -c 24 /dev/urandom | base64 | tr '+/' '-_' >"$registrar_file")
fi
CERBERUS_REGISTRAR_SECRET="${CERBERUS_REGISTRAR_SECRET:-$(cat "$registrar_file")}"
export CERBERUS_REGISTRAR_SECRET ML_STUDIO_REGISTRAR_SECRET="${ML_STUDIO_REGISTRAR_SECRET:-$CERBERUS_REGISTRAR_SECRET}"

# ml_studio relays sign-in to cerberus: believe its X-Forwarded-For, so
# failed logins are throttled per real client address.
export CERBERUS_TRUSTED_PROXIES="${CERBERUS_TRUSTED_PROXIES:-127.0.0.1}"
export CERBERUS_LOG_FORMAT="${CERBERUS_LOG_FORMAT:-console}"
export ML_STUDIO_LOG_FORMAT="${ML_STUDIO_LOG_FORMAT:-console}"
# The UI server relays the browser's calls: ml_studio believes its
# X-Forwarded-For, as cerberus believes ml_studio's.
export ML_STUDIO_TRUSTED_PROXIES="${ML_STUDIO_TRUSTED_PROXIES:-127.0.0.1}"
export UI_LOG_FORMAT="${UI_LOG_FORMAT:-console}"
export UI_DIST="${UI_DIST:-$REPO_ROOT/ui/dist}"
export UI_ML_STUDIO_URL="${UI_ML_STUDIO_URL:-http://127.0.0.1:$ML_STUDIO_PORT}"
export ML_STUDIO_CERBERUS_URL="${ML_STUDIO_CERBERUS_URL:-http://127.0.0.1:$CERBERUS_PORT}"
export ML_STUDIO_MLFLOW_URL="${ML_STUDIO_MLFLOW_URL:-http://127.0.0.1:$MLFLOW_PORT}"

# wait_ready NAME URL PID: until URL answers 200 or the process dies.
wait_ready() {
	local name="$1" url="$2" pid="$3" i
	for ((i = 0; i < 300; i++)); do
		curl -fsS -o /dev/null "$url" 2>/dev/null && return 0
		kill -0 "$pid" 2>/dev/null || die "$name exited during start (see its log above)"
		sleep 0.2
	done
	die "$name not ready at $url within 60s"
}

"$BIN_DIR/cerberus" &
pids+=($!)
wait_ready cerberus "http://127.0.0.1:$CERBERUS_PORT/readyz" "${pids[-1]}"

"$BIN_DIR/ml_studio" &
pids+=($!)
wait_ready ml_studio "http://127.0.0.1:$ML_STUDIO_PORT/readyz" "${pids[-1]}"

"$BIN_DIR/uiserver" &
pids+=($!)
wait_ready ui "http://127.0.0.1:$UI_PORT/readyz" "${pids[-1]}"

if [[ "$first_run" == true ]]; then
	admin_line="sign in as: admin / $CERBERUS_ADMIN_PASSWORD   (kept in $admin_file)"
else
	admin_line="sign in as: admin (password from the first run: $admin_file)"
fi

cat >&2 <<MSG

  ML Studio is up (STORE=$STORE). Ctrl-C stops it.

    $admin_line

    ML Studio UI    http://localhost:$UI_PORT/
    ml_studio API   http://localhost:$ML_STUDIO_PORT/
    cerberus        http://localhost:$CERBERUS_PORT/
    MLflow          http://localhost:$MLFLOW_PORT/
    probes          /healthz  /readyz  /metrics on :$CERBERUS_PORT, :$ML_STUDIO_PORT and :$UI_PORT

MSG

# Run until a service exits or we are told to stop.
wait -n "${pids[@]}"
die "a service exited; stopping the rest"
