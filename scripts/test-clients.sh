#!/usr/bin/env bash
# The clients' part of the test command (also `make test-clients`): the generators use
# docs/openapi.yaml fully and the committed generated code is current (scripts/clients/generate.sh
# --check), then the Python client's tests — its waiting machine, and both its sync and asyncio
# clients against live fronts on loopback (clients/python/tests; the Swift client's live tests are
# EndToEndTests.Tooling.JobPollerTests). Expects the binary built (`swift build --build-tests`).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/clients/generate.sh --check
JOBSTATUS_BINARY="${JOBSTATUS_BINARY:-$(swift build --show-bin-path)/jobstatus}" \
    python3 -m pytest -q -p no:cacheprovider clients/python/tests
