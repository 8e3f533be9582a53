#!/usr/bin/env bash
# Builds ML Studio's images with the container engine found (lib.sh):
#
#   deploy/containers/images.sh [app|test|bases|all]   (default: all)
#
#   app    ml-studio/{cerberus,ml_studio,mlflow,ui}:$IMAGE_TAG from deploy/docker/
#   test   the databases of the compose test: ml-studio-test/{mariadb,postgres}
#          from Debian's packages (deploy/containers/base/)
#   testcontainers  what pkg/testenv's testcontainers-go path runs: `test`
#          and ml-studio/mlflow:$IMAGE_TAG
#   bases  podman without a registry only: the stand-ins for the upstream
#          build images (golang, node, python) on a Debian base made with
#          debootstrap, whose root filesystem is cached in
#          .data/containers/debian-bookworm.tar
#
# With a Docker engine the Dockerfiles' own (upstream) base images are used
# and `test` is skipped (compose then runs mysql and postgres themselves).
# With podman every upstream name is replaced by a --build-arg naming a local
# image. Builds run at nice 10, with --network host so that apt, pip and npm
# inside them reach their registries; the engine's layer cache makes a
# second run take seconds.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

IMAGE_TAG="${IMAGE_TAG:-local}"
DEBIAN_IMAGE=localhost/ml-studio-base/debian:bookworm
GO_IMAGE=localhost/ml-studio-base/golang:1.26.8
NODE_IMAGE=localhost/ml-studio-base/node:20
PYTHON_IMAGE=localhost/ml-studio-base/python:3.11
MARIADB_IMAGE=localhost/ml-studio-test/mariadb:10.11
POSTGRES_IMAGE=localhost/ml-studio-test/postgres:15
WANT_GO=go1.26.8

# build IMAGE DOCKERFILE [engine build options...]: context is the repo root.
build() {
	local image=$1 file=$2
	shift 2
	local t0=$SECONDS
	local opts=(--label "$LABEL" -f "$ROOT/$file" -t "$image")
	if [ "$ENGINE" = podman ]; then
		# docker format: OCI image configs have no HEALTHCHECK.
		opts+=(--network host --layers --format docker)
	fi
	log "building $image ($file)"
	if ! nice -n 10 "$ENGINE" build "${opts[@]}" "$@" "$ROOT" >"$DATA/build-${image//[\/:]/_}.log" 2>&1; then
		tail -40 "$DATA/build-${image//[\/:]/_}.log" >&2
		die "building $image failed (log: $DATA/build-${image//[\/:]/_}.log)"
	fi
	log "built $image in $((SECONDS - t0)) s"
}

debian_base() {
	image_exists "$DEBIAN_IMAGE" && return
	local tar="$DATA/debian-bookworm.tar"
	if [ ! -s "$tar" ]; then
		[ "$(id -u)" = 0 ] || die "debootstrap needs root"
		command -v debootstrap >/dev/null 2>&1 || {
			DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >/dev/null 2>&1 ||
				{ apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >/dev/null; }
		}
		local mirror
		mirror=$(grep -rhoE '^(URIs:|deb) +https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null |
			grep -oE 'https?://[^ ]+' | head -1) || true
		mirror=${mirror:-http://deb.debian.org/debian}
		local rootfs="$DATA/rootfs.tmp"
		rm -rf "$rootfs" && mkdir -p "$rootfs"
		log "debootstrap bookworm from $mirror (once; cached in $tar)"
		local t0=$SECONDS
		nice -n 10 debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$DATA/debootstrap.log" 2>&1 ||
			{ tail -20 "$DATA/debootstrap.log" >&2; die "debootstrap failed"; }
		# Security updates too, as on the host.
		echo "deb http://deb.debian.org/debian-security bookworm-security main" >>"$rootfs/etc/apt/sources.list"
		echo "deb $mirror bookworm-updates main" >>"$rootfs/etc/apt/sources.list"
		rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
		tar -C "$rootfs" -cf "$tar.tmp" . && mv "$tar.tmp" "$tar"
		rm -rf "$rootfs"
		log "debootstrap took $((SECONDS - t0)) s"
	fi
	engine import --change "LABEL $LABEL" "$tar" "$DEBIAN_IMAGE" >/dev/null
	log "imported $DEBIAN_IMAGE from $tar"
}

bases() {
	[ "$ENGINE" = podman ] || return 0
	debian_base
	local hostca=/usr/local/share/ca-certificates
	[ -d "$hostca" ] || { hostca="$DATA/no-host-ca" && mkdir -p "$hostca"; }
	local ca=(-v "$hostca:/opt/host-ca:ro")
	if ! image_exists "$GO_IMAGE"; then
		local goroot
		goroot=$(go env GOROOT 2>/dev/null) || die "Go is needed on the host for $GO_IMAGE"
		[ "$("$goroot/bin/go" env GOVERSION)" = "$WANT_GO" ] ||
			log "warning: the host's Go is $("$goroot/bin/go" env GOVERSION), the images pin $WANT_GO"
		build "$GO_IMAGE" deploy/containers/base/golang.Dockerfile "${ca[@]}" -v "$goroot:/opt/host-go:ro"
	fi
	if ! image_exists "$NODE_IMAGE"; then
		local node npm
		node=$(readlink -f "$(command -v node)") || die "Node.js is needed on the host for $NODE_IMAGE"
		npm=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
		build "$NODE_IMAGE" deploy/containers/base/node.Dockerfile "${ca[@]}" -v "$node:/opt/host-node/node:ro" -v "$npm:/opt/host-node/npm:ro"
	fi
	python_base
}

python_base() {
	[ "$ENGINE" = podman ] || return 0
	debian_base
	local hostca=/usr/local/share/ca-certificates
	[ -d "$hostca" ] || { hostca="$DATA/no-host-ca" && mkdir -p "$hostca"; }
	image_exists "$PYTHON_IMAGE" || build "$PYTHON_IMAGE" deploy/containers/base/python.Dockerfile -v "$hostca:/opt/host-ca:ro"
}

mlflow_image() {
	local py=()
	if [ "$ENGINE" = podman ]; then
		python_base
		py=(--build-arg "PYTHON_IMAGE=$PYTHON_IMAGE")
	fi
	build "ml-studio/mlflow:$IMAGE_TAG" deploy/docker/mlflow.Dockerfile "${py[@]}"
}

test_images() {
	[ "$ENGINE" = podman ] || return 0
	debian_base
	image_exists "$MARIADB_IMAGE" || build "$MARIADB_IMAGE" deploy/containers/base/mariadb.Dockerfile
	image_exists "$POSTGRES_IMAGE" || build "$POSTGRES_IMAGE" deploy/containers/base/postgres.Dockerfile
}

app() {
	local go=() node=()
	if [ "$ENGINE" = podman ]; then
		bases
		go=(--build-arg "BUILD_IMAGE=$GO_IMAGE")
		node=(--build-arg "NODE_IMAGE=$NODE_IMAGE")
	fi
	build "ml-studio/cerberus:$IMAGE_TAG" deploy/docker/cerberus.Dockerfile "${go[@]}"
	build "ml-studio/ml_studio:$IMAGE_TAG" deploy/docker/ml_studio.Dockerfile "${go[@]}"
	build "ml-studio/ui:$IMAGE_TAG" deploy/docker/ui.Dockerfile "${go[@]}" "${node[@]}"
	mlflow_image
}

# The variables compose needs to run the images built here (sourced by compose.sh).
env_lines() {
	if [ "$ENGINE" = podman ]; then
		echo "MYSQL_IMAGE=$MARIADB_IMAGE"
		echo "POSTGRES_IMAGE=$POSTGRES_IMAGE"
	fi
}

main() {
	detect_engine
	mkdir -p "$DATA"
	case "${1:-all}" in
	bases) bases ;;
	test) test_images ;;
	app) app ;;
	all) app && test_images ;;
	testcontainers) test_images && mlflow_image ;;
	env) env_lines ;;
	*) die "usage: $0 [app|test|testcontainers|bases|all|env]" ;;
	esac
}

main "$@"
