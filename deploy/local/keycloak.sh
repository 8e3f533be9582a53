#!/usr/bin/env bash
# Local Keycloak: a real OpenID provider for ML Studio's single sign-on
# tests (make test-sso) and for trying SSO by hand.
#
#   deploy/local/keycloak.sh install|start|stop|status|env
#
# Installs org.keycloak:keycloak-quarkus-dist from Maven Central (with mvn)
# into $ML_STUDIO_DATA/keycloak, and runs it in development mode on
# 127.0.0.1:$KEYCLOAK_PORT with an in-memory database, importing the realm
# deploy/keycloak/ml-studio-realm.json at every start (clients ml-studio,
# ml-studio-ci, ml-studio-notebook and ml-studio-short, users alice, bob,
# carol and matrix-<role>, groups ml-team, ml-studio-admins and ml-ci); a
# running one that imported another version of the file is restarted. Its
# master realm's admin is admin / $KEYCLOAK_ADMIN_PASSWORD.
#
# Env: KEYCLOAK_PORT (8180), KEYCLOAK_VERSION (26.7.3), KEYCLOAK_ADMIN_PASSWORD
#      (admin), KEYCLOAK_START_TIMEOUT (300 s), JAVA_HOME (java on PATH),
#      ML_STUDIO_DATA (<repo>/.data).
set -euo pipefail

SCRIPT_NAME=keycloak.sh
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

KEYCLOAK_PORT="${KEYCLOAK_PORT:-8180}"
# The newest release that starts on the machine's Java 17 (26.7.3 does).
KEYCLOAK_VERSION="${KEYCLOAK_VERSION:-26.7.3}"
KEYCLOAK_ADMIN_PASSWORD="${KEYCLOAK_ADMIN_PASSWORD:-admin}"
# The first start builds the server (Quarkus augmentation, ~50 s on 2 cores).
KEYCLOAK_START_TIMEOUT="${KEYCLOAK_START_TIMEOUT:-300}"

REALM=ml-studio
REALM_FILE="$REPO_ROOT/deploy/keycloak/ml-studio-realm.json"
KC_DIR="$ML_STUDIO_DATA/keycloak"
KC_HOME="$KC_DIR/keycloak-$KEYCLOAK_VERSION"
PID_FILE="$RUN_DIR/keycloak.pid"
LOG_FILE="$LOG_DIR/keycloak.log"
BASE_URL="http://127.0.0.1:$KEYCLOAK_PORT"
ISSUER="$BASE_URL/realms/$REALM"

java_bin() {
	if [[ -n "${JAVA_HOME:-}" ]]; then
		printf '%s/bin/java\n' "$JAVA_HOME"
	else
		command -v java || true
	fi
}

check_java() {
	local java major
	java="$(java_bin)"
	[[ -n "$java" && -x "$java" ]] || apt_install_missing openjdk-17-jre-headless
	java="$(java_bin)"
	major="$("$java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1)"
	[[ -n "$major" && "$major" -ge 17 ]] || die "Keycloak $KEYCLOAK_VERSION needs Java 17 or newer; $java is ${major:-unknown}"
}

cmd_install() {
	ensure_dirs
	check_java
	exec 8>"$RUN_DIR/keycloak-install.lock"
	flock -w 900 8 || die "timed out waiting for $RUN_DIR/keycloak-install.lock"
	if [[ -x "$KC_HOME/bin/kc.sh" ]]; then
		log "Keycloak $KEYCLOAK_VERSION installed ($KC_HOME)"
		exec 8>&-
		return 0
	fi
	command -v mvn >/dev/null || apt_install_missing maven
	local start=$SECONDS tmp
	tmp="$(mktemp -d "$KC_DIR.XXXXXX")"
	log "installing Keycloak $KEYCLOAK_VERSION from Maven Central into $KC_DIR (log: $LOG_DIR/keycloak-install.log)"
	if ! mvn -B -q dependency:copy -Dartifact="org.keycloak:keycloak-quarkus-dist:$KEYCLOAK_VERSION:tar.gz" \
		-DoutputDirectory="$tmp" >>"$LOG_DIR/keycloak-install.log" 2>&1; then
		rm -rf "$tmp"
		show_log_tail "$LOG_DIR/keycloak-install.log"
		die "downloading org.keycloak:keycloak-quarkus-dist:$KEYCLOAK_VERSION failed"
	fi
	mkdir -p "$KC_DIR"
	tar -xzf "$tmp/keycloak-quarkus-dist-$KEYCLOAK_VERSION.tar.gz" -C "$tmp"
	rm -rf "$KC_HOME"
	mv "$tmp/keycloak-$KEYCLOAK_VERSION" "$KC_HOME"
	rm -rf "$tmp"
	log "installed Keycloak $KEYCLOAK_VERSION in $((SECONDS - start))s"
	exec 8>&-
}

# The realm answers its discovery document: what cerberus needs.
realm_ok() {
	curl -fsS --max-time 3 "$ISSUER/.well-known/openid-configuration" 2>/dev/null | grep -q "\"issuer\":\"$ISSUER\""
}

cmd_start() {
	ensure_dirs
	lock_component keycloak
	if port_open "$KEYCLOAK_PORT"; then
		realm_ok || die "port $KEYCLOAK_PORT is taken by a server that does not serve realm $REALM"
		# The realm is imported only at start: one this checkout started from
		# an older realm file is restarted, so the tests meet the committed
		# realm. One started elsewhere (another checkout) is reused as it is.
		if cmp -s "$REALM_FILE" "$KC_HOME/data/import/$REALM-realm.json"; then
			log "already running on $BASE_URL with realm $REALM, reusing"
			return 0
		fi
		if ! pid_alive "$PID_FILE" >/dev/null; then
			log "reusing the Keycloak on $BASE_URL, which this checkout did not start (its realm may differ from $REALM_FILE)"
			return 0
		fi
		log "the running Keycloak imported an older $REALM_FILE: restarting it"
		stop_pidfile "$PID_FILE" 30 keycloak
	fi
	cmd_install
	# The realm is imported afresh at every start (the database is in
	# memory), so the committed file is always what runs.
	mkdir -p "$KC_HOME/data/import"
	rm -f "$KC_HOME/data/import/"*.json
	cp "$REALM_FILE" "$KC_HOME/data/import/$REALM-realm.json"
	log "starting Keycloak $KEYCLOAK_VERSION on $BASE_URL (log: $LOG_FILE)"
	local start=$SECONDS java
	java="$(java_bin)"
	JAVA_HOME="${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$java")")")}" \
		KC_BOOTSTRAP_ADMIN_USERNAME=admin KC_BOOTSTRAP_ADMIN_PASSWORD="$KEYCLOAK_ADMIN_PASSWORD" \
		setsid "$KC_HOME/bin/kc.sh" start-dev \
		--http-host=127.0.0.1 --http-port="$KEYCLOAK_PORT" \
		--db=dev-mem --import-realm --hostname-strict=false \
		</dev/null >>"$LOG_FILE" 2>&1 9>&- &
	local pid=$! i
	echo "$pid" >"$PID_FILE"
	for ((i = 0; i < KEYCLOAK_START_TIMEOUT; i++)); do
		if realm_ok; then
			log "Keycloak ready on $BASE_URL after $((SECONDS - start))s (pid $pid, issuer $ISSUER)"
			return 0
		fi
		if ! kill -0 "$pid" 2>/dev/null; then
			show_log_tail "$LOG_FILE"
			rm -f "$PID_FILE"
			die "Keycloak exited during startup"
		fi
		sleep 1
	done
	show_log_tail "$LOG_FILE"
	stop_pidfile "$PID_FILE" 30 keycloak || true
	die "Keycloak not ready within ${KEYCLOAK_START_TIMEOUT}s"
}

cmd_stop() {
	ensure_dirs
	lock_component keycloak
	if stop_pidfile "$PID_FILE" 30 keycloak; then
		log "stopped"
	elif port_open "$KEYCLOAK_PORT"; then
		die "port $KEYCLOAK_PORT is in use by a process this script did not start; not touching it"
	else
		log "not running"
	fi
}

cmd_status() {
	local pid=""
	pid="$(pid_alive "$PID_FILE")" || true
	if realm_ok; then
		echo "keycloak: running on $BASE_URL (pid: ${pid:-not started by this script}, realm $REALM)"
		return 0
	fi
	if [[ -n "$pid" ]]; then
		echo "keycloak: process $pid alive but realm $REALM does not answer on $BASE_URL (see $LOG_FILE)"
		return 1
	fi
	echo "keycloak: stopped"
	return 3
}

# What the SSO tests read: the issuer, and the master realm's admin password
# (tests add and remove people in the realm through the admin API).
cmd_env() {
	cat <<EOF
export ML_STUDIO_TEST_OIDC_ISSUER='$ISSUER'
export ML_STUDIO_TEST_KEYCLOAK_ADMIN_PASSWORD='$KEYCLOAK_ADMIN_PASSWORD'
EOF
}

case "${1:-}" in
install) cmd_install ;;
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
env) cmd_env ;;
*)
	echo "usage: $0 install|start|stop|status|env" >&2
	exit 2
	;;
esac
