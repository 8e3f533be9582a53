#!/usr/bin/env bash
# Convenience wrapper over the local ML Studio dependency stack.
#
#   deploy/local/stack.sh up|down|status|env
#
#   STORE=sqlite (default)  up: MLflow on SQLite only
#   STORE=mysql             up: MariaDB + PostgreSQL + MLflow on PostgreSQL
#
#   env   prints the export lines the Go integration tests read, e.g.
#         eval "$(deploy/local/stack.sh env)"
#
# Ports/passwords: MARIADB_PORT, MARIADB_PASSWORD, PG_PORT, PG_PASSWORD,
# MLFLOW_PORT (see README.md).
set -euo pipefail

SCRIPT_NAME=stack.sh
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

STORE="${STORE:-sqlite}"
MARIADB_PORT="${MARIADB_PORT:-3306}"
MARIADB_PASSWORD="${MARIADB_PASSWORD:-blendata}"
PG_PORT="${PG_PORT:-5432}"
PG_PASSWORD="${PG_PASSWORD:-blendata}"
MLFLOW_PORT="${MLFLOW_PORT:-5050}"
export MARIADB_PORT MARIADB_PASSWORD PG_PORT PG_PASSWORD MLFLOW_PORT

cmd_up() {
	case "$STORE" in
	sqlite)
		MLFLOW_BACKEND=sqlite "$LOCAL_DIR/mlflow.sh" start
		;;
	mysql)
		"$LOCAL_DIR/mariadb.sh" start
		"$LOCAL_DIR/postgres.sh" start
		MLFLOW_BACKEND=postgres "$LOCAL_DIR/mlflow.sh" start
		;;
	*) die "STORE must be sqlite or mysql, got '$STORE'" ;;
	esac
	log "up (STORE=$STORE). For the integration tests: eval \"\$($0 env)\""
}

cmd_down() {
	# Reverse dependency order: MLflow first, it holds Postgres connections.
	# Each stop is a no-op when its daemon is not running.
	local rc=0
	"$LOCAL_DIR/mlflow.sh" stop || rc=1
	"$LOCAL_DIR/postgres.sh" stop || rc=1
	"$LOCAL_DIR/mariadb.sh" stop || rc=1
	return "$rc"
}

cmd_status() {
	# Report every component; non-running ones are not an error here.
	"$LOCAL_DIR/mariadb.sh" status || true
	"$LOCAL_DIR/postgres.sh" status || true
	"$LOCAL_DIR/mlflow.sh" status || true
}

# Single-quote $1 for a POSIX shell.
shq() {
	printf "'%s'" "${1//\'/\'\\\'\'}"
}

cmd_env() {
	printf 'export ML_STUDIO_TEST_MYSQL_DSN=%s\n' \
		"$(shq "blendata:${MARIADB_PASSWORD}@tcp(127.0.0.1:${MARIADB_PORT})/auth?parseTime=true")"
	printf 'export ML_STUDIO_TEST_POSTGRES_DSN=%s\n' \
		"$(shq "postgres://blendata:$(urlencode "$PG_PASSWORD")@127.0.0.1:${PG_PORT}/mlflow?sslmode=disable")"
	printf 'export ML_STUDIO_TEST_MLFLOW_URL=%s\n' "$(shq "http://127.0.0.1:${MLFLOW_PORT}")"
}

case "${1:-}" in
up) cmd_up ;;
down) cmd_down ;;
status) cmd_status ;;
env) cmd_env ;;
*)
	echo "usage: [STORE=sqlite|mysql] $0 up|down|status|env" >&2
	exit 2
	;;
esac
