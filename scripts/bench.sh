#!/usr/bin/env bash
# make bench: installs the comparison tools from Debian (wrk, nginx, webdis), builds jobstatus in
# release mode, and runs scripts/bench/bench.py. See the docstring there for the knobs.
# make profile (--profile): perf instead of nginx and webdis, then scripts/bench/profile.py.
# make retains (--retains): gdb, then scripts/bench/retains.py.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v webdis >/dev/null 2>&1 || missing+=(webdis)
if [ "${1:-}" = "--profile" ]; then command -v perf >/dev/null 2>&1 || missing+=(linux-perf); fi
if [ "${1:-}" = "--retains" ]; then command -v gdb >/dev/null 2>&1 || missing+=(gdb); fi
if [ "${#missing[@]}" -gt 0 ]; then
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
export PATH="$PATH:/usr/sbin"
# Ten thousand waiting connections need file descriptors on both ends.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

swift build -c release --product jobstatus
if [ "${1:-}" = "--profile" ]; then exec python3 scripts/bench/profile.py; fi
if [ "${1:-}" = "--retains" ]; then exec python3 scripts/bench/retains.py; fi
# The NIO floor: SwiftNIO answering recorded bytes, beside the front (Benchmarks/Floor).
swift build -c release --package-path Benchmarks/Floor
exec python3 scripts/bench/bench.py
