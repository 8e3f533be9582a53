#!/usr/bin/env bash
# docker-compose.yml with the container engine found (lib.sh): `docker
# compose` where a Docker engine answers, podman + podman-compose otherwise
# (both installed here when missing).
#
#   deploy/containers/compose.sh up       build what is missing, start, wait for health,
#                                         print the URLs (make compose-up)
#   deploy/containers/compose.sh down     stop and remove the containers and the
#                                         network; the named volumes stay (make compose-down)
#   deploy/containers/compose.sh purge    down, and delete the volumes too
#   deploy/containers/compose.sh ps|logs [service]|env
#
# Settings: ENV_FILE (default .env; made from .env.example with random
# secrets when missing), COMPOSE_PROJECT (default ml-studio), COMPOSE_DATA
# (default .data/compose: the first admin's password and the logs),
# HEALTH_TIMEOUT (seconds, default 900). On podman the databases are the
# local Debian-package builds (MYSQL_IMAGE, POSTGRES_IMAGE; images.sh).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

ENV_FILE="${ENV_FILE:-$ROOT/.env}"
PROJECT="${COMPOSE_PROJECT:-ml-studio}"
COMPOSE_DATA="${COMPOSE_DATA:-$ROOT/.data/compose}"
HEALTH_TIMEOUT="${HEALTH_TIMEOUT:-900}"
SERVICES=(db pg-db mlflow cerberus ml_studio ui)

# A .env from .env.example: every change-me-… replaced by a random secret.
# An existing .env gets the secrets it lacks (added to .env.example since).
ensure_env() {
	if [ -s "$ENV_FILE" ]; then
		local name
		[ -z "$(tail -c 1 "$ENV_FILE")" ] || echo >>"$ENV_FILE"
		while IFS= read -r line; do
			if [[ "$line" =~ ^([A-Z_][A-Z0-9_]*)=change-me ]]; then
				name=${BASH_REMATCH[1]}
				if ! grep -q "^$name=" "$ENV_FILE"; then
					log "adding $name to $ENV_FILE (random)"
					printf '%s=%s\n' "$name" "$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" >>"$ENV_FILE"
				fi
			fi
		done <"$ROOT/.env.example"
		return
	fi
	log "writing $ENV_FILE from .env.example (random secrets)"
	mkdir -p "$(dirname "$ENV_FILE")"
	(
		umask 077
		while IFS= read -r line; do
			if [[ "$line" =~ ^([A-Z_][A-Z0-9_]*)=change-me ]]; then
				line="${BASH_REMATCH[1]}=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
			fi
			printf '%s\n' "$line"
		done <"$ROOT/.env.example" >"$ENV_FILE.tmp"
		mv "$ENV_FILE.tmp" "$ENV_FILE"
	)
}

# envval NAME: the value compose sees (the environment wins over the file).
envval() {
	local name=$1
	if [ -n "${!name+x}" ]; then
		printf '%s' "${!name}"
		return
	fi
	sed -n "s/^$name=//p" "$ENV_FILE" | tail -1 | sed -e 's/^"\(.*\)"$/\1/' -e "s/^'\(.*\)'$/\1/"
}

compose() { "${COMPOSE[@]}" -p "$PROJECT" -f "$ROOT/docker-compose.yml" --env-file "$ENV_FILE" "$@"; }

# The project's containers: id and service name.
containers() {
	engine ps -a --filter "label=com.docker.compose.project=$PROJECT" --format '{{.ID}} {{.Labels}}' 2>/dev/null | while read -r id labels; do
		svc=$(printf '%s' "$labels" | grep -oE 'com.docker.compose.service:[^ ]+' | cut -d: -f2 | tr -d ']')
		echo "$id ${svc:-?}"
	done
}

container_of() { # service -> container id
	engine ps -a --filter "label=com.docker.compose.project=$PROJECT" --filter "label=com.docker.compose.service=$1" --format '{{.ID}}' | head -1
}

# Waits until every service's container is healthy. podman 4.3 runs
# healthchecks from systemd timers, which hosts without systemd lack: the
# checks are run here (podman healthcheck run), which also records the status.
wait_healthy() {
	local deadline=$((SECONDS + HEALTH_TIMEOUT)) svc id state pending
	while :; do
		pending=()
		for svc in "${SERVICES[@]}"; do
			id=$(container_of "$svc")
			if [ -z "$id" ]; then
				pending+=("$svc(no container)")
				continue
			fi
			if [ "$ENGINE" = podman ]; then
				if engine healthcheck run "$id" >/dev/null 2>&1; then continue; fi
				state=$(engine inspect -f '{{.State.Status}}' "$id" 2>/dev/null || echo gone)
			else
				state=$(engine inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$id" 2>/dev/null || echo gone)
				[ "$state" = healthy ] && continue
			fi
			pending+=("$svc($state)")
			# MariaDB keeps the passwords its volume was made with: a .env
			# made anew since would have cerberus wait on it until the timeout.
			if [ "$svc" = cerberus ] && engine logs --tail 3 "$id" 2>&1 | grep -q 'Access denied for user'; then
				log "cerberus: the database refuses MYSQL_PASSWORD of $ENV_FILE; its volume was made with another"
				log "  (restore that password, or delete the data: $0 purge)"
				return 1
			fi
		done
		[ ${#pending[@]} -eq 0 ] && return 0
		if [ $SECONDS -ge $deadline ]; then
			log "not healthy after ${HEALTH_TIMEOUT}s: ${pending[*]}"
			return 1
		fi
		sleep 3
	done
}

# Published host ports must be free (or ours, on a second up).
check_ports() {
	local var port busy=()
	for var in DB_HOST_PORT PG_DB_HOST_PORT MLFLOW_HOST_PORT CERBERUS_HOST_PORT ML_STUDIO_HOST_PORT UI_HOST_PORT; do
		port=$(envval $var)
		[ -n "$port" ] || continue
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then busy+=("$var=$port"); fi
	done
	if [ ${#busy[@]} -gt 0 ] && [ -z "$(containers)" ]; then
		die "host ports in use: ${busy[*]} (set other ports in $ENV_FILE)"
	fi
}

up() {
	ensure_compose
	ensure_env
	mkdir -p "$COMPOSE_DATA"
	if [ "$ENGINE" = podman ]; then
		export MYSQL_IMAGE="${MYSQL_IMAGE:-$("$CDIR/images.sh" env | sed -n 's/^MYSQL_IMAGE=//p')}"
		export POSTGRES_IMAGE="${POSTGRES_IMAGE:-$("$CDIR/images.sh" env | sed -n 's/^POSTGRES_IMAGE=//p')}"
	fi
	IMAGE_TAG=$(envval IMAGE_TAG)
	export IMAGE_TAG="${IMAGE_TAG:-local}"
	local t0=$SECONDS
	"$CDIR/images.sh" all
	log "images ready in $((SECONDS - t0)) s"

	# The first admin, as make run does: a password kept in a file only root
	# reads, used when cerberus's database has no user yet.
	if [ -z "$(envval CERBERUS_ADMIN_PASSWORD)" ]; then
		local admin_file="$COMPOSE_DATA/admin-password"
		if [ ! -s "$admin_file" ]; then
			(umask 077 && head -c 18 /dev/urandom | base64 | tr '+/' '-_' >"$admin_file")
		fi
		CERBERUS_ADMIN_PASSWORD=$(cat "$admin_file")
		export CERBERUS_ADMIN_PASSWORD
	else
		(umask 077 && envval CERBERUS_ADMIN_PASSWORD >"$COMPOSE_DATA/admin-password")
	fi

	check_ports
	t0=$SECONDS
	compose up -d >"$COMPOSE_DATA/up.log" 2>&1 || { tail -30 "$COMPOSE_DATA/up.log" >&2; die "compose up failed (log: $COMPOSE_DATA/up.log)"; }
	log "containers started in $((SECONDS - t0)) s; waiting for health"
	if ! wait_healthy; then
		compose ps >&2 || true
		for svc in "${SERVICES[@]}"; do
			log "--- $svc"
			engine logs --tail 20 "$(container_of "$svc")" 2>&1 | sed 's/^/    /' >&2 || true
		done
		die "the stack did not become healthy"
	fi
	log "healthy $((SECONDS - t0)) s after compose up"
	local pub
	pub=$(envval PUBLIC_BIND)
	[ -n "$pub" ] && [ "$pub" != 0.0.0.0 ] || pub=localhost
	cat <<MSG
ML Studio is running ($ENGINE, project $PROJECT):
  web app           http://$pub:$(envval UI_HOST_PORT)
  API / MLflow URI  http://$pub:$(envval ML_STUDIO_HOST_PORT)   (MLFLOW_TRACKING_URI)
  cerberus          http://127.0.0.1:$(envval CERBERUS_HOST_PORT)
  MLflow (direct)   http://127.0.0.1:$(envval MLFLOW_HOST_PORT)   (bypasses access control)
First admin: $(envval CERBERUS_ADMIN_USERNAME), password in $COMPOSE_DATA/admin-password
Stop: make compose-down (the data stays in the volumes)
MSG
}

down() {
	ensure_compose
	ensure_env # adds what compose now requires to an older .env
	compose down "$@" >"$COMPOSE_DATA/down.log" 2>&1 || { mkdir -p "$COMPOSE_DATA"; tail -30 "$COMPOSE_DATA/down.log" >&2; die "compose down failed"; }
	# podman-compose leaves the project network when a container was gone
	# already, and with -v the volumes too: an interrupted run's database
	# volume would otherwise meet the next run's fresh passwords.
	if [ "$ENGINE" = podman ]; then
		engine network ls --format '{{.Name}}' | grep -x "${PROJECT}_default" | xargs -r podman network rm >/dev/null 2>&1 || true
		if [ "${1:-}" = -v ]; then
			local left
			left=$(engine volume ls --format '{{.Name}}' | grep -E "^${PROJECT}_(mysql-data|postgres-data|mlflow-artifacts)\$" || true)
			[ -z "$left" ] || engine volume rm -f $left >/dev/null || die "could not remove the volumes of $PROJECT: $left"
		fi
	fi
	log "stopped project $PROJECT"
}

main() {
	mkdir -p "$COMPOSE_DATA"
	case "${1:-}" in
	up) up ;;
	down) down ;;
	purge) down -v ;;
	ps) ensure_compose && compose ps ;;
	logs) shift && ensure_compose && compose logs "$@" ;;
	env) ensure_env && cat "$ENV_FILE" ;;
	*) die "usage: $0 up|down|purge|ps|logs [service]|env" ;;
	esac
}

main "$@"
