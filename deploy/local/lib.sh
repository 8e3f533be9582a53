# shellcheck shell=bash
# Shared helpers for deploy/local/*.sh. Sourced, never executed.
# Everything lives under $ML_STUDIO_DATA (default <repo>/.data, git-ignored).

LOCAL_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$LOCAL_DIR/../.." && pwd)"
ML_STUDIO_DATA="${ML_STUDIO_DATA:-$REPO_ROOT/.data}"
LOG_DIR="$ML_STUDIO_DATA/logs"
RUN_DIR="$ML_STUDIO_DATA/run"
export ML_STUDIO_DATA

# Name used in messages; callers may set SCRIPT_NAME before sourcing.
SCRIPT_NAME="${SCRIPT_NAME:-$(basename "$0")}"

log() { printf '[%s] %s\n' "$SCRIPT_NAME" "$*" >&2; }
die() {
	log "ERROR: $*"
	exit 1
}

ensure_dirs() {
	mkdir -p "$ML_STUDIO_DATA" "$LOG_DIR" "$RUN_DIR"
}

# Serialise start/stop of one component across concurrent callers (e.g.
# parallel CI steps): holds an flock on fd 9 until the script exits.
# Daemons must be launched with 9>&- so they do not keep the lock forever.
lock_component() {
	local f="$RUN_DIR/$1.lock"
	exec 9>"$f"
	flock -w 300 9 || die "timed out waiting for $f"
}

# True if something accepts TCP connections on 127.0.0.1:$1 (bash /dev/tcp:
# no extra tool needed). timeout guards against a hung connect.
port_open() {
	timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

# PID stored in a pid file if that process is still alive, else empty.
pid_alive() {
	local f="$1" pid
	[[ -s "$f" ]] || return 1
	pid="$(head -n1 "$f" | tr -dc '0-9')"
	[[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null && printf '%s\n' "$pid"
}

# Print the tail of a log so a failed start is diagnosable from CI output.
show_log_tail() {
	local f="$1" n="${2:-40}"
	if [[ -f "$f" ]]; then
		log "last $n lines of $f:"
		tail -n "$n" "$f" >&2 || true
	fi
}

# Stop the process (group) whose leader pid is in file $1, waiting up to $2 s
# for a graceful exit before SIGKILL. Daemons are started with setsid, so the
# pid is also the process-group id and children (workers) go with it.
stop_pidfile() {
	local f="$1" wait_s="${2:-30}" what="${3:-process}" pid i
	if ! pid="$(pid_alive "$f")"; then
		rm -f "$f"
		return 1
	fi
	log "stopping $what (pid $pid)"
	kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < wait_s * 5; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.2
	done
	if kill -0 "$pid" 2>/dev/null; then
		log "$what did not exit within ${wait_s}s: SIGKILL"
		kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
		sleep 0.5
	fi
	rm -f "$f"
	return 0
}

# Install Debian packages that are missing, non-interactively and without
# letting their maintainer scripts start system services (they would grab
# 3306/5432 and fight with our own daemons). apt-get update runs at most once
# per script run, and only when something must actually be installed.
apt_install_missing() {
	local missing=() p
	for p in "$@"; do
		if [[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]]; then
			missing+=("$p")
		fi
	done
	((${#missing[@]})) || return 0
	[[ $EUID -eq 0 ]] || die "packages missing (${missing[*]}) and not root: install them first"
	log "installing Debian packages: ${missing[*]}"
	local policy=/usr/sbin/policy-rc.d created_policy=0
	if [[ ! -e "$policy" ]]; then
		# exit 101 = "action forbidden": invoke-rc.d then skips starting services.
		printf '#!/bin/sh\nexit 101\n' >"$policy"
		chmod 755 "$policy"
		created_policy=1
	fi
	local rc=0
	{
		if [[ -z "${_APT_UPDATED:-}" ]]; then
			DEBIAN_FRONTEND=noninteractive apt-get update -qq
			_APT_UPDATED=1
		fi
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
			"${missing[@]}"
	} >>"$LOG_DIR/apt.log" 2>&1 || rc=$?
	if ((created_policy)); then
		rm -f "$policy"
	fi
	if ((rc)); then
		show_log_tail "$LOG_DIR/apt.log" 30
		die "apt-get install ${missing[*]} failed (rc=$rc)"
	fi
}

# Percent-encode $1 for use inside a URL (user info / password).
urlencode() {
	local s="$1" out="" c i
	for ((i = 0; i < ${#s}; i++)); do
		c="${s:i:1}"
		case "$c" in
		[a-zA-Z0-9._~-]) out+="$c" ;;
		*) out+="$(printf '%%%02X' "'$c")" ;;
		esac
	done
	printf '%s' "$out"
}

# Escape $1 as a single-quoted MariaDB string literal (backslash is special there).
mysql_quote() {
	local s="${1//\\/\\\\}"
	printf "'%s'" "${s//\'/\'\'}"
}

# ensure_venv DIR: a working virtualenv at DIR, made with python3 (a broken
# or half-made one is replaced). Debian's python3 needs python3-venv for
# ensurepip; other pythons ship it.
ensure_venv() {
	local dir="$1"
	if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
		apt_install_missing python3-venv
	fi
	if [[ ! -x "$dir/bin/python" ]] || ! "$dir/bin/python" -c 'import sys' 2>/dev/null; then
		log "creating virtualenv $dir"
		rm -rf "$dir"
		mkdir -p "$(dirname "$dir")"
		python3 -m venv "$dir"
	fi
}
