#!/usr/bin/env bash
# Python test environment: the virtualenv of tests/python/ and the MLflow
# server those tests talk to (through ml_studio, which the suite builds and
# starts itself together with cerberus).
#
#   deploy/local/pytest-env.sh install       create/refresh .venv/pytest (idempotent)
#   deploy/local/pytest-env.sh mlflow        print the MLflow URL the suite will use,
#                                            starting the local one when needed
#   deploy/local/pytest-env.sh run [ARGS]    both, then pytest in tests/python [ARGS]
#                                            (e.g. -k notebook, test_notebooks.py)
#
# The venv holds the same pinned MLflow client as the server (from
# mlflow-requirements.txt, with --no-deps: see its header) plus pytest and
# a headless notebook runner, all pinned in tests/python/requirements.txt.
# It is reinstalled only when one of those files or the Python version changes.
#
# Env: ML_STUDIO_TEST_MLFLOW_URL (when set, used as is; otherwise the local
#      MLflow on MLFLOW_PORT (5050) is reused if it answers, else started on
#      PostgreSQL as `make test-servers` does), GO (go), PYTEST_TIMEOUT
#      (per test, 300 s), ML_STUDIO_DATA (<repo>/.data).
set -euo pipefail

SCRIPT_NAME=pytest-env.sh
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MLFLOW_PORT="${MLFLOW_PORT:-5050}"
REQUIREMENTS="$REPO_ROOT/tests/python/requirements.txt"
MLFLOW_REQUIREMENTS="$LOCAL_DIR/mlflow-requirements.txt"
VENV="$REPO_ROOT/.venv/pytest"
STAMP="$VENV/.requirements.sha256"

requirements_hash() {
	# Both lock files (the first includes the second with -r) and the
	# interpreter: a new Python needs a new venv.
	{
		cat "$REQUIREMENTS" "$MLFLOW_REQUIREMENTS"
		python3 -c 'import sys; print(sys.version)'
	} | sha256sum | cut -d' ' -f1
}

cmd_install() {
	ensure_dirs
	lock_component pytest-venv
	command -v python3 >/dev/null || apt_install_missing python3
	local want
	want="$(requirements_hash)"
	if [[ -x "$VENV/bin/pytest" && -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]]; then
		log "test venv up to date ($VENV)"
		return 0
	fi
	ensure_venv "$VENV"
	rm -f "$STAMP"
	log "installing the test venv ($(cat "$REQUIREMENTS" "$MLFLOW_REQUIREMENTS" | grep -c '==') exact pins) into $VENV (log: $LOG_DIR/pytest-install.log)"
	local start=$SECONDS
	if ! {
		"$VENV/bin/python" -m pip install --no-input --disable-pip-version-check -q --upgrade pip &&
			"$VENV/bin/python" -m pip install --no-input --disable-pip-version-check --no-deps -r "$REQUIREMENTS"
	} >"$LOG_DIR/pytest-install.log" 2>&1; then
		show_log_tail "$LOG_DIR/pytest-install.log" 30
		die "pip install failed"
	fi
	printf '%s\n' "$want" >"$STAMP"
	log "installed the test venv in $((SECONDS - start))s ($("$VENV/bin/python" -c 'import mlflow, pytest; print("mlflow", mlflow.__version__, "pytest", pytest.__version__)'))"
}

# The MLflow the suite uses: the environment's, or the local one (reused
# whatever its backend, else started on PostgreSQL like `make test-servers`).
cmd_mlflow() {
	if [[ -n "${ML_STUDIO_TEST_MLFLOW_URL:-}" ]]; then
		printf '%s\n' "$ML_STUDIO_TEST_MLFLOW_URL"
		return 0
	fi
	if ! MLFLOW_PORT="$MLFLOW_PORT" "$LOCAL_DIR/mlflow.sh" status >/dev/null 2>&1; then
		MLFLOW_PORT="$MLFLOW_PORT" MLFLOW_BACKEND=postgres "$LOCAL_DIR/mlflow.sh" start >&2
	fi
	printf 'http://127.0.0.1:%s\n' "$MLFLOW_PORT"
}

cmd_run() {
	cmd_install
	local url
	url="$(cmd_mlflow)"
	log "running tests/python against MLflow $url"
	# From the suite's folder (its pytest.ini): ARGS name tests relative to it.
	cd "$REPO_ROOT/tests/python"
	ML_STUDIO_TEST_MLFLOW_URL="$url" exec "$VENV/bin/python" -m pytest -p no:cacheprovider \
		--timeout="${PYTEST_TIMEOUT:-300}" "$@"
}

case "${1:-}" in
install) cmd_install ;;
mlflow) cmd_mlflow ;;
run)
	shift
	cmd_run "$@"
	;;
*)
	echo "usage: $0 install|mlflow|run [pytest args]" >&2
	exit 2
	;;
esac
