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
