#!/usr/bin/env bash
# Local MariaDB for ML Studio (cerberus auth store + MySQL integration tests).
#
#   deploy/local/mariadb.sh start|stop|status
#   deploy/local/mariadb.sh client   the client tools only (mariadb, mariadb-dump:
#                                    cerberus backup/restore on MySQL and its test)
#
# Runs mariadbd directly (no systemd) on 127.0.0.1:$MARIADB_PORT with its
# datadir in $ML_STUDIO_DATA/mariadb and provisions database `auth` and user
# blendata (also allowed on test\_% databases that tests create and drop).
#
# Env: MARIADB_PORT (3306), MARIADB_PASSWORD (blendata),
#      MARIADB_START_TIMEOUT (60 s), ML_STUDIO_DATA (<repo>/.data).
set -euo pipefail

SCRIPT_NAME=mariadb.sh
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MARIADB_PORT="${MARIADB_PORT:-3306}"
MARIADB_PASSWORD="${MARIADB_PASSWORD:-blendata}"
MARIADB_START_TIMEOUT="${MARIADB_START_TIMEOUT:-60}"

DATADIR="$ML_STUDIO_DATA/mariadb"
SOCKET="$RUN_DIR/mariadb.sock"
PID_FILE="$RUN_DIR/mariadb.pid"
LOG_FILE="$LOG_DIR/mariadb.log"

# --no-defaults everywhere: never read /etc/mysql/*.cnf, whose socket, port
# and datadir belong to the (unused) system service.
admin_sql() {
	mariadb --no-defaults --protocol=socket --socket="$SOCKET" -uroot
}

ensure_installed() {
	# mariadb-dump (package mariadb-client, beside the server's
	# mariadb-client-core) is what cerberus backup runs on MySQL.
	if command -v mariadbd >/dev/null && command -v mariadb-install-db >/dev/null &&
		command -v mariadb >/dev/null && command -v mysql >/dev/null && command -v mariadb-dump >/dev/null; then
		return 0
	fi
	apt_install_missing mariadb-server mariadb-client
	stop_system_service
}

# apt's postinst may start the distro service (when no policy-rc.d forbids it);
# it would hold port 3306 and /run/mysqld. Stop it: we run our own instance.
stop_system_service() {
	local f pid
	for f in /run/mysqld/mysqld.pid /run/mysqld/mariadb.pid /var/run/mysqld/mysqld.pid; do
		if pid="$(pid_alive "$f")"; then
			log "stopping system MariaDB service started by apt (pid $pid)"
			kill -TERM "$pid" 2>/dev/null || true
			for _ in $(seq 1 30); do
				kill -0 "$pid" 2>/dev/null || break
				sleep 1
			done
		fi
	done
}

init_datadir() {
	if [[ -d "$DATADIR/mysql" ]]; then
		return 0
	fi
	log "initialising $DATADIR (mariadb-install-db)"
	mkdir -p "$DATADIR"
	# root@localhost authenticates by unix socket (OS root), so no admin
	# password has to be stored anywhere.
	if ! mariadb-install-db --no-defaults --user="$(id -un)" --datadir="$DATADIR" \
		--auth-root-authentication-method=socket --skip-test-db \
		>>"$LOG_DIR/mariadb-install-db.log" 2>&1; then
		show_log_tail "$LOG_DIR/mariadb-install-db.log"
		rm -rf "$DATADIR"
		die "mariadb-install-db failed"
	fi
}

provision() {
	local pw
	pw="$(mysql_quote "$MARIADB_PASSWORD")"
	# ALTER USER keeps the password in sync with MARIADB_PASSWORD on reuse.
	# `test\_%`: integration tests create/drop throwaway databases test_xxx.
	admin_sql <<SQL
CREATE DATABASE IF NOT EXISTS \`auth\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS 'blendata'@'127.0.0.1' IDENTIFIED BY $pw;
CREATE USER IF NOT EXISTS 'blendata'@'localhost' IDENTIFIED BY $pw;
ALTER USER 'blendata'@'127.0.0.1' IDENTIFIED BY $pw;
ALTER USER 'blendata'@'localhost' IDENTIFIED BY $pw;
GRANT ALL PRIVILEGES ON \`auth\`.* TO 'blendata'@'127.0.0.1';
GRANT ALL PRIVILEGES ON \`auth\`.* TO 'blendata'@'localhost';
GRANT ALL PRIVILEGES ON \`test\\_%\`.* TO 'blendata'@'127.0.0.1';
GRANT ALL PRIVILEGES ON \`test\\_%\`.* TO 'blendata'@'localhost';
FLUSH PRIVILEGES;
SQL
}

# blendata can log in over TCP: what the services and tests actually need.
blendata_ok() {
	MYSQL_PWD="$MARIADB_PASSWORD" mariadb --no-defaults --protocol=tcp -h127.0.0.1 \
		-P"$MARIADB_PORT" -ublendata --connect-timeout=3 -e 'SELECT 1' auth >/dev/null 2>&1
}

ours_running() {
	[[ -S "$SOCKET" ]] && pid_alive "$PID_FILE" >/dev/null &&
		mariadb-admin --no-defaults --socket="$SOCKET" -uroot --connect-timeout=3 ping >/dev/null 2>&1
}

cmd_start() {
	ensure_dirs
	lock_component mariadb
	if port_open "$MARIADB_PORT"; then
		if ours_running; then
			provision
			log "already running on 127.0.0.1:$MARIADB_PORT, reusing"
			return 0
		fi
		if blendata_ok; then
			log "a MariaDB/MySQL not started by this script answers on 127.0.0.1:$MARIADB_PORT and accepts blendata; reusing"
			return 0
		fi
		die "port $MARIADB_PORT is taken by a server this script did not start and user blendata cannot log in"
	fi
	ensure_installed
	stop_system_service
	init_datadir
	log "starting mariadbd on 127.0.0.1:$MARIADB_PORT (log: $LOG_FILE)"
	local user_args=()
	# mariadbd refuses to run as root unless told so explicitly; running as
	# root avoids chowning the datadir under a root-owned checkout.
	if [[ $EUID -eq 0 ]]; then
		user_args=(--user=root)
	fi
	rm -f "$SOCKET" "$SOCKET.lock"
	setsid mariadbd --no-defaults "${user_args[@]}" \
		--datadir="$DATADIR" \
		--socket="$SOCKET" \
		--pid-file="$PID_FILE" \
		--port="$MARIADB_PORT" \
		--bind-address=127.0.0.1 \
		--skip-name-resolve \
		--character-set-server=utf8mb4 \
		--collation-server=utf8mb4_unicode_ci \
		--log-error="$LOG_FILE" \
		</dev/null >>"$LOG_FILE" 2>&1 9>&- &
	local pid=$! i
	echo "$pid" >"$PID_FILE"
	for ((i = 0; i < MARIADB_START_TIMEOUT; i++)); do
		if mariadb-admin --no-defaults --socket="$SOCKET" -uroot --connect-timeout=2 ping >/dev/null 2>&1 &&
			port_open "$MARIADB_PORT"; then
			# mariadbd rewrote the pid file itself; keep ours authoritative.
			echo "$pid" >"$PID_FILE"
			provision
			blendata_ok || die "started, but blendata cannot log in over TCP"
			log "MariaDB ready on 127.0.0.1:$MARIADB_PORT after ${i}s (pid $pid)"
			return 0
		fi
		if ! kill -0 "$pid" 2>/dev/null; then
			show_log_tail "$LOG_FILE"
			rm -f "$PID_FILE"
			die "mariadbd exited during startup"
		fi
		sleep 1
	done
	show_log_tail "$LOG_FILE"
	stop_pidfile "$PID_FILE" 30 mariadbd || true
	die "MariaDB not ready within ${MARIADB_START_TIMEOUT}s"
}

cmd_stop() {
	ensure_dirs
	lock_component mariadb
	# SIGTERM is mariadbd's normal clean shutdown (flushes InnoDB).
	if stop_pidfile "$PID_FILE" 60 mariadbd; then
		rm -f "$SOCKET" "$SOCKET.lock"
		log "stopped"
	elif port_open "$MARIADB_PORT"; then
		die "port $MARIADB_PORT is in use by a process this script did not start; not touching it"
	else
		log "not running"
	fi
}

cmd_status() {
	local pid=""
	pid="$(pid_alive "$PID_FILE")" || true
	if port_open "$MARIADB_PORT"; then
		if blendata_ok; then
			echo "mariadb: running on 127.0.0.1:$MARIADB_PORT (pid: ${pid:-not started by this script}, blendata login OK)"
			return 0
		fi
		echo "mariadb: port $MARIADB_PORT open (pid: ${pid:-unknown}) but blendata cannot log in"
		return 1
	fi
	if [[ -n "$pid" ]]; then
		echo "mariadb: process $pid alive but port $MARIADB_PORT closed (see $LOG_FILE)"
		return 1
	fi
	echo "mariadb: stopped"
	return 3
}

case "${1:-}" in
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
client) command -v mariadb-dump >/dev/null || apt_install_missing mariadb-client ;;
*)
	echo "usage: $0 start|stop|status|client" >&2
	exit 2
	;;
esac
