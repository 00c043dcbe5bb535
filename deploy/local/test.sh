#!/usr/bin/env bash
# Run the test suite against the local stack: start whatever is not running, run pytest,
# then stop again what this script started (also on failure or Ctrl-C), so the machine is
# left as it was found.
#   deploy/local/test.sh                 # whole tests/ dir
#   deploy/local/test.sh tests/faults -x # any pytest arguments
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=env.sh
source "$HERE/env.sh"
STACK="$HERE/stack.sh"
cd "$WASPADA_ROOT"
# The tests find the stack where env.sh put it (tests/helpers.py reads these).
export WASPADA_TEST_INTAKE_URL="${WASPADA_TEST_INTAKE_URL:-$WASPADA_INTAKE_URL}"
export WASPADA_TEST_SCORING_URL="${WASPADA_TEST_SCORING_URL:-http://$WASPADA_HOST:$SCORING_PORT}"
export WASPADA_TEST_NOTIFY_URL="${WASPADA_TEST_NOTIFY_URL:-$WASPADA_NOTIFY_URL}"
export WASPADA_TEST_RECEIVER_URL="${WASPADA_TEST_RECEIVER_URL:-$WASPADA_RECEIVER_URL}"
export WASPADA_TEST_CONSOLE_URL="${WASPADA_TEST_CONSOLE_URL:-$WASPADA_CONSOLE_URL}"
export WASPADA_TEST_PROMETHEUS_URL="${WASPADA_TEST_PROMETHEUS_URL:-http://$WASPADA_HOST:$PROMETHEUS_PORT}"

"$STACK" setup

# Remember what was already running: only the rest is ours to stop afterwards.
mapfile -t started < <("$STACK" stopped)
# shellcheck disable=SC2329  # invoked by the EXIT trap
stop_started() {
  local rc=$?
  trap - EXIT INT TERM
  if ((${#started[@]})); then
    echo "[test] stopping what this run started: ${started[*]}"
    "$STACK" down "${started[@]}" || true
  fi
  exit "$rc"
}
if ((${#started[@]})); then
  trap stop_started EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  "$STACK" up "${started[@]}"
else
  echo "[test] stack already up; leaving it running afterwards"
fi

(($#)) || set -- tests/
rc=0
"$WASPADA_PYTHON" -m pytest -p no:cacheprovider "$@" || rc=$?
if ((rc == 5)); then
  echo "[test] ERROR: pytest collected no tests ($*); treating that as a failure" >&2
  rc=1
fi
exit "$rc"
