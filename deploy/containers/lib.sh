# Shared by deploy/containers/*.sh: find or set up a container engine.
#
# A Docker engine that answers is used as it is (docker, docker compose).
# Otherwise podman (Debian's podman + runc) is installed if missing and run
# with deploy/containers/containers.conf (runc, cgroupfs, no default
# ulimits: what works on hosts like CI's, see README "Containers without
# Docker"), and podman-compose comes from a venv in .venv/podman-compose.
# Everything these scripts create carries the label io.ml-studio.owner.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CDIR="$ROOT/deploy/containers"
DATA="$ROOT/.data/containers"
PODMAN_COMPOSE_VERSION=1.6.0
LABEL_KEY=io.ml-studio.owner
LABEL="$LABEL_KEY=deploy-containers"

log() { printf '[containers] %s\n' "$*" >&2; }
die() { printf '[containers] error: %s\n' "$*" >&2; exit 1; }

# ENGINE is docker or podman; ENGINE_FORCE=podman|docker overrides the choice.
detect_engine() {
	if [ -n "${ENGINE:-}" ]; then return; fi
	case "${ENGINE_FORCE:-}" in
	docker | podman) ENGINE=$ENGINE_FORCE ;;
	*)
		if command -v docker >/dev/null 2>&1 && timeout 10 docker info >/dev/null 2>&1; then
			ENGINE=docker
		else
			ENGINE=podman
		fi
		;;
	esac
	export ENGINE
	if [ "$ENGINE" = podman ]; then
		ensure_podman
	fi
}

ensure_podman() {
	export CONTAINERS_CONF="$CDIR/containers.conf"
	if ! command -v podman >/dev/null 2>&1 || ! command -v runc >/dev/null 2>&1 || [ ! -x /usr/lib/podman/netavark ]; then
		[ "$(id -u)" = 0 ] || die "podman is missing: apt-get install podman runc (as root)"
		log "installing podman and runc (Debian packages)"
		export DEBIAN_FRONTEND=noninteractive
		apt-get install -y -q podman runc netavark aardvark-dns iptables >/dev/null 2>&1 ||
			{ apt-get update -q >/dev/null && apt-get install -y -q podman runc netavark aardvark-dns iptables >/dev/null; } ||
			die "apt-get install podman runc failed"
	fi
}

# COMPOSE: the compose command (an array).
ensure_compose() {
	detect_engine
	if [ "$ENGINE" = docker ]; then
		COMPOSE=(docker compose)
		return
	fi
	local venv="$ROOT/.venv/podman-compose"
	if ! "$venv/bin/podman-compose" --version 2>/dev/null | grep -q "$PODMAN_COMPOSE_VERSION"; then
		log "installing podman-compose $PODMAN_COMPOSE_VERSION into .venv/podman-compose"
		python3 -m venv "$venv"
		"$venv/bin/pip" install -q --disable-pip-version-check "podman-compose==$PODMAN_COMPOSE_VERSION" ||
			die "pip install podman-compose failed"
	fi
	COMPOSE=("$venv/bin/podman-compose")
}

engine() { "$ENGINE" "$@"; }

image_exists() { engine image inspect "$1" >/dev/null 2>&1; }
