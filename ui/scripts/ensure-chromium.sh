#!/usr/bin/env bash
# Makes sure Debian's chromium is installed for the browser tests (idempotent).
# The tests drive it through playwright-core; no browser is downloaded.
set -euo pipefail
CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
	exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
	echo "ensure-chromium: $CHROMIUM is missing and apt-get is not available; install chromium or set CHROMIUM_PATH" >&2
	exit 1
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
echo "ensure-chromium: installing chromium with apt-get"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq chromium >/dev/null
"$CHROMIUM" --version
