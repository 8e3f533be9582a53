#!/usr/bin/env bash
# Local PostgreSQL for ML Studio (MLflow backend store + Postgres integration
# tests).
#
#   deploy/local/postgres.sh start|stop|status
#
# Runs the server directly via pg_ctl (no systemd, no pg_ctlcluster) as the
# `postgres` OS user on 127.0.0.1:$PG_PORT, datadir $ML_STUDIO_DATA/postgres.
# Provisions role blendata (LOGIN CREATEDB, password auth over TCP) and
# database mlflow owned by it.
#
# Env: PG_PORT (5432), PG_PASSWORD (blendata), PG_START_TIMEOUT (60 s),
#      ML_STUDIO_DATA (<repo>/.data).
set -euo pipefail

SCRIPT_NAME=postgres.sh
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PG_PORT="${PG_PORT:-5432}"
PG_PASSWORD="${PG_PASSWORD:-blendata}"
PG_START_TIMEOUT="${PG_START_TIMEOUT:-60}"
PG_OS_USER=postgres

DATADIR="$ML_STUDIO_DATA/postgres"
# Postgres writes its socket + lock file here, so it must own the directory.
SOCKDIR="$RUN_DIR/postgres"
PID_FILE="$RUN_DIR/postgres.pid"
LOG_FILE="$LOG_DIR/postgres.log"
PGBIN=""

find_pgbin() {
	local d
	# Highest installed major version wins.
	d="$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n1)"
	[[ -n "$d" && -x "$d/pg_ctl" ]] && PGBIN="$d"
}

ensure_installed() {
	if ! find_pgbin; then
		# Debian's postinst creates a "main" cluster and would start it on
		# 5432; apt_install_missing blocks service starts via policy-rc.d.
		apt_install_missing postgresql
		find_pgbin || die "no PostgreSQL binaries under /usr/lib/postgresql after install"
	fi
	if ! id -u "$PG_OS_USER" >/dev/null 2>&1; then
		log "creating OS user $PG_OS_USER"
		useradd --system --user-group --home-dir /var/lib/postgresql --shell /bin/bash "$PG_OS_USER"
	fi
}

# Run a command as the postgres OS user (postgres refuses to run as root).
# cd / so tools don't complain about an unreadable cwd.
as_pg() {
	if [[ "$(id -un)" == "$PG_OS_USER" ]]; then
		(cd / && "$@")
	else
		(cd / && runuser -u "$PG_OS_USER" -- "$@")
	fi
}

# The postgres user must be able to traverse every parent of the datadir
# (the checkout is usually root-owned). Add o+x (search only, no read) to
# the directories that lack it, and say so.
ensure_traversable() {
	local d="$1" dirs=() i
	while [[ "$d" != / ]]; do
		dirs+=("$d")
		d="$(dirname "$d")"
	done
	# Top-down, so a blocked parent is reported rather than its children.
	for ((i = ${#dirs[@]} - 1; i >= 0; i--)); do
		if ! as_pg test -x "${dirs[i]}"; then
			log "granting o+x on ${dirs[i]} so user $PG_OS_USER can reach its datadir"
			chmod o+x "${dirs[i]}"
		fi
	done
}

prepare_dirs() {
	ensure_dirs
	mkdir -p "$DATADIR" "$SOCKDIR"
	# pg_ctl opens the log as the postgres user.
	touch "$LOG_FILE"
	if [[ $EUID -eq 0 ]]; then
		chown "$PG_OS_USER:" "$DATADIR" "$SOCKDIR" "$LOG_FILE"
	fi
	chmod 700 "$DATADIR"
	chmod 755 "$SOCKDIR"
	ensure_traversable "$ML_STUDIO_DATA"
}

init_datadir() {
	[[ -f "$DATADIR/PG_VERSION" ]] && return 0
	log "initialising $DATADIR (initdb)"
	# Local (socket) connections: peer auth for the postgres OS user only.
	# TCP: scram-sha-256 passwords for everyone.
	if ! as_pg "$PGBIN/initdb" -D "$DATADIR" -U postgres -E UTF8 --locale=C.UTF-8 \
		--auth-local=peer --auth-host=scram-sha-256 >>"$LOG_DIR/postgres-initdb.log" 2>&1; then
		show_log_tail "$LOG_DIR/postgres-initdb.log"
		die "initdb failed"
	fi
}

provision() {
	# psql's :'pw' quotes the password safely; \gexec makes CREATE DATABASE
	# conditional (it cannot run inside a DO block).
	as_pg "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$SOCKDIR" -p "$PG_PORT" -U postgres -d postgres \
		-v pw="$PG_PASSWORD" >/dev/null <<'SQL'
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'blendata') THEN
    CREATE ROLE blendata LOGIN;
  END IF;
END $$;
-- Re-applied on every start: keeps the password in sync with PG_PASSWORD.
ALTER ROLE blendata WITH LOGIN CREATEDB PASSWORD :'pw';
SELECT 'CREATE DATABASE mlflow OWNER blendata'
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'mlflow') \gexec
ALTER DATABASE mlflow OWNER TO blendata;
SQL
}

blendata_ok() {
	local psql=psql
	[[ -n "$PGBIN" ]] && psql="$PGBIN/psql"
	command -v "$psql" >/dev/null || return 1
	PGPASSWORD="$PG_PASSWORD" PGCONNECT_TIMEOUT=3 "$psql" -X -q -h 127.0.0.1 -p "$PG_PORT" \
		-U blendata -d mlflow -tAc 'SELECT 1' >/dev/null 2>&1
}

ours_running() {
	[[ -n "$PGBIN" ]] && as_pg "$PGBIN/pg_ctl" -D "$DATADIR" status >/dev/null 2>&1
}

cmd_start() {
	ensure_dirs
	lock_component postgres
	find_pgbin || true
	if port_open "$PG_PORT"; then
		if [[ -d "$DATADIR" ]] && ours_running; then
			provision
			log "already running on 127.0.0.1:$PG_PORT, reusing"
			return 0
		fi
		if blendata_ok; then
			log "a PostgreSQL not started by this script answers on 127.0.0.1:$PG_PORT and accepts blendata; reusing"
			return 0
		fi
		die "port $PG_PORT is taken by a server this script did not start and blendata cannot log in"
	fi
	ensure_installed
	prepare_dirs
	init_datadir
	log "starting PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PG_PORT (log: $LOG_FILE)"
	# Settings on the command line rather than in postgresql.conf, so a changed
	# PG_PORT applies on the next start. -w waits until it accepts connections.
	if ! as_pg "$PGBIN/pg_ctl" -D "$DATADIR" -l "$LOG_FILE" -w -t "$PG_START_TIMEOUT" \
		-o "-c listen_addresses=127.0.0.1 -p $PG_PORT -c unix_socket_directories=$SOCKDIR" start >/dev/null 9>&-; then
		show_log_tail "$LOG_FILE"
		die "PostgreSQL did not start within ${PG_START_TIMEOUT}s"
	fi
	head -n1 "$DATADIR/postmaster.pid" >"$PID_FILE"
	provision
	blendata_ok || die "started, but blendata cannot log in over TCP"
	log "PostgreSQL ready on 127.0.0.1:$PG_PORT (pid $(cat "$PID_FILE"))"
}

cmd_stop() {
	ensure_dirs
	lock_component postgres
	find_pgbin || true
	if [[ -f "$DATADIR/postmaster.pid" ]] && ours_running; then
		log "stopping PostgreSQL"
		# fast = roll back open transactions and shut down cleanly (tests may
		# leave idle connections, which "smart" would wait for forever).
		if ! as_pg "$PGBIN/pg_ctl" -D "$DATADIR" -m fast -w -t 30 stop >/dev/null; then
			log "fast shutdown timed out, using immediate"
			as_pg "$PGBIN/pg_ctl" -D "$DATADIR" -m immediate -w -t 30 stop >/dev/null || true
		fi
		rm -f "$PID_FILE"
		log "stopped"
	elif port_open "$PG_PORT"; then
		die "port $PG_PORT is in use by a process this script did not start; not touching it"
	else
		rm -f "$PID_FILE"
		log "not running"
	fi
}

cmd_status() {
	find_pgbin || true
	local pid=""
	pid="$(pid_alive "$PID_FILE")" || true
	if port_open "$PG_PORT"; then
		if blendata_ok; then
			echo "postgres: running on 127.0.0.1:$PG_PORT (pid: ${pid:-not started by this script}, blendata login to mlflow OK)"
			return 0
		fi
		echo "postgres: port $PG_PORT open (pid: ${pid:-unknown}) but blendata cannot log in to mlflow"
		return 1
	fi
	if [[ -n "$pid" ]]; then
		echo "postgres: process $pid alive but port $PG_PORT closed (see $LOG_FILE)"
		return 1
	fi
	echo "postgres: stopped"
	return 3
}

case "${1:-}" in
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
*)
	echo "usage: $0 start|stop|status" >&2
	exit 2
	;;
esac
