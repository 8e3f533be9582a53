#!/usr/bin/env bash
# Local MLflow tracking server (pinned, see mlflow-requirements.txt) for
# ML Studio development and integration tests.
#
#   deploy/local/mlflow.sh install|start|stop|status
#
# Env: MLFLOW_PORT (5050), MLFLOW_BACKEND (sqlite|postgres, default sqlite),
#      MLFLOW_WORKERS (2), MLFLOW_UVICORN_OPTS (--loop uvloop), MLFLOW_START_TIMEOUT (120 s),
#      PG_PORT / PG_PASSWORD (postgres backend), ML_STUDIO_DATA (<repo>/.data),
#      MLFLOW_CRYPTO_KEK_PASSPHRASE (default: generated once into
#      $ML_STUDIO_DATA/mlflow/kek-passphrase) and MLFLOW_CRYPTO_KEK_VERSION (1),
#      MLFLOW_SERVER_SECRETS_CACHE_TTL (10 s),
#      MLFLOW_MODEL_CATALOG_URI (empty: the catalogue of models MLflow ships).
set -euo pipefail

SCRIPT_NAME=mlflow.sh
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MLFLOW_PORT="${MLFLOW_PORT:-5050}"
MLFLOW_BACKEND="${MLFLOW_BACKEND:-sqlite}"
# 2 cores: 2 workers keep one request from blocking the other without
# oversubscribing the CPU the Go services and tests also need.
MLFLOW_WORKERS="${MLFLOW_WORKERS:-2}"
# uvloop: with asyncio's loop and --workers > 1, uvicorn's connections keep
# Nagle on (its own listening socket has protocol 0, and asyncio sets
# TCP_NODELAY only on IPPROTO_TCP sockets), so an answer on a reused
# connection waits ~40 ms for the client's delayed ACK; uvloop sets it always.
# (uvicorn's default, --loop auto, also takes uvloop when installed; naming it
# makes a venv without it fail to start instead of being slow.)
MLFLOW_UVICORN_OPTS="${MLFLOW_UVICORN_OPTS---loop uvloop}"
# First start on an empty store runs all DB migrations (slow on 2 cores).
MLFLOW_START_TIMEOUT="${MLFLOW_START_TIMEOUT:-120}"
PG_PORT="${PG_PORT:-5432}"
PG_PASSWORD="${PG_PASSWORD:-blendata}"

REQUIREMENTS="$LOCAL_DIR/mlflow-requirements.txt"
VENV="$REPO_ROOT/.venv/mlflow"
STAMP="$VENV/.requirements.sha256"
MLFLOW_DIR="$ML_STUDIO_DATA/mlflow"
PID_FILE="$RUN_DIR/mlflow.pid"
# Which backend the running server uses, so a later start can refuse a
# mismatch instead of letting tests silently hit the wrong store.
STATE_FILE="$RUN_DIR/mlflow.backend"
LOG_FILE="$LOG_DIR/mlflow.log"
BASE_URL="http://127.0.0.1:$MLFLOW_PORT"

requirements_hash() {
	# The python version is part of the key: a new interpreter needs a new venv.
	{
		cat "$REQUIREMENTS"
		python3 -c 'import sys; print(sys.version)'
	} | sha256sum | cut -d' ' -f1
}

cmd_install() {
	ensure_dirs
	command -v python3 >/dev/null || apt_install_missing python3
	# One install at a time (make test and make bench both call this). fd 8,
	# closed again before anything is started, so no daemon inherits the lock.
	exec 8>"$RUN_DIR/mlflow-venv.lock"
	flock -w 900 8 || die "timed out waiting for $RUN_DIR/mlflow-venv.lock"
	install_locked
	exec 8>&-
}

install_locked() {
	local want
	want="$(requirements_hash)"
	if [[ -x "$VENV/bin/mlflow" && -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]]; then
		log "mlflow venv up to date ($VENV)"
		return 0
	fi
	ensure_venv "$VENV"
	log "installing $(grep -m1 '^mlflow==' "$REQUIREMENTS") ($(grep -c "==" "$REQUIREMENTS") exact pins in total) into $VENV (log: $LOG_DIR/mlflow-install.log)"
	local start=$SECONDS
	# --no-deps: the requirements file is a full lock; see its header for why
	# mlflow 3.18.0 cannot be installed with dependency resolution. pip moves
	# every pinned package to its pin; what an earlier lock had and this one
	# drops is uninstalled, so the venv ends up the same whatever it held.
	if ! {
		"$VENV/bin/python" -m pip install --no-input --disable-pip-version-check -q --upgrade pip &&
			"$VENV/bin/python" -m pip install --no-input --disable-pip-version-check --no-deps -r "$REQUIREMENTS" &&
			remove_unpinned
	} >"$LOG_DIR/mlflow-install.log" 2>&1; then
		show_log_tail "$LOG_DIR/mlflow-install.log" 30
		die "pip install failed"
	fi
	printf '%s\n' "$want" >"$STAMP"
	log "installed $("$VENV/bin/mlflow" --version 2>/dev/null) in $((SECONDS - start))s"
	if pid_alive "$PID_FILE" >/dev/null; then
		log "a running MLflow keeps the packages it loaded: restart it (mlflow.sh stop; mlflow.sh start) to use the new ones"
	fi
}

# remove_unpinned uninstalls the venv's packages that the lock does not
# name (pip and its own tools aside). Names compare as PEP 503 says.
remove_unpinned() {
	local extra
	extra="$("$VENV/bin/python" - "$REQUIREMENTS" <<'PY'
import re, sys
from importlib import metadata

def norm(name):
    return re.sub(r"[-_.]+", "-", name).lower()

pinned = {"pip", "setuptools", "wheel"}
with open(sys.argv[1]) as f:
    for line in f:
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            pinned.add(norm(line.split("==", 1)[0]))
installed = {norm(d.metadata["Name"]) for d in metadata.distributions() if d.metadata["Name"]}
print(" ".join(sorted(installed - pinned)))
PY
	)" || return 1
	if [[ -n "$extra" ]]; then
		echo "uninstalling packages the lock does not pin: $extra"
		# shellcheck disable=SC2086 # one word per package
		"$VENV/bin/python" -m pip uninstall --no-input --disable-pip-version-check -y $extra
	fi
}

backend_uri() {
	case "$MLFLOW_BACKEND" in
	sqlite) printf 'sqlite:///%s\n' "$MLFLOW_DIR/mlflow.db" ;;
	# +psycopg2: SQLAlchemy 2.1 made psycopg (v3) the default driver for
	# plain postgresql://; we ship psycopg2-binary (see requirements).
	postgres) printf 'postgresql+psycopg2://blendata:%s@127.0.0.1:%s/mlflow\n' "$(urlencode "$PG_PASSWORD")" "$PG_PORT" ;;
	*) die "MLFLOW_BACKEND must be sqlite or postgres, got '$MLFLOW_BACKEND'" ;;
	esac
}

# Backend recorded for the server now running (empty if unknown).
running_backend() {
	if [[ -f "$STATE_FILE" ]]; then
		head -n1 "$STATE_FILE"
	fi
}

# The server is ready when /health says OK and a real store-backed API call
# succeeds (the latter proves DB migrations are done and the store works).
mlflow_ready() {
	local code
	[[ "$(curl -fsS -m 5 "$BASE_URL/health" 2>/dev/null)" == OK ]] || return 1
	code="$(curl -s -m 10 -o /dev/null -w '%{http_code}' -X POST \
		-H 'Content-Type: application/json' -d '{"max_results":1}' \
		"$BASE_URL/api/2.0/mlflow/experiments/search" 2>/dev/null)" || return 1
	[[ "$code" == 200 ]]
}

# kek_passphrase prints the passphrase MLflow derives the key that encrypts
# AI gateway secrets (providers' API keys) from: MLFLOW_CRYPTO_KEK_PASSPHRASE,
# else the one generated at the first start and kept beside the data (0600).
# Unset, MLflow would use its built-in passphrase, which anyone can read in
# its source. Changing it makes the stored secrets unreadable: rotate with
# `mlflow crypto rotate-kek` (README, "The AI gateway's secrets").
kek_passphrase() {
	if [[ -n "${MLFLOW_CRYPTO_KEK_PASSPHRASE:-}" ]]; then
		printf '%s' "$MLFLOW_CRYPTO_KEK_PASSPHRASE"
		return
	fi
	local file="$MLFLOW_DIR/kek-passphrase"
	if [[ ! -s "$file" ]]; then
		(
			umask 077
			head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$file.tmp"
			mv "$file.tmp" "$file"
		)
		log "generated the passphrase of MLflow's secrets into $file (keep it with the data)"
	fi
	cat "$file"
}

cmd_start() {
	ensure_dirs
	lock_component mlflow
	backend_uri >/dev/null # validates MLFLOW_BACKEND
	if port_open "$MLFLOW_PORT"; then
		local have
		have="$(running_backend)"
		if [[ "$have" == "$MLFLOW_BACKEND" ]]; then
			if mlflow_ready; then
				log "already running on $BASE_URL (backend: $have), reusing"
				return 0
			fi
			die "port $MLFLOW_PORT is open but MLflow does not answer correctly; see $LOG_FILE"
		fi
		die "an MLflow server already runs on port $MLFLOW_PORT with backend '${have:-unknown (not started by this script)}'," \
			"but MLFLOW_BACKEND=$MLFLOW_BACKEND was requested. Run '$0 stop' first to switch."
	fi
	cmd_install
	if [[ "$MLFLOW_BACKEND" == postgres ]]; then
		PG_PORT="$PG_PORT" PG_PASSWORD="$PG_PASSWORD" "$LOCAL_DIR/postgres.sh" start
	fi
	mkdir -p "$MLFLOW_DIR/artifacts"
	local uri
	uri="$(backend_uri)"
	# Recent MLflow (3.x) puts security middleware in front of the API: a Host header
	# allow-list against DNS rebinding (--allowed-hosts, env
	# MLFLOW_SERVER_ALLOWED_HOSTS; rejected requests get 403 "Invalid Host
	# header") and CORS blocking of state-changing cross-origin requests
	# (--cors-allowed-origins, env MLFLOW_SERVER_CORS_ALLOWED_ORIGINS; Origins
	# on localhost/127.0.0.1/[::1] are always allowed). The Go services proxy
	# with Host 127.0.0.1:<port> or localhost:<port> (httputil keeps the
	# client's Host, e.g. localhost:5001), so allow loopback names on any
	# port explicitly rather than rely on 3.18.0's defaults. Override with
	# MLFLOW_SERVER_ALLOWED_HOSTS / MLFLOW_SERVER_CORS_ALLOWED_ORIGINS
	# (comma-separated, fnmatch wildcards), which mlflow also reads itself.
	local allowed_hosts="${MLFLOW_SERVER_ALLOWED_HOSTS:-localhost,localhost:*,127.0.0.1,127.0.0.1:*,[::1],[[]::1]:*}"
	local args=(
		server
		--host 127.0.0.1
		--port "$MLFLOW_PORT"
		--workers "$MLFLOW_WORKERS"
		--backend-store-uri "$uri"
		--serve-artifacts
		--artifacts-destination "$MLFLOW_DIR/artifacts"
		--allowed-hosts "$allowed_hosts"
	)
	if [[ -n "$MLFLOW_UVICORN_OPTS" ]]; then
		args+=(--uvicorn-opts "$MLFLOW_UVICORN_OPTS")
	fi
	if [[ -n "${MLFLOW_SERVER_CORS_ALLOWED_ORIGINS:-}" ]]; then
		args+=(--cors-allowed-origins "$MLFLOW_SERVER_CORS_ALLOWED_ORIGINS")
	fi
	# Job execution (huey consumers for GenAI scorers/assistant jobs) spawns ~8
	# extra Python processes (~2 GB RSS) that ML Studio does not use: off by
	# default, set MLFLOW_SERVER_ENABLE_JOB_EXECUTION=true to re-enable.
	# Telemetry off: the network only reaches package registries anyway.
	export MLFLOW_SERVER_ENABLE_JOB_EXECUTION="${MLFLOW_SERVER_ENABLE_JOB_EXECUTION:-false}"
	export MLFLOW_DISABLE_TELEMETRY="${MLFLOW_DISABLE_TELEMETRY:-true}"
	# From the environment, never the command line (ps would show it).
	MLFLOW_CRYPTO_KEK_PASSPHRASE="$(kek_passphrase)"
	export MLFLOW_CRYPTO_KEK_PASSPHRASE
	# Each worker caches decrypted secrets: 10 s (MLflow's minimum) bounds
	# how long a rotated or deleted provider key is still used.
	export MLFLOW_SERVER_SECRETS_CACHE_TTL="${MLFLOW_SERVER_SECRETS_CACHE_TTL:-10}"
	# The catalogue of providers' models MLflow ships: fetching it from
	# GitHub, one provider after another, hangs GET .../supported-models for
	# minutes where the network does not reach it (set a URL to fetch).
	export MLFLOW_MODEL_CATALOG_URI="${MLFLOW_MODEL_CATALOG_URI-}"
	# The AI gateway's model catalog is fetched per provider from GitHub,
	# with retries, before falling back to the copy bundled with MLflow: with
	# no route to GitHub, gateway/supported-models outlasted ml_studio's
	# upstream timeout. Empty means bundled only.
	export MLFLOW_MODEL_CATALOG_URI="${MLFLOW_MODEL_CATALOG_URI-}"
	log "starting MLflow on $BASE_URL (backend: $MLFLOW_BACKEND, log: $LOG_FILE)"
	printf '%s\n%s\n' "$MLFLOW_BACKEND" "$(date -u +%FT%TZ)" >"$STATE_FILE"
	# setsid: own process group, so stop also reaps the worker processes.
	# cd to the data dir: MLflow may create relative files (./mlruns) in cwd.
	(cd "$MLFLOW_DIR" && exec setsid "$VENV/bin/mlflow" "${args[@]}" >>"$LOG_FILE" 2>&1 </dev/null 9>&-) &
	echo $! >"$PID_FILE"
	local pid i
	pid="$(cat "$PID_FILE")"
	for ((i = 0; i < MLFLOW_START_TIMEOUT; i++)); do
		if mlflow_ready; then
			log "MLflow ready on $BASE_URL after ${i}s (pid $pid, backend $MLFLOW_BACKEND)"
			return 0
		fi
		if ! kill -0 "$pid" 2>/dev/null; then
			show_log_tail "$LOG_FILE"
			rm -f "$PID_FILE" "$STATE_FILE"
			die "MLflow exited during startup"
		fi
		sleep 1
	done
	show_log_tail "$LOG_FILE"
	stop_pidfile "$PID_FILE" 15 MLflow || true
	rm -f "$STATE_FILE"
	die "MLflow not ready within ${MLFLOW_START_TIMEOUT}s"
}

cmd_stop() {
	ensure_dirs
	lock_component mlflow
	if stop_pidfile "$PID_FILE" 30 MLflow; then
		rm -f "$STATE_FILE"
		log "stopped"
	elif port_open "$MLFLOW_PORT"; then
		die "port $MLFLOW_PORT is in use by a process this script did not start; not touching it"
	else
		rm -f "$STATE_FILE"
		log "not running"
	fi
}

cmd_status() {
	local pid=""
	pid="$(pid_alive "$PID_FILE")" || true
	if port_open "$MLFLOW_PORT" && mlflow_ready; then
		echo "mlflow: running on $BASE_URL (backend: $(running_backend || true), pid: ${pid:-unknown}, version: $("$VENV/bin/mlflow" --version 2>/dev/null || echo '?'))"
		return 0
	fi
	if [[ -n "$pid" ]]; then
		echo "mlflow: process $pid alive but not answering on $BASE_URL (see $LOG_FILE)"
		return 1
	fi
	echo "mlflow: stopped"
	return 3
}

case "${1:-}" in
install) cmd_install ;;
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
*)
	echo "usage: $0 install|start|stop|status" >&2
	exit 2
	;;
esac
