#!/usr/bin/env bash
# The Docker API that pkg/testenv's testcontainers-go path talks to, and the
# local images it runs (make test-testcontainers):
#
#   deploy/containers/testcontainers.sh run CMD...   build what is missing, start
#        the API when needed, run CMD with the variables below, then remove
#        whatever container or network of this run is left (and fail if
#        anything was: the tests remove their own) and stop the API if this
#        call started it
#   deploy/containers/testcontainers.sh start|stop|env
#
# A Docker engine that answers is used as it is. Otherwise podman's
# Docker-compatible API (`podman system service`) is started on
# .data/containers/podman.sock, once: a service already answering there is
# reused and left running; one started here is stopped by `stop` (or at the
# end of `run`) and by nothing else.
#
# CMD sees DOCKER_HOST, TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1 (a local
# engine's published ports, on loopback), TESTCONTAINERS_RYUK_DISABLED=true where the reaper's
# image is not in the engine's store (no registry here: the tests then remove
# their own containers, pkg/testenv.Main), ML_STUDIO_TEST_{MYSQL,POSTGRES,
# MLFLOW}_IMAGE (the images built here: MariaDB and PostgreSQL from Debian's
# packages on podman, MLflow from deploy/docker/mlflow.Dockerfile), and
# ML_STUDIO_TEST_RUN, a label value every container of the run carries.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

SOCK="$DATA/podman.sock"
PIDFILE="$DATA/podman-service.pid"
SERVICE_LOG="$DATA/podman-service.log"
IMAGE_TAG="${IMAGE_TAG:-local}"
RYUK_IMAGE=testcontainers/ryuk:0.14.0 # testcontainers-go v0.45's reaper
STARTED=0 # set by start when it started the service

# answers SOCKET: the API behind the socket replies to /_ping.
answers() {
	[ -S "$1" ] && curl -sf -m 5 --unix-socket "$1" http://d/_ping >/dev/null 2>&1
}

start() {
	detect_engine
	[ "$ENGINE" = podman ] || return 0
	mkdir -p "$DATA"
	if answers "$SOCK"; then
		log "podman API already answering on $SOCK (left running)"
		return 0
	fi
	rm -f "$SOCK"
	# setsid: the service outlives this script's process group until `stop`.
	CONTAINERS_CONF="$CONTAINERS_CONF" setsid podman system service --time=0 "unix://$SOCK" >"$SERVICE_LOG" 2>&1 </dev/null &
	echo $! >"$PIDFILE"
	STARTED=1
	local i
	for i in $(seq 1 100); do
		answers "$SOCK" && { log "started the podman API on $SOCK (pid $(cat "$PIDFILE"))"; return 0; }
		kill -0 "$(cat "$PIDFILE")" 2>/dev/null || break
		sleep 0.1
	done
	tail -20 "$SERVICE_LOG" >&2 || true
	rm -f "$PIDFILE"
	die "the podman API did not answer on $SOCK"
}

# Stops the service only when this script started it (its pid file).
stop() {
	[ -s "$PIDFILE" ] || return 0
	local pid
	pid=$(cat "$PIDFILE")
	if kill -0 "$pid" 2>/dev/null && grep -q 'podman' "/proc/$pid/cmdline" 2>/dev/null; then
		kill "$pid"
		for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		log "stopped the podman API (pid $pid)"
	fi
	rm -f "$PIDFILE" "$SOCK"
}

env_lines() {
	detect_engine
	if [ "$ENGINE" = podman ]; then
		echo "DOCKER_HOST=unix://$SOCK"
		echo "ML_STUDIO_TEST_MYSQL_IMAGE=$("$CDIR/images.sh" env | sed -n 's/^MYSQL_IMAGE=//p')"
		echo "ML_STUDIO_TEST_POSTGRES_IMAGE=$("$CDIR/images.sh" env | sed -n 's/^POSTGRES_IMAGE=//p')"
	fi
	echo "ML_STUDIO_TEST_MLFLOW_IMAGE=ml-studio/mlflow:$IMAGE_TAG"
	# A local engine publishes ports on this host: reach them on loopback
	# (inside a container testcontainers would pick the bridge's gateway).
	if [ "$ENGINE" = podman ] || [[ "${DOCKER_HOST:-unix://}" == unix://* ]]; then
		echo "TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1"
	fi
	if ! image_exists "$RYUK_IMAGE"; then
		echo "TESTCONTAINERS_RYUK_DISABLED=true"
	fi
}

# Containers and networks of one run (label io.ml-studio.run).
leftovers() {
	engine ps -a -q --filter "label=io.ml-studio.run=$1"
	engine network ls -q --filter "label=io.ml-studio.run=$1" 2>/dev/null || true
}

run() {
	[ $# -gt 0 ] || die "usage: $0 run CMD..."
	detect_engine
	local t0=$SECONDS
	IMAGE_TAG=$IMAGE_TAG "$CDIR/images.sh" testcontainers
	log "images ready in $((SECONDS - t0)) s"
	start
	[ "$STARTED" = 0 ] || trap stop EXIT
	local line run_id rc=0
	run_id="tc-$(date +%s)-$$"
	while IFS= read -r line; do export "${line?}"; done < <(env_lines)
	export ML_STUDIO_TEST_RUN=$run_id
	log "DOCKER_HOST=${DOCKER_HOST:-(docker default)} run $run_id: $*"
	"$@" || rc=$?
	local left
	left=$(leftovers "$run_id" | sort -u)
	if [ -n "$left" ]; then
		log "the tests left $(echo "$left" | wc -l) container(s)/network(s) of run $run_id behind; removing them"
		engine ps -a -q --filter "label=io.ml-studio.run=$run_id" | xargs -r "$ENGINE" rm -f >/dev/null 2>&1 || true
		engine network ls -q --filter "label=io.ml-studio.run=$run_id" | xargs -r "$ENGINE" network rm >/dev/null 2>&1 || true
		[ $rc -ne 0 ] || rc=1
	fi
	return $rc
}

main() {
	case "${1:-}" in
	start) start ;;
	stop) stop ;;
	env) env_lines ;;
	run) shift && run "$@" ;;
	*) die "usage: $0 run CMD...|start|stop|env" ;;
	esac
}

main "$@"
