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
# Every response the end-to-end tests receive, checked against docs/openapi.yaml afterwards.
export JOBSTATUS_CONTRACT_LOG="$run_dir/responses.jsonl"
: >"$JOBSTATUS_CONTRACT_LOG"

cleanup() {
    while read -r pid; do
        [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
    done <"$JOBSTATUS_TEST_PIDFILE"
    rm -rf "$run_dir"
}
trap cleanup EXIT

swift build --build-tests
if [ "$#" -gt 0 ]; then
    swift test --skip-build "$@"
else
    # The tests that load the whole machine (EndToEndTests.LoadTests: floods of connections,
    # thousands of long polls) run after the others and one at a time, so each has the machine
    # to itself and its figures mean what they say.
    swift test --skip-build --skip "EndToEndTests.LoadTests"
    swift test --skip-build --no-parallel --filter "EndToEndTests.LoadTests"
fi

# The whole run only (a filtered one, with arguments, skips these): every recorded response
# against the OpenAPI document, the generated clients and the Python client's tests
# (scripts/test-clients.sh), then a short bounded fuzz run of the request path and the envelope
# writer (scripts/fuzz.sh).
if [ "$#" -eq 0 ]; then
    python3 scripts/contract/validate_responses.py docs/openapi.yaml "$JOBSTATUS_CONTRACT_LOG"
    scripts/test-clients.sh
    FUZZ_SECONDS="${FUZZ_SECONDS:-20}" scripts/fuzz.sh
fi
