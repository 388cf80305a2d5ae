#!/usr/bin/env bash
# The demo: builds in release mode, starts a local redis-server when REDIS_URL is not set, starts
# the front with the demo tokens, creates one job per state and prints how to poll them.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
swift build -c release --product jobstatus
bin="$(swift build -c release --show-bin-path)/jobstatus"

run_dir="$(pwd)/.run/demo"
mkdir -p "$run_dir"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

if [ -z "${REDIS_URL:-}" ]; then
    redis_port="$(free_port)"
    redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$run_dir" --save "" --appendonly no \
        --daemonize no >"$run_dir/redis.log" 2>&1 &
    pids+=("$!")
    export REDIS_URL="redis://127.0.0.1:$redis_port"
    for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
    echo "started redis-server for the demo: $REDIS_URL (log: $run_dir/redis.log)"
fi

export HTTP_PORT="${HTTP_PORT:-8080}"
export AUTH_TOKENS_FILE="${AUTH_TOKENS_FILE:-Config/demo-tokens.json}"
"$bin" serve &
pids+=("$!")
for _ in $(seq 100); do
    curl -fsS "http://127.0.0.1:$HTTP_PORT/health/ready" >/dev/null 2>&1 && break
    sleep 0.1
done

token="demo-token-for-local-use-only"
pending="$("$bin" create --owner demo-client --eta 90s)"
processed="$("$bin" create --owner demo-client)"
"$bin" processed "$processed" --link encounter=/api/patients/7c3b/encounters/90a9 \
    --link condition=/api/patients/7c3b/conditions/df11 >/dev/null
inline="$("$bin" create --owner demo-client)"
"$bin" processed "$inline" --response-data '{"declaration_id":"a1b2","status":"active"}' >/dev/null
failed="$("$bin" create --owner demo-client)"
"$bin" failed "$failed" --status-code 422 --error '{"type":"validation_failed","message":"Validation failed","invalid":[{"entry_type":"json_data_property","entry":"$.cvv","rules":[{"rule":"required","params":[],"description":"must be present"}]}]}' >/dev/null
crashed="$("$bin" create --owner demo-client)"
"$bin" failed-with-error "$crashed" --message "the worker lost its database connection" >/dev/null

base="http://127.0.0.1:$HTTP_PORT"
cat <<TEXT

jobstatus is running on $base (Redis: $REDIS_URL). Demo token: $token

  pending (200):            curl -i -H 'Authorization: Bearer $token' $base/api/jobs/$pending
  processed, links (303):   curl -i -H 'Authorization: Bearer $token' $base/api/jobs/$processed
  processed, inline (200):  curl -i -H 'Authorization: Bearer $token' $base/api/jobs/$inline
  failed 422 (200):         curl -i -H 'Authorization: Bearer $token' $base/api/jobs/$failed
  failed_with_error (200):  curl -i -H 'Authorization: Bearer $token' $base/api/jobs/$crashed
  unknown (404):            curl -i -H 'Authorization: Bearer $token' $base/api/jobs/nope
  no token (401):           curl -i $base/api/jobs/$pending
  other client's job (404): curl -i -H 'Authorization: Bearer other-demo-token' $base/api/jobs/$pending

  complete the pending job: $bin processed $pending --link encounter=/api/encounters/1

Press Ctrl-C to stop.
TEXT
wait "${pids[@]}"
