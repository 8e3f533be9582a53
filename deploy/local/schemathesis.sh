#!/usr/bin/env bash
# Schemathesis (PyPI), the generator of bad input that make test-schemathesis
# and make fuzz run over cerberus's and ml_studio's OpenAPI documents
# (deploy/schemathesis/), in a virtualenv of its own.
#
#   deploy/local/schemathesis.sh install   create/refresh .venv/schemathesis (idempotent)
#   deploy/local/schemathesis.sh bin       install, then print the CLI's path
#
# The venv holds exactly schemathesis-requirements.txt (--no-deps, a full
# lock); it is reinstalled only when that file or the Python version changes.
set -euo pipefail

SCRIPT_NAME=schemathesis.sh
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

REQUIREMENTS="$LOCAL_DIR/schemathesis-requirements.txt"
VENV="$REPO_ROOT/.venv/schemathesis"
STAMP="$VENV/.requirements.sha256"

requirements_hash() {
	{
		cat "$REQUIREMENTS"
		python3 -c 'import sys; print(sys.version)'
	} | sha256sum | cut -d' ' -f1
}

cmd_install() {
	ensure_dirs
	lock_component schemathesis-venv
	command -v python3 >/dev/null || apt_install_missing python3
	local want
	want="$(requirements_hash)"
	if [[ -x "$VENV/bin/schemathesis" && -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]]; then
		log "schemathesis venv up to date ($VENV)"
		return 0
	fi
	ensure_venv "$VENV"
	rm -f "$STAMP"
	log "installing $(grep -m1 '^schemathesis==' "$REQUIREMENTS") ($(grep -c '==' "$REQUIREMENTS") exact pins) into $VENV (log: $LOG_DIR/schemathesis-install.log)"
	local start=$SECONDS
	if ! {
		"$VENV/bin/python" -m pip install --no-input --disable-pip-version-check -q --upgrade pip &&
			"$VENV/bin/python" -m pip install --no-input --disable-pip-version-check --no-deps -r "$REQUIREMENTS" &&
			"$VENV/bin/python" -m pip check
	} >"$LOG_DIR/schemathesis-install.log" 2>&1; then
		show_log_tail "$LOG_DIR/schemathesis-install.log" 30
		die "pip install failed"
	fi
	printf '%s\n' "$want" >"$STAMP"
	log "installed $("$VENV/bin/schemathesis" --version) in $((SECONDS - start))s"
}

case "${1:-}" in
install) cmd_install ;;
bin)
	cmd_install
	printf '%s\n' "$VENV/bin/schemathesis"
	;;
*)
	echo "usage: $0 install|bin" >&2
	exit 2
	;;
esac
