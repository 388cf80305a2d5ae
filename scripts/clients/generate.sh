#!/usr/bin/env bash
# Generates the clients' code from docs/openapi.yaml, with the generators' pinned versions:
#   clients/python/jobstatus_client/generated   openapi-python-client 0.29.1
#   Sources/JobStatusClient/Generated           swift-openapi-generator 1.14.3 (built from the package mirror)
#
#   scripts/clients/generate.sh           regenerate both, in place
#   scripts/clients/generate.sh --check   generate both into a scratch folder and fail when a generator
#                                         warns, drops a schema or leaves a documented response
#                                         untyped (check_generated.py), or when the committed code
#                                         is not what the document generates
set -euo pipefail
cd "$(dirname "$0")/../.."

check=false
[ "${1:-}" = "--check" ] && check=true

python_generator_version=0.29.1
if [ "$(openapi-python-client --version 2>/dev/null | awk '{print $NF}')" != "$python_generator_version" ]; then
    python3 -m pip install --quiet --disable-pip-version-check "openapi-python-client==$python_generator_version" ||
        python3 -m pip install --quiet --disable-pip-version-check --break-system-packages "openapi-python-client==$python_generator_version"
fi
swift build --package-path scripts/clients/generator --product swift-openapi-generator >/dev/null
swift_generator="$(swift build --package-path scripts/clients/generator --show-bin-path)/swift-openapi-generator"

python_committed=clients/python/jobstatus_client/generated
swift_committed=Sources/JobStatusClient/Generated
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# What each generator says goes to a log: check_generated.py fails on any warning in it.
openapi-python-client generate --path docs/openapi.yaml --meta none --overwrite \
    --config scripts/clients/openapi-python-client.yaml --output-path "$work/python" >"$work/python.log" 2>&1 ||
    { cat "$work/python.log" >&2; exit 1; }
"$swift_generator" generate docs/openapi.yaml --config scripts/clients/swift-openapi-generator.yaml \
    --output-directory "$work/swift" --diagnostics-output-path "$work/swift-diagnostics.yaml" >"$work/swift.log" 2>&1 ||
    { cat "$work/swift.log" >&2; exit 1; }
# With `accessModifier: public` the generator writes `public import` of the same modules into every
# file, and Swift 6.3 warns of each one a file does not use publicly (the generator silences that
# from Swift 6.4 on). In Swift 6 language mode a plain import is public already: drop the keyword.
sed -i -E 's/^(@_spi\(Generated\) )?public import /\1import /' "$work/swift"/*.swift

python3 scripts/clients/check_generated.py docs/openapi.yaml \
    --python "$work/python" --python-log "$work/python.log" \
    --swift "$work/swift" --swift-diagnostics "$work/swift-diagnostics.yaml"

if $check; then
    stale=0
    diff -r -q "$python_committed" "$work/python" -x __pycache__ || stale=1
    diff -r -q "$swift_committed" "$work/swift" || stale=1
    if [ "$stale" -ne 0 ]; then
        echo "generated client code is not what docs/openapi.yaml generates: run scripts/clients/generate.sh and commit" >&2
        exit 1
    fi
    echo "generated client code: current (python: $python_committed, swift: $swift_committed)"
else
    rm -rf "$python_committed" "$swift_committed"
    mkdir -p "$(dirname "$swift_committed")"
    cp -r "$work/python" "$python_committed"
    cp -r "$work/swift" "$swift_committed"
    echo "regenerated $python_committed and $swift_committed"
fi
