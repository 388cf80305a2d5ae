#!/usr/bin/env bash
# The test command: builds everything, runs every test (unit and end-to-end), and makes sure no
# server a test started outlives the run. The end-to-end tests start their own redis-server and
# jobstatus processes on free loopback ports; their pids are recorded so a crash cannot leak them.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

run_dir="$(pwd)/.run/test-$$"
mkdir -p "$run_dir"
export JOBSTATUS_TEST_PIDFILE="$run_dir/pids"
: >"$JOBSTATUS_TEST_PIDFILE"

cleanup() {
    while read -r pid; do
        [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
    done <"$JOBSTATUS_TEST_PIDFILE"
    rm -rf "$run_dir"
}
trap cleanup EXIT

swift build --build-tests
swift test --skip-build "$@"

# A short bounded fuzz run of the request path and the envelope writer (scripts/fuzz.sh; a filtered
# run, with arguments, skips it).
if [ "$#" -eq 0 ]; then
    FUZZ_SECONDS="${FUZZ_SECONDS:-20}" scripts/fuzz.sh
fi
