#!/usr/bin/env bash
# Builds the libFuzzer targets (Fuzz/) and runs each for FUZZ_SECONDS (default 30) from the
# committed seed corpus (Fuzz/Corpus). JOBSTATUS_FUZZ makes Package.swift compile the product's own
# modules with -sanitize=fuzzer (coverage for libFuzzer) in the usual .build folder, so the
# dependencies are not built a second time; the next ordinary build recompiles those modules.
# New inputs go to a scratch copy, not the repository; a crash leaves its input in .run/fuzz and fails.
#
#   scripts/fuzz.sh                      the short run the test command does
#   FUZZ_SECONDS=3600 scripts/fuzz.sh    a long one
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${FUZZ_SECONDS:-30}"
export JOBSTATUS_FUZZ=1
# Swift's own crash backtracer would take the signal from libFuzzer, which then never writes the
# crashing input (crash-<sha1>) to the artifact folder.
export SWIFT_BACKTRACE=enable=no
swift build --product FuzzRequests
swift build --product FuzzEnvelopes
bin="$(swift build --show-bin-path)"

work=".run/fuzz"
mkdir -p "$work"
status=0
for target in Requests Envelopes; do
    corpus="$work/corpus-$target"
    rm -rf "$corpus"
    mkdir -p "$corpus"
    cp Fuzz/Corpus/$target/* "$corpus"/
    echo "fuzzing $target for ${seconds}s"
    if ! "$bin/Fuzz$target" "$corpus" -max_total_time="$seconds" -max_len=8192 -timeout=10 \
        -artifact_prefix="$work/$target-" -print_final_stats=1 >"$work/$target.log" 2>&1; then
        echo "Fuzz$target found a problem; the input is in $work:" >&2
        tail -40 "$work/$target.log" >&2
        status=1
    else
        grep -E "stat::number_of_executed_units|cov: " "$work/$target.log" | tail -2
    fi
done
exit "$status"
